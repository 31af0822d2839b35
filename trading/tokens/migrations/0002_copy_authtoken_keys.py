"""Keys issued before trading.tokens (DRF authtoken) keep working: copied once, as they were."""

from django.db import migrations


def copy_keys(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("tokens", "ApiToken")
    for old in Token.objects.all():
        ApiToken.objects.get_or_create(
            key=old.key,
            defaults={"user_id": old.user_id, "name": "default", "created_at": old.created},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(copy_keys, migrations.RunPython.noop)]
