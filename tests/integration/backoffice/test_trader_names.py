"""Staff see traders by name: "T7 (alice)" wherever the admin or a report shows a trader id."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice import services
from backoffice.models import Order
from backoffice.rebuild import read_models_rebuild
from tests.integration.backoffice.conftest import Seed, place
from tests.support.api import make_trader


@pytest.fixture
def named(seed: Seed) -> Seed:
    user = seed.trader.user
    user.first_name, user.last_name = "Alice", "Moreau"
    user.username = f"alice-{uuid.uuid4().hex[:8]}"  # no other username contains it
    user.save()
    read_models_rebuild()
    return seed


def label(seed: Seed) -> str:
    return f"{seed.trader.trader_id} (Alice Moreau, {seed.trader.user.username})"


def cells(page: str, css: str) -> list[str]:
    """The texts of a column (a list's first column is a <th>, the others <td>)."""
    found = re.findall(rf'<t[dh] class="{css}">(.*?)</t[dh]>', page, re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in found]


def test_admin_lists_show_the_traders_name_beside_the_id(named: Seed, staff_client):
    other = make_trader()  # a second trader on the page: each row its own name
    place(named.db, other.trader_id, quantity="0.5", limit_price="9990")
    read_models_rebuild()
    orders = staff_client.get(reverse("admin:backoffice_order_changelist")).content.decode()
    shown = cells(orders, "field-trader")
    assert sorted(shown) == sorted([label(named), f"{other.trader_id} ({other.user.username})"])
    fills = staff_client.get(reverse("admin:backoffice_fill_changelist")).content.decode()
    assert set(cells(fills, "field-trader")) == {label(named)}
    positions = staff_client.get(reverse("admin:backoffice_position_changelist")).content.decode()
    assert cells(positions, "field-trader") == [label(named)]
    balances = staff_client.get(reverse("admin:backoffice_balance_changelist")).content.decode()
    accounts = cells(balances, "field-account_named")
    assert f"trader:{label(named)}" in accounts
    assert "venue:SIM-A:clearing" in accounts  # not a trader: as it is


def test_a_list_looks_the_names_up_once_not_per_row(named: Seed, staff_client):
    for _ in range(5):
        place(named.db, named.trader.trader_id, quantity="0.1", limit_price="9000")
    read_models_rebuild()
    url = reverse("admin:backoffice_order_changelist")
    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get(url).content.decode()
    assert cells(page, "field-trader").count(label(named)) == 6
    user_reads = [q for q in queries if '"auth_user"."id" IN (' in q["sql"]]
    assert len(user_reads) == 1


def test_an_order_page_and_the_audit_log_name_the_trader(named: Seed, staff, staff_client):
    pk = Order.objects.get(order_id=named.order_id).pk
    page = staff_client.get(reverse("admin:backoffice_order_change", args=[pk])).content.decode()
    assert label(named) in page
    services.trader_set_halted(user=staff, trader_id=named.trader.trader_id, halted=True)
    log = staff_client.get(reverse("admin:audit_auditlog_changelist")).content.decode()
    assert cells(log, "field-target_named") == [f"trader:{label(named)}"]


def test_searching_orders_by_username_finds_that_traders_orders(named: Seed, staff_client):
    other = make_trader()
    place(named.db, other.trader_id, quantity="0.5", limit_price="9990")
    read_models_rebuild()
    url = reverse("admin:backoffice_order_changelist")
    page = staff_client.get(url, {"q": named.trader.user.username})
    assert [o.order_id for o in page.context["cl"].result_list] == [named.order_id]


def test_reports_name_the_trader(named: Seed, staff_client):
    positions = staff_client.get("/reports/positions").content.decode()
    assert cells(positions, "trader") == [label(named)]
    trial = staff_client.get("/reports/trial-balance").content.decode()
    assert f"<td>trader:{label(named)}</td>" in trial
    csv = staff_client.get("/reports/positions.csv").content.decode().splitlines()
    assert csv[1].startswith(
        f'{named.trader.trader_id},"Alice Moreau, {named.trader.user.username}",'
    )
