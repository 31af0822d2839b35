"""Finance in Chromium: a date range, a tooltip on a trend point, and a chart segment that
leads to the cost records behind it. Screenshots: finance-range.png, finance-records.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_finance_dashboard import sign_in
from tests.integration.finance.factories import finance_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_finance_narrows_the_range_reads_a_point_and_drills_down(live_server, page):
    call_command("seed_finance")
    sign_in(page, live_server.url, finance_user(username="fay").username)
    today = timezone.localdate()
    start = today - timedelta(days=6)
    page.fill("#range-form input[name=from]", start.isoformat())
    page.click("#range-form button[type=submit]")
    expect(page).to_have_url(re.compile(rf"from={start.isoformat()}"))
    points = page.locator("#trend-chart circle.trend-point")
    expect(points).to_have_count(4 * 7)  # four environments, seven days, a tooltip each
    title = points.first.locator("title").text_content()
    assert re.fullmatch(r"\w+: \$[\d,.]+k?/day on \d\d \w{3} \d{4}", title or ""), title
    screenshot(page, "finance-range")

    page.locator("#breakdown-chart a:has(rect[data-category=Compute])").first.click()
    expect(page.locator("h1")).to_contain_text("Cost records")
    expect(page.locator("h1")).to_contain_text("Compute")
    expect(page.locator("#records-table tbody tr")).to_have_count(7)  # one a day in the range
    screenshot(page, "finance-records")
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page).to_have_url(re.compile(rf"/finance/\?from={start.isoformat()}"))
