"""The finance dashboard in a real Chromium against pytest-django's live server (real HTTP,
a real server thread, the PostgreSQL test database): sign in through /login as a finance user,
read the four environment cards, the over-budget flag, the charts, and download the CSV."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.integration.finance.factories import PASSWORD, UserFactory, finance_user

pytestmark = pytest.mark.django_db(transaction=True)

CARDS = {"Test": "$38/day", "Dev": "$74/day", "Staging": "$156/day", "Prod": "$420/day"}
MONTHLY = {"Test": "$1.14k/month", "Dev": "$2.22k/month", "Staging": "$4.68k/month"}


def sign_in(page: Page, base_url: str, username: str, next_path: str = "/finance/") -> None:
    page.goto(f"{base_url}{next_path}")
    expect(page).to_have_url(re.compile(rf"/login\?next={re.escape(next_path)}$"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_finance_user_sees_the_four_cards_and_the_over_budget_flag(live_server, page):
    call_command("seed_finance")
    user = finance_user(username="fiona")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    external: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:"))
            else external.append(request.url)
        ),
    )

    sign_in(page, live_server.url, user.username)
    expect(page).to_have_url(f"{live_server.url}/finance/")
    expect(page.locator("h1")).to_have_text("Environment costs")
    expect(page.locator(".site-nav a[aria-current=page]")).to_have_text("Finance")
    expect(page.locator(".user-name")).to_have_text("fiona")

    cards = page.locator(".env-card")
    expect(cards).to_have_count(4)
    for name, daily in CARDS.items():
        card = page.locator(f".env-card[data-environment='{name}']")
        expect(card.locator(".env-title")).to_have_text(name)
        expect(card.locator(".cost-daily")).to_have_text(daily)
    for name, monthly in MONTHLY.items():
        expect(page.locator(f".env-card[data-environment='{name}'] .cost-monthly")).to_have_text(
            monthly
        )
    expect(page.locator(".env-card[data-environment='Prod'] .cost-monthly")).to_have_text(
        "$12.6k/month"
    )
    expect(page.locator(".env-card[data-environment='Prod'] .env-tag")).to_have_text("Critical")
    expect(page.locator(".env-card[data-environment='Test'] .lane-pill")).to_have_text(
        ["1 AZ", "No DR", "Ephemeral data"]
    )

    # Dev's $74/day runs past its $2,000 budget; the others stay within theirs.
    expect(page.locator("[data-flag=over-budget]")).to_have_count(1)
    expect(page.locator(".env-card[data-environment='Dev'] [data-flag=over-budget]")).to_have_text(
        "Over budget"
    )
    expect(page.locator("#total-daily")).to_have_text("$688/day")

    # server-side SVG: 4 bars of 4 segments, 4 trend lines; no volume yet for unit costs
    expect(page.locator("#breakdown-chart rect.segment")).to_have_count(16)
    expect(page.locator("#trend-chart polyline.trend-line")).to_have_count(4)
    expect(page.locator("#no-volume")).to_contain_text("No trading volume yet")
    expect(page.locator("#breakdown-table tbody tr")).to_have_count(4)

    path = screenshot(page, "finance-dashboard")
    assert path.stat().st_size > 10_000
    assert errors == []
    assert failed == []
    assert external == []  # every asset is served by the site itself

    # (a download ends its request as "aborted" in Chromium: checked after the others)

    with page.expect_download() as download:
        page.click("#download-csv")
    csv_path = download.value.path()
    text = csv_path.read_text()
    assert text.splitlines()[0].startswith("Environment,Tag,ComputePerDay")
    assert "Dev,Shared,28.00,18.00,8.00,20.00,74.00,2220.00,2000.00," in text


def test_a_user_without_the_finance_role_is_refused(live_server, page):
    UserFactory(username="trader-tom")
    sign_in(page, live_server.url, "trader-tom")
    expect(page.locator("body")).to_contain_text("403")
    assert page.locator(".env-card").count() == 0
