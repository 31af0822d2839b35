"""Manual adjustments in a real browser (Chromium via Playwright) against the live server:
an overdraft and a typed "12abc" are refused with the reason; a posted adjustment submitted
again after the browser's Back posts nothing, and the page says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Browser, Page, expect

from infra.store.api import Database, run
from kernel import roles
from ledger import journal
from tests.browser.conftest import new_page, screenshot
from tests.support.api import make_trader, store

__all__ = ["store"]  # the fixture: this test's own seeded store, swapped in as database()

PASSWORD = "staff-pass-123"


@pytest.fixture
def trader(store: Database, transactional_db: None) -> Any:
    User.objects.create_user("adjust-staff", password=PASSWORD, is_staff=True).groups.add(
        Group.objects.get_or_create(name=roles.STAFF)[0]
    )
    return make_trader()


@pytest.fixture
def staff_page(browser: Browser, live_server: Any, trader: Any) -> Iterator[Page]:
    page = new_page(browser, live_server.url)
    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto("/admin/login/?next=/admin/")
    page.fill("input[name=username]", "adjust-staff")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    yield page
    page.context.close()


def usd(store: Database, trader: Any) -> int:
    account = f"trader:{trader.trader_id}"
    return run(store, lambda tr: journal.balance(tr, account, "USD"))


def fill(page: Page, amount: str) -> None:
    page.select_option("select[name=asset]", "USD")
    page.fill("input[name=amount]", amount)
    page.fill("input[name=reason]", "browser test")
    page.locator("#adjustment-form input[type=submit]").click()


def test_adjustments_refuse_overdrafts_and_typos_and_post_once(staff_page, store, trader):
    page = staff_page
    start = usd(store, trader)
    page.goto(f"/admin/backoffice/trader/adjust/?trader={trader.user.pk}")
    expect(page).to_have_url(re.compile(r"submission=[0-9a-f-]{36}"))
    assert page.get_attribute("input[name=amount]", "type") == "text"  # never a number field
    fill(page, "-99999999")
    expect(page.locator(".errorlist")).to_contain_text("below zero")
    fill(page, "12abc")
    expect(page.locator(".errorlist")).to_contain_text("not a number")
    assert usd(store, trader) == start
    form_url = page.url
    fill(page, "-125.5")
    expect(page.locator("ul.messagelist")).to_contain_text("posted")
    expect(page).to_have_url(re.compile(rf"/admin/backoffice/trader/{trader.user.pk}/change/$"))
    assert usd(store, trader) == start - 125_5000_0000
    page.go_back()  # the browser's Back: the same form, the same submission id
    expect(page).to_have_url(form_url)
    expect(page.locator("#already-submitted")).to_contain_text("already submitted")
    fill(page, "-125.5")
    expect(page.locator("ul.messagelist")).to_contain_text("nothing changed")
    page.goto(form_url)  # a reload says the same
    expect(page.locator("#already-submitted")).to_be_visible()
    screenshot(page, "adjustment-already-submitted")
    assert usd(store, trader) == start - 125_5000_0000
