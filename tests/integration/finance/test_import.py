"""FOCUS CSV import: all rows or none, every bad row by its line, re-import updates."""

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from backoffice.audit.models import AuditLog
from backoffice.finance import services
from backoffice.finance.models import CostRecord
from kernel import roles
from tests.integration.finance.factories import UserFactory, finance_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]

GOOD = (
    "ChargePeriodStart,ChargePeriodEnd,ServiceCategory,ServiceName,BilledCost,BillingCurrency,Tags\n"
    '2026-11-24T00:00:00Z,2026-11-25T00:00:00Z,Compute,EC2,180.00,USD,"{""env"": ""Prod""}"\n'
    '2026-11-24T00:00:00Z,2026-11-25T00:00:00Z,Databases,Aurora,100.00,USD,"{""env"": ""Prod""}"\n'
    '2026-11-24T00:00:00Z,2026-11-25T00:00:00Z,Storage,S3,20.00,USD,"{""env"": ""Prod""}"\n'
    '2026-11-24T00:00:00Z,2026-11-25T00:00:00Z,Networking,VPC,60.00,USD,"{""env"": ""Prod""}"\n'
    "2026-11-24T00:00:00Z,2026-11-25T00:00:00Z,Management and Governance,CloudWatch,60.00,USD,"
    '"{""env"": ""Prod""}"\n'
    '2026-11-25T00:00:00Z,2026-11-26T00:00:00Z,Compute,EC2,14.00,USD,"{""env"": ""Test""}"\n'
)
BAD = (
    "ChargePeriodStart,ServiceCategory,BilledCost,BillingCurrency,Environment\n"
    "2026-11-24,Compute,10,USD,Prod\n"  # line 2: good
    "2026-13-01,Compute,10,USD,Prod\n"  # line 3: no 13th month
    "2026-11-24,Compute,ten,USD,Prod\n"  # line 4: cost
    "2026-11-24,Compute,10,USD,Moon\n"  # line 5: environment
    "2026-11-24,Compute,10,GBP,Prod\n"  # line 6: currency
    "2026-11-24,Compute,10,USD,Dev\n"  # line 7: good
    "2026-11-24,Quantum,-3,USD,Dev\n"  # line 8: category and negative cost
)


@pytest.fixture(autouse=True)
def environments():
    services.environments_seed()


def prod_day(day: date) -> dict[str, Decimal]:
    return dict(
        CostRecord.objects.filter(charge_period_start=day, environment__name="Prod").values_list(
            "service_category", "billed_cost"
        )
    )


def test_a_good_file_is_imported():
    result = services.import_focus(BytesIO(GOOD.encode()), source="nov.csv")
    assert result.ok
    assert (result.rows, result.created, result.updated) == (6, 5, 0)
    assert prod_day(date(2026, 11, 24)) == {
        "Compute": Decimal("180"),
        "Data": Decimal("120"),  # Databases + Storage
        "Network": Decimal("60"),
        "Observability": Decimal("60"),
    }
    test = CostRecord.objects.get(environment__name="Test")
    assert (test.charge_period_start, test.billed_cost, test.billing_currency, test.source) == (
        date(2026, 11, 25),
        Decimal("14"),
        "USD",
        "nov.csv",
    )
    audit = AuditLog.objects.get(action="finance.import_focus")
    assert audit.target == "nov.csv"
    assert audit.after == {
        "rows": 6,
        "created": 5,
        "updated": 0,
        "from": "2026-11-24",
        "to": "2026-11-25",
    }


def test_a_bad_file_reports_each_bad_row_by_line_and_imports_nothing():
    services.seed_costs(days=3, today=date(2026, 11, 25))
    before = list(CostRecord.objects.order_by("pk").values_list("pk", "billed_cost"))
    result = services.import_focus(BytesIO(BAD.encode()), source="bad.csv")
    assert not result.ok
    assert [(e.line, e.reason) for e in result.errors] == [
        (3, "ChargePeriodStart '2026-13-01' is not a real date"),
        (4, "BilledCost 'ten' is not a decimal number"),
        (5, "unknown environment 'Moon' (known: Dev, Prod, Staging, Test)"),
        (6, "BillingCurrency 'GBP' is not USD"),
        (
            8,
            "ServiceCategory 'Quantum' is not tracked (Compute, Databases, Storage, Networking, "
            "Management and Governance); BilledCost -3 is negative",
        ),
    ]
    assert list(CostRecord.objects.order_by("pk").values_list("pk", "billed_cost")) == before
    assert not AuditLog.objects.filter(action="finance.import_focus").exists()


