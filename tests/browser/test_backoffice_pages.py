"""The back office in a real browser (Chromium driven by Playwright) against the live server:
staff signs in to the admin, opens the seed's order, cancels an open one, reads the trial
balance. Screenshots go to var/screenshots/ (admin-order.png, trial-balance.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from backoffice.models import Order
from backoffice.rebuild import read_models_rebuild
from infra.store.api import Database, run
from kernel import roles
from tests.browser.conftest import new_page, screenshot
from tests.support.api import fill_seed_order, make_trader, store
from tests.support.reports import NOW
from trading.invariants import find_violations
from trading.repository import Repository
from trading.services.place import PlaceOrder, place_order

__all__ = ["store"]  # the fixture: this test's own seeded store, swapped in as database()

PASSWORD = "staff-pass-123"


@pytest.fixture
def seeded(store: Database, transactional_db: None) -> dict[str, Any]:
    """The seed's order filled, one order still open, read models built, a staff user."""
    trader = make_trader()
    orders = []
    for order_id, quantity, limit in (
        ("O-web-seed", "3.0", "10000"),
        ("O-web-open", "0.5", "9990"),
    ):
        command = PlaceOrder(trader.trader_id, order_id, "BTC-USD", "buy", quantity, limit)
        orders.append(run(store, partial(place_order, command=command, now=NOW)).order.order_id)
    fill_seed_order(store, orders[0])
    read_models_rebuild()
    staff = User.objects.create_user("web-staff", password=PASSWORD, is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=roles.STAFF)[0])
    return {"db": store, "trader": trader, "filled": orders[0], "open": orders[1]}


@pytest.fixture
def staff_page(browser: Browser, live_server: Any, seeded: dict[str, Any]) -> Iterator[Page]:
    page = new_page(browser, live_server.url)  # the shared launch and context (conftest.py)
    context = page.context
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    page.goto("/admin/login/?next=/admin/")
    page.fill("input[name=username]", "web-staff")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def test_staff_opens_the_seed_order_in_the_admin(staff_page, seeded):
    page = staff_page
    expect(page.locator("#content")).to_contain_text("Back office")
    page.get_by_role("link", name="Orders").first.click()
    expect(page.locator("#result_list")).to_contain_text(seeded["filled"])
    page.get_by_role("link", name=seeded["filled"]).click()
    expect(page.locator("table.attempts tbody tr")).to_have_count(2)
    expect(page.locator("table.attempts")).to_contain_text("EA-2")
    expect(page.locator("#store-order")).to_contain_text("filled")
    expect(page.locator("tr.raw-report")).to_have_count(5)
    expect(
        page.locator("#fills-group tbody tr.has_original, #fills-group tbody tr")
    ).not_to_have_count(0)
    expect(page.locator("#fills-group")).to_contain_text(f"{seeded['filled']}-F2")
    expect(page.locator("#cancel-order-form")).to_have_count(0)  # it has ended
    screenshot(page, "admin-order")


def test_staff_cancels_an_open_order_from_its_page(staff_page, seeded):
    page = staff_page
    pk = Order.objects.get(order_id=seeded["open"]).pk
    page.goto(f"/admin/backoffice/order/{pk}/change/")
    page.locator("#cancel-order-form button").click()
    expect(page.locator("ul.messagelist")).to_contain_text("cancel_pending")
    expect(page).to_have_url(re.compile(rf"/admin/backoffice/order/{pk}/change/$"))
    state = run(seeded["db"], lambda tr: Repository(tr).order(seeded["open"])).state.value
    assert state == "cancel_pending"
    assert run(seeded["db"], find_violations) == []


def test_staff_reads_the_trial_balance(staff_page, seeded):
    page = staff_page
    page.goto("/reports/trial-balance")
    expect(page.locator("#trial-status")).to_have_text("every asset sums to zero")
    btc = page.locator(".trial-asset[data-asset='BTC']")
    expect(
        btc.locator(f"tr[data-account='trader:{seeded['trader'].trader_id}'] td.num")
    ).to_have_text("103")
    expect(btc.locator(".total-amount")).to_have_text("0")
    expect(page.locator(".trial-asset")).to_have_count(3)
    screenshot(page, "trial-balance")
    with page.expect_download() as download:
        page.locator("a.csv").first.click()
    assert download.value.suggested_filename == "trial-balance.csv"
