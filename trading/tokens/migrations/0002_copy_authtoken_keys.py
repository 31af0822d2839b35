"""Keys issued before trading.tokens (DRF authtoken) keep working: copied once, as they were."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def copy_keys(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
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