def test_reimporting_a_file_updates_instead_of_duplicating():
    first = services.import_focus(BytesIO(GOOD.encode()))
    again = services.import_focus(BytesIO(GOOD.encode()))
    assert (first.created, first.updated) == (5, 0)
    assert (again.created, again.updated) == (0, 5)
    assert CostRecord.objects.count() == 5
    corrected = GOOD.replace("EC2,180.00", "EC2,175.50")
    result = services.import_focus(BytesIO(corrected.encode()))
    assert (result.created, result.updated) == (0, 5)
    assert prod_day(date(2026, 11, 24))["Compute"] == Decimal("175.5")
    assert CostRecord.objects.count() == 5


def test_import_replaces_what_the_seed_had_for_those_days():
    services.seed_costs(days=2, today=date(2026, 11, 25))
    result = services.import_focus(BytesIO(GOOD.encode()))
    assert (result.created, result.updated) == (0, 5)
    assert prod_day(date(2026, 11, 24))["Data"] == Decimal("120")
    assert CostRecord.objects.get(
        charge_period_start=date(2026, 11, 24), environment__name="Prod", service_category="Data"
    ).source.startswith("upload")


def test_the_command_imports_a_path(tmp_path):
    path = tmp_path / "focus.csv"
    path.write_text(GOOD)
    out = StringIO()
    call_command("import_focus", str(path), stdout=out)
    assert "6 rows imported (5 cost records added, 0 updated)" in out.getvalue()
    assert CostRecord.objects.get(environment__name="Test").source == "focus.csv"


def test_the_command_prints_each_bad_line_and_fails(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    err = StringIO()
    with pytest.raises(CommandError, match="5 bad rows; nothing imported"):
        call_command("import_focus", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert [line.split(": ", 2)[1] for line in lines] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 8",
    ]
    assert CostRecord.objects.count() == 0


@pytest.mark.django_db(transaction=True)  # the command's own process reads committed rows
def test_the_command_exits_non_zero(tmp_path):
    services.environments_seed()
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    db = connection.settings_dict
    env = {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PATH": "/usr/bin:/bin",
        "DJANGO_SECRET_KEY": os.environ["DJANGO_SECRET_KEY"],  # no process starts without one
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "import_focus", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 1
    assert "line 3: ChargePeriodStart '2026-13-01' is not a real date" in done.stderr
    assert "5 bad rows; nothing imported" in done.stderr


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_focus", str(tmp_path / "missing.csv"))


# --- the admin upload ----------------------------------------------------------------------

IMPORT_URL = "/admin/finance/costrecord/import-focus/"


def upload(client: Client, name: str, content: str):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content.encode())})


def test_the_changelist_links_to_the_import_for_finance():
    client = Client()
    client.force_login(finance_user())
    page = client.get("/admin/finance/costrecord/")
    assert page.status_code == 200
    assert IMPORT_URL.encode() in page.content
    assert client.get(IMPORT_URL).status_code == 200


def test_admin_upload_of_a_good_file(settings):
    user = finance_user()
    client = Client()
    client.force_login(user)
    answer = upload(client, "nov.csv", GOOD)
    assert answer.status_code == 302
    assert answer["Location"] == "/admin/finance/costrecord/"
    assert CostRecord.objects.count() == 5
    follow = client.get(answer["Location"])
    assert b"Imported nov.csv: 6 rows (5 cost records added, 0 updated)." in follow.content
    assert AuditLog.objects.get(action="finance.import_focus").actor == user


def test_admin_upload_of_a_bad_file_lists_each_line_and_imports_nothing():
    client = Client()
    client.force_login(finance_user())
    answer = upload(client, "bad.csv", BAD)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "bad.csv: 5 bad rows. Nothing was imported" in html
    for line in ("<td>3</td>", "<td>4</td>", "<td>5</td>", "<td>6</td>", "<td>8</td>"):
        assert line in html
    assert "<td>2</td>" not in html and "<td>7</td>" not in html
    assert "unknown environment &#x27;Moon&#x27;" in html
    assert CostRecord.objects.count() == 0


def test_admin_upload_is_for_the_finance_role_only():
    staff = UserFactory(roles=[roles.STAFF], is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, "nov.csv", GOOD).status_code == 403
    assert CostRecord.objects.count() == 0
    assert IMPORT_URL.encode() not in client.get("/admin/finance/costrecord/").content


def test_admin_budget_change_is_audited():
    client = Client()
    client.force_login(finance_user())
    from backoffice.finance.models import Environment

    dev = Environment.objects.get(name="Dev")
    answer = client.post(
        f"/admin/finance/environment/{dev.pk}/change/",
        {"tag": "Shared", "monthly_budget": "2500.00", "position": "1"},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    dev.refresh_from_db()
    assert dev.monthly_budget == Decimal("2500")
    audit = AuditLog.objects.get(action="finance.set_budget")
    assert (audit.target, audit.before, audit.after) == (
        "Dev",
        {"monthly_budget": "2000.00"},
        {"monthly_budget": "2500.00"},
    )
