"""The order drill-down after a reload: the state history comes from the platform, not the page.

The whole platform as `make run` starts it (venues, Kafka, ingest, the back-office projector):
the trader places the seed's order, it fills, the page is reloaded (it then knows only the
latest snapshot), and the drill-down still shows every change of state, from
GET /api/v1/orders/{order_id}/history.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_trader_page import (
    PLATFORM_MS,
    PageErrors,
    new_page,
    place_on_ticket,
    placed_order_id,
    put_seed_books,
    row,
    screenshot,
    sign_in,
)
from tests.support.platform import RunningPlatform, eventually, start_platform

HISTORY = "o => fetch(`/api/v1/orders/${o}/history`).then(r => r.json())"


@pytest.fixture(scope="module")
def running_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path_factory.mktemp("platform"))
    yield running
    running.stop()


def projected(page: Page, order_id: str) -> list[dict[str, Any]]:
    """The order's history as the endpoint answers it (the page's own session)."""
    return list(page.evaluate(HISTORY, order_id)["results"])


@pytest.mark.slow
def test_after_a_reload_the_drill_down_shows_the_order_s_whole_history(
    running_platform: RunningPlatform, browser: Browser
) -> None:
    platform = running_platform
    with httpx.Client(base_url=f"{platform.simulator_url}/control", timeout=10) as control:
        put_seed_books(platform, control)
    page = new_page(browser, platform.url)
    try:
        errors = PageErrors(page)
        sign_in(page, "demo")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=PLATFORM_MS)
        place_on_ticket(page, quantity="3.0", limit_price="10000")
        page.locator("#ticket-submit").click()
        order_id = placed_order_id(page)
        progress = row(page, order_id).locator(".progress")
        expect(progress).to_have_text("3 / 3 BTC filled", timeout=PLATFORM_MS)
        seq = int(row(page, order_id).get_attribute("data-seq") or 0)
        assert seq > 1
        # The projector lags a fraction of a second: the test waits for it, the page does not.
        eventually(
            lambda: [s["seq"] for s in projected(page, order_id)] == list(range(1, seq + 1)),
            PLATFORM_MS / 1000,
            what="the projector's history of the order",
        )

        page.reload()
        the_row = row(page, order_id)
        expect(the_row.locator(".state")).to_have_attribute("data-state", "filled")
        the_row.locator("button.order-id").click()
        dialog = page.locator("#order-details")
        expect(dialog).to_be_visible()
        steps = dialog.locator(".details-history tr[data-seq]")
        expect(steps.locator("td:first-child")).to_have_text([str(n) for n in range(1, seq + 1)])
        expect(steps.first.locator("td").nth(3)).to_have_text("0")
        expect(steps.last.locator("td").nth(2)).to_contain_text("filled")
        expect(steps.last.locator("td").nth(3)).to_have_text("3")
        expect(dialog.locator(".details-history .error")).to_have_count(0)
        expect(dialog.locator(".details-fills tr[data-fill-id]")).to_have_count(2)
        screenshot(page, "trader-page-order-history")
        errors.assert_none()
    finally:
        page.context.close()
