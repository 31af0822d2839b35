"""Staff set a trader's risk limit in the admin, in a real browser: the index links the page,
the form saves the scope, the table shows it and the store has it."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from infra.store.api import run
from tests.browser.conftest import screenshot
from tests.browser.test_adjustments import staff_page, store, trader
from trading.domain.risk import Limits
from trading.services import risk

__all__ = ["staff_page", "store", "trader"]  # fixtures


def test_staff_set_a_traders_limit_from_the_admin(staff_page, store, trader):
    page = staff_page
    page.locator("#risk-module a", has_text="Risk limits").click()
    expect(page.locator("h1")).to_have_text("Pre-trade risk limits")
    expect(page.locator("#risk-scopes tbody tr")).to_have_count(3)  # the seeded defaults
    expect(page.locator("input[name=orders_per_second]")).to_have_value("500")  # every trader
    picker = page.locator("#risk-scope-picker")
    picker.locator("select[name=trader]").select_option(trader.trader_id)
    picker.locator("select[name=instrument]").select_option("BTC-USD")
    picker.locator("input[type=submit]").click()
    expect(page.locator("#risk-scope-name")).to_contain_text("/ BTC-USD")
    # The scope's own values (none yet), with what it inherits shown in each field.
    quantity = page.locator("input[name=max_order_quantity]")
    expect(quantity).to_have_value("")
    expect(quantity).to_have_attribute("placeholder", "inherited: 25")
    expect(page.locator("input[name=orders_per_second]")).to_have_value("")
    quantity.fill("0.5")
    page.fill("input[name=price_band]", "5%")  # a typo: refused, nothing saved
    page.locator("#risk-limits-form input[type=submit]").click()
    expect(page.locator(".errorlist")).to_contain_text("plain decimal number")
    assert run(store, lambda tr: risk.limits_at(tr, trader.trader_id, "BTC-USD")) is None
    page.fill("input[name=price_band]", "")
    page.locator("#risk-limits-form input[type=submit]").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Risk limits saved")
    expect(page.locator("#risk-scopes tbody tr")).to_have_count(4)
    expect(page.locator("input[name=max_order_quantity]")).to_have_value("0.5")
    saved = run(store, lambda tr: risk.limits_at(tr, trader.trader_id, "BTC-USD"))
    assert saved == Limits(max_order_quantity=Decimal("0.5"))  # nothing else copied in
    screenshot(page, "admin-risk-limits")
