"""The admin's risk limits page: staff edit a scope (audited, through trading-core), finance
reads, others are refused; a bad number is a form error and nothing changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.audit.models import AuditLog
from infra.store.api import run
from tests.integration.backoffice.conftest import client_for
from trading.domain.risk import ANY, LIMIT_NAMES
from trading.services import risk

pytestmark = pytest.mark.django_db

FORM = {name: "" for name in LIMIT_NAMES}


def limits(db, trader_id, instrument):
    return run(db, lambda tr: risk.limits_at(tr, trader_id, instrument))


def test_staff_set_a_traders_limit_and_it_is_audited(store, staff_client, trader):
    url = reverse("risk_limits")
    page = staff_client.get(url)
    assert page.status_code == 200
    assert b"BTC-USD" in page.content and b"max_order_quantity" in page.content
    data = {**FORM, "trader": trader.trader_id, "instrument": "BTC-USD", "max_order_quantity": "2"}
    answer = staff_client.post(url, data)
    assert answer.status_code == 302
    assert limits(store, trader.trader_id, "BTC-USD").max_order_quantity == Decimal(2)
    effective = run(store, lambda tr: risk.effective_limits(tr, trader.trader_id, "BTC-USD"))
    assert effective.price_band == Decimal("0.10")  # the rest is inherited
    (row,) = AuditLog.objects.filter(action="risk.limits")
    assert row.target == f"risk:{trader.trader_id}/BTC-USD"
    assert row.before["max_order_quantity"] is None and row.after["max_order_quantity"] == "2"
    shown = staff_client.get(f"{url}?trader={trader.trader_id}&instrument=BTC-USD")
    assert b'value="2"' in shown.content


def test_a_bad_limit_is_a_form_error_naming_the_field_and_nothing_changes(store, staff_client):
    before = limits(store, ANY, "BTC-USD")
    data = {**FORM, "trader": ANY, "instrument": "BTC-USD", "price_band": "5%"}
    answer = staff_client.post(reverse("risk_limits"), data)
    assert answer.status_code == 200
    assert answer.context["form"].errors["price_band"]
    assert limits(store, ANY, "BTC-USD") == before
    assert not AuditLog.objects.filter(action="risk.limits").exists()


def test_finance_reads_the_limits_but_cannot_change_them(store, finance):
    client = client_for(finance)
    assert client.get(reverse("risk_limits")).status_code == 200
    data = {**FORM, "trader": ANY, "instrument": ANY, "orders_per_second": "1"}
    assert client.post(reverse("risk_limits"), data).status_code == 403
    assert limits(store, ANY, ANY).orders_per_second == 500


def test_ops_cannot_see_the_limits(store, ops):
    assert client_for(ops).get(reverse("risk_limits")).status_code == 403


def test_the_admin_index_and_the_traders_page_link_the_limits(store, staff_client, trader):
    index = staff_client.get(reverse("admin:index"))
    assert b'href="/admin/risk-limits/"' in index.content
    page = staff_client.get(reverse("admin:backoffice_trader_change", args=[trader.user.pk]))
    assert (
        f"/admin/risk-limits/?trader={trader.trader_id}&amp;instrument=*".encode() in page.content
    )
