"""A pre-trade risk refusal on the trader's page (Chromium, the live server, a seeded store):
the ticket shows the refusal under the field, naming the limit, and nothing is placed."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from infra.store.api import run
from tests.browser.test_trader_page import (
    chromium,
    page_errors,
    place_on_ticket,
    placed_order_id,
    screenshot,
    store,
    trader_page,
    web_trader,
)
from trading.domain.risk import Limits
from trading.repository import Repository
from trading.services import risk

__all__ = ["chromium", "page_errors", "store", "trader_page", "web_trader"]  # fixtures


def test_the_ticket_shows_the_limit_that_refused_the_order(
    trader_page, page_errors, store, web_trader
):
    page = trader_page
    page_errors.allow("status of 400 (Bad Request)")  # the refusals this test asks for
    place_on_ticket(page, quantity="50", limit_price="10000")
    page.locator("#ticket-submit").click()
    error = page.locator("#ticket [data-error-for=quantity]")
    expect(error).to_have_text(
        "quantity 50 is over the limit 25 BTC per order (max_order_quantity)"
    )
    status = page.locator("#ticket-status")
    expect(status).to_have_text(
        "The order was refused by the risk limit max_order_quantity: see the fields marked."
    )
    expect(status).to_have_attribute("data-limit", "max_order_quantity")
    screenshot(page, "trader-page-risk-refusal")

    place_on_ticket(page, quantity="1", limit_price="11000")  # the best ask is 9980, band 10%
    page.locator("#ticket-submit").click()
    band = page.locator("#ticket [data-error-for=limit_price]")
    expect(band).to_contain_text("more than 10% above the last venue price 9980: at most 10978")
    expect(band).to_contain_text("(price_band)")
    expect(error).to_be_hidden()
    trader_id = web_trader["trader_id"]
    assert run(store, lambda tr: Repository(tr).trader_order_ids(trader_id)) == []

    # Staff lower this trader's limit: the next order is refused by it, then a smaller passes.
    mine = Limits(max_order_quantity=Decimal("0.5"))
    run(store, lambda tr: risk.set_limits(tr, trader_id, "BTC-USD", mine))
    place_on_ticket(page, quantity="1", limit_price="10000")
    page.locator("#ticket-submit").click()
    expect(error).to_have_text(
        "quantity 1 is over the limit 0.5 BTC per order (max_order_quantity)"
    )
    place_on_ticket(page, quantity="0.5", limit_price="10000")
    page.locator("#ticket-submit").click()
    placed_order_id(page)
    expect(status).not_to_have_attribute("data-limit", "max_order_quantity")
