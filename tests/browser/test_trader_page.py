"""The trader's page in a real browser (Chromium driven by Playwright).

Two levels:
- the whole platform as `make run` starts it: sign in, place the seed's order on the ticket and
  watch the blotter go "1.2 / 3 BTC filled" then "3 / 3 BTC filled" over the real websocket;
- the page alone, against pytest-django's live server and a seeded store, with the websocket
  replaced by a fake the test drives: rendering, the ticket, field errors, and the delta rule
  (apply seq = held + 1, ignore old ones, fetch the snapshot on a gap or an unknown order,
  re-read the list on reconnect).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from infra.store import open_database
from infra.store.api import Database, run
from kernel.ids import trader_id_for
from tests.browser.conftest import new_page as shared_new_page
from tests.support.api import apply, store
from tests.support.platform import ROOT, RunningPlatform, eventually, start_platform
from tests.support.reports import report
from trading.accounts import create_trader
from trading.api import selectors
from trading.repository import Repository
from trading.services import reference
from trading.services.place import PlaceOrder, new_order_id, place_order
from wiring.management.commands.seed_platform import DEMO_PASSWORD

__all__ = ["store"]  # the fixture, imported to be used here

SCREENSHOTS = ROOT / "var" / "screenshots"
TIMEOUT_MS = 20_000
# Assertions wait as long as actions do: a loaded CI machine is slow, never wrong.
expect.set_options(timeout=TIMEOUT_MS)
PLATFORM_MS = 30_000  # a step of the real platform (venue, Kafka, ingest, websocket)
SEED_BOOKS = {"SIM-A": [["9980", "1.2"]], "SIM-B": [["9985", "5"]]}
_names = itertools.count(1)


# --- browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium(browser: Browser) -> Browser:
    """The shared launch (tests/browser/conftest.py)."""
    return browser


class PageErrors:
    """Uncaught errors and console errors of a page: a healthy page has none."""

    def __init__(self, page: Page | None = None) -> None:
        self.errors: list[str] = []
        self.allowed: list[str] = []
        if page is not None:
            self.watch(page)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def allow(self, text: str) -> None:
        """Console errors containing `text` are expected (e.g. a 400 the test provokes)."""
        self.allowed.append(text)

    def _console(self, message: Any) -> None:
        if message.type == "error" and not any(a in message.text for a in self.allowed):
            self.errors.append(f"console: {message.text}")

    def assert_none(self) -> None:
        assert self.errors == []


def new_page(browser: Browser, base_url: str) -> Page:
    """A page in a fresh context (its own cookies); close it with page.context.close()."""
    page = shared_new_page(browser, base_url)
    # The site has no icon (yet): a 404 for it would read as an error of the page.
    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return page


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#trader-page")).to_be_visible()


def place_on_ticket(page: Page, **fields: str) -> None:
    ticket = page.locator("#ticket")
    expect(ticket.locator("select[name=instrument] option[value='BTC-USD']")).to_have_count(1)
    ticket.locator("select[name=instrument]").select_option(fields.get("instrument", "BTC-USD"))
    ticket.locator(f".side-{fields.get('side', 'buy')}").click()
    ticket.locator("input[name=quantity]").fill(fields.get("quantity", ""))
    ticket.locator("input[name=limit_price]").fill(fields.get("limit_price", ""))
    ticket.locator("select[name=time_in_force]").select_option(fields.get("time_in_force", ""))
    ticket.locator("select[name=venue]").select_option(fields.get("venue", ""))


def placed_order_id(page: Page) -> str:
    status = page.locator("#ticket-status[data-order-id]")
    expect(status).to_contain_text("accepted")
    order_id = status.get_attribute("data-order-id")
    assert order_id
    return order_id


def row(page: Page, order_id: str) -> Any:
    return page.locator(f"#blotter tr[data-order-id='{order_id}']")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Every progress text the row of `orderId` shows, in order, as the page shows them.
WATCH_PROGRESS = """orderId => {
  window.progressSeen = [];
  const note = () => {
    const el = document.querySelector(`#blotter tr[data-order-id="${orderId}"] .progress`);
    const text = el ? el.textContent : null;
    if (text && window.progressSeen.at(-1) !== text) window.progressSeen.push(text);
  };
  note();
  new MutationObserver(note).observe(document.getElementById("blotter"),
    {subtree: true, childList: true, characterData: true});
}"""


# --- the whole platform ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def running_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path_factory.mktemp("platform"))
    yield running
    running.stop()


def venues_ready(platform: RunningPlatform, books: dict[str, list[list[str]]]) -> bool:
    """Every venue's stream is up and the router knows its best ask of `books`."""
    db = open_database(path=platform.store_path)
    try:

        def read(tr: Any) -> bool:
            repo = Repository(tr)
            if not all(v.status.available for v in repo.venues()):
                return False
            for venue, asks in books.items():
                quote = repo.quote(venue, "BTC-USD")
                if quote is None or quote.best_ask != Decimal(asks[0][0]):
                    return False
            return True

        return run(db, read)
    finally:
        db.close()


def put_seed_books(platform: RunningPlatform, control: httpx.Client) -> None:
    """Once every venue's stream is up, the seed's books at each venue, seen by the router."""
    eventually(lambda: venues_ready(platform, {}), what="every venue's stream up")
    for venue, asks in SEED_BOOKS.items():
        book = {"asks": asks, "bids": [["9900", "5"]]}
        control.put(f"/books/{venue}/BTC-USD", json=book).raise_for_status()
    eventually(lambda: venues_ready(platform, SEED_BOOKS), what="the seed's quotes")


@pytest.mark.slow
def test_the_seed_order_fills_1_2_then_3_of_3_on_the_trader_page(running_platform, chromium):
    platform = running_platform
    with httpx.Client(base_url=f"{platform.simulator_url}/control", timeout=10) as control:
        put_seed_books(platform, control)
        # EA-2's fill at SIM-B comes 1.5 s after EA-1's at SIM-A: time to see "1.2 / 3".
        control.put("/faults/SIM-B", json={"latency_ms": 1500}).raise_for_status()
        page = None
        try:
            page = new_page(chromium, platform.url)
            errors = PageErrors(page)
            sign_in(page, "demo")
            live = page.locator("#conn")
            expect(live).to_have_attribute("data-state", "live", timeout=PLATFORM_MS)
            expect(page.locator("#balances tr[data-asset='BTC'] .total")).to_have_text("100")

            place_on_ticket(page, quantity="3.0", limit_price="10000")
            page.locator("#ticket-submit").click()
            order_id = placed_order_id(page)
            page.evaluate(WATCH_PROGRESS, order_id)
            progress = row(page, order_id).locator(".progress")

            expect(progress).to_have_text("1.2 / 3 BTC filled", timeout=PLATFORM_MS)
            screenshot(page, "trader-page-partial")
            expect(progress).to_have_text("3 / 3 BTC filled", timeout=PLATFORM_MS)
            the_row = row(page, order_id)
            expect(the_row.locator(".state")).to_have_attribute("data-state", "filled")
            expect(the_row.locator(".avg-price")).to_have_text("9,983")
            expect(the_row.locator(".attempt")).to_have_text(
                ["EA-1 @ SIM-A 1.2/3 expired", "EA-2 @ SIM-B 1.8/1.8 filled"]
            )
            expect(the_row.locator(".btn-cancel")).to_be_hidden()
            expect(page.locator(f"#fills tr[data-order-id='{order_id}']")).to_have_count(2)
            position = page.locator("#positions tr[data-instrument='BTC-USD'] td").nth(1)
            expect(position).to_have_text("3")
            expect(page.locator("#balances tr[data-asset='BTC'] .total")).to_have_text("103")
            screenshot(page, "trader-page-filled")

            seen = page.evaluate("window.progressSeen")
            assert "1.2 / 3 BTC filled" in seen, seen
            assert seen[-1] == "3 / 3 BTC filled", seen
            assert seen.index("1.2 / 3 BTC filled") < seen.index("3 / 3 BTC filled"), seen
            expect(live).to_have_attribute("data-state", "live")
            errors.assert_none()
        finally:
            if page is not None:
                page.context.close()
            for venue in SEED_BOOKS:
                control.put(f"/faults/{venue}", json={}).raise_for_status()


# --- the page alone: live server, seeded store, a fake websocket -----------------------------

# Replaces window.WebSocket: the test plays the ws-gateway through window.fakeSockets.
FAKE_WEBSOCKET = """(() => {
  const sockets = [];
  class FakeWebSocket extends EventTarget {
    constructor(url) {
      super();
      this.url = url; this.readyState = 0; this.sent = [];
      sockets.push(this);
      setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event("open")); }, 0);
    }
    send(data) { this.sent.push(JSON.parse(data)); }
    close(code = 1000) { this.serverClose(code); }
    serverSend(message) {
      this.dispatchEvent(new MessageEvent("message", {data: JSON.stringify(message)}));
    }
    serverClose(code) {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.dispatchEvent(new CloseEvent("close", {code}));
    }
  }
  window.WebSocket = FakeWebSocket;
  window.fakeSockets = sockets;
})();"""


class FakeGateway:
    """The test's side of the fake websocket."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def count(self) -> int:
        return int(self.page.evaluate("window.fakeSockets.length"))

    def sent(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate("window.fakeSockets.at(-1).sent"))

    def push(self, message: dict[str, Any]) -> None:
        self.page.evaluate("m => window.fakeSockets.at(-1).serverSend(m)", message)

    def drop(self, code: int = 1006) -> None:
        self.page.evaluate("c => window.fakeSockets.at(-1).serverClose(c)", code)

    def subscribe(self) -> None:
        eventually(lambda: self.count() and self.sent(), 10, what="the page's subscribe")
        assert self.sent() == [{"action": "subscribe", "orders": "*"}]
        url = self.page.evaluate("window.fakeSockets.at(-1).url")
        assert url == self.page.url.replace("http://", "ws://").rstrip("/") + "/ws/v1/stream"
        self.push({"type": "subscribed"})
        expect(self.page.locator("#conn")).to_have_attribute("data-state", "live")


class Requests:
    """The API paths a page asked for (GET, or the method given), in order."""

    def __init__(self, page: Page, method: str = "GET") -> None:
        self.paths: list[str] = []
        self.method = method
        page.on("request", self._seen)

    def _seen(self, request: Any) -> None:
        if request.method == self.method and "/api/v1/" in request.url:
            self.paths.append(request.url.split("/api/v1", 1)[1])

    def count(self, path: str) -> int:
        return self.paths.count(path)


PASSWORD = "trader-pass-123"


@pytest.fixture
def web_trader(store: Database, transactional_db: None) -> dict[str, str]:
    """A trader with the demo deposits and a password (the live server needs committed rows)."""
    name = f"web-trader-{next(_names)}"
    token = create_trader(name, dict(reference.DEMO_DEPOSITS), password=PASSWORD)
    return {"username": name, "trader_id": trader_id_for(token.user)}


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def trader_page(chromium, live_server, web_trader, page_errors) -> Iterator[Page]:
    page = new_page(chromium, live_server.url)
    page.add_init_script(FAKE_WEBSOCKET)
    page_errors.watch(page)
    try:
        sign_in(page, web_trader["username"], PASSWORD)
        yield page
    finally:
        page.context.close()
    page_errors.assert_none()


def snapshot(db: Database, trader_id: str, order_id: str) -> dict[str, Any]:
    return run(db, lambda tr: selectors.order(tr, trader_id, order_id))


def delta_of(snap: dict[str, Any], last_fill: dict[str, str] | None = None) -> dict[str, Any]:
    """The ws-gateway's order.delta for a snapshot (DESIGN.md, public contract)."""
    fields = ("order_id", "seq", "state", "quantity", "filled_quantity", "remaining_quantity")
    delta = {"type": "order.delta", **{f: snap[f] for f in fields}}
    delta.update(average_price=snap["average_price"], attempts=snap["attempts"])
    if last_fill:
        delta["last_fill"] = {"fill_id": f"F-{last_fill['attempt_id']}", **last_fill}
    return delta


def place_in_store(db: Database, trader_id: str) -> str:
    command = PlaceOrder(
        trader_id=trader_id,
        order_id=new_order_id(),
        instrument="BTC-USD",
        side="buy",
        quantity=Decimal("0.5"),
        limit_price=Decimal("9000"),
    )
    return run(db, lambda tr: place_order(tr, command, datetime.now(UTC))).order.order_id


def test_anonymous_visitors_are_sent_to_sign_in(db):
    answer = Client().get("/")
    assert answer.status_code == 302
    assert answer["Location"] == "/login?next=/"


def test_someone_who_is_not_a_trader_sees_a_notice(db, store):
    user = User.objects.create_user("staff-1", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(user)
    answer = client.get("/")
    assert answer.status_code == 200
    assert b"No trading account" in answer.content
    assert b"trader.js" not in answer.content


def test_the_page_shows_the_trader_s_lists_and_places_an_order(trader_page, store, web_trader):
    page = trader_page
    expect(page.locator("#balances tr[data-asset='USD'] .total")).to_have_text("1,000,000")
    expect(page.locator("#balances tr[data-asset='BTC'] .available")).to_have_text("100")
    expect(page.locator("#blotter tr.empty")).to_have_text("No orders yet.")
    expect(page.locator("#fills tr.empty")).to_have_text("No fills yet.")
    expect(page.locator("#ticket select[name=venue] option")).to_have_text(
        ["Best (router)", "SIM-A", "SIM-B", "SIM-F"]
    )

    place_on_ticket(page, quantity="3.0", limit_price="10000")
    expect(page.locator("#ticket-submit")).to_have_text("Buy BTC")
    posts = Requests(page, "POST")
    page.locator("#ticket-submit").dblclick()  # a double click places one order
    order_id = placed_order_id(page)
    the_row = row(page, order_id)
    expect(the_row.locator(".progress")).to_have_text("0 / 3 BTC filled")
    expect(the_row.locator(".state")).to_have_attribute("data-state", "new")
    expect(the_row.locator(".limit")).to_have_text("10,000")
    expect(the_row.locator(".avg-price")).to_have_text("—")
    expect(the_row.locator(".attempt")).to_have_text(["EA-1 @ SIM-A 0/3 pending"])
    # The buy's USD is held from acceptance: 3 x 10000 + 0.10% fee.
    expect(page.locator("#balances tr[data-asset='USD'] .held")).to_have_text("30,030")
    # A second click's POST would start before the first one's answer: once the ticket is idle
    # again, every request the double click made has been seen.
    expect(page.locator("#ticket-submit")).to_be_enabled()
    assert posts.count("/orders") == 1, posts.paths
    orders = run(store, lambda tr: Repository(tr).trader_order_ids(web_trader["trader_id"]))
    assert len(orders) == 1
    placed = snapshot(store, web_trader["trader_id"], order_id)
    assert placed["client_order_id"].startswith("web-")
    assert (placed["quantity"], placed["limit_price"]) == ("3", "10000")
    screenshot(page, "trader-page-live-server")

    the_row.locator(".btn-cancel").click()
    expect(the_row.locator(".state")).to_have_attribute(
        "data-state", re.compile(r"^(cancel_pending|canceled)$")
    )


def test_a_retry_after_a_lost_answer_does_not_place_twice(
    trader_page, page_errors, store, web_trader
):
    page = trader_page
    page_errors.allow("net::ERR_FAILED")  # the answer this test throws away
    bodies: list[dict[str, Any]] = []

    def lose_first_answer(route: Any) -> None:
        bodies.append(route.request.post_data_json)
        if len(bodies) == 1:
            route.fetch()  # the server places the order...
            route.abort()  # ...but its answer never reaches the page
        else:
            route.continue_()

    page.route("**/api/v1/orders", lose_first_answer)
    place_on_ticket(page, quantity="0.5", limit_price="9000")
    page.locator("#ticket-submit").click()
    expect(page.locator("#ticket-status")).to_contain_text("retry safely")
    page.locator("#ticket-submit").click()
    expect(page.locator("#ticket-status")).to_contain_text("was already placed")
    assert len(bodies) == 2 and bodies[0] == bodies[1], bodies
    assert len(run(store, lambda tr: Repository(tr).trader_order_ids(web_trader["trader_id"]))) == 1

    page.locator("#ticket-submit").click()  # after a definite answer, a click is a new order
    expect(page.locator("#ticket-status")).to_contain_text("accepted")
    assert bodies[2]["client_order_id"] != bodies[0]["client_order_id"]
    expect(page.locator("#blotter tr[data-order-id]")).to_have_count(2)


def test_field_errors_are_shown_next_to_their_fields(trader_page, page_errors, store, web_trader):
    page = trader_page
    page_errors.allow("status of 400 (Bad Request)")  # the refusals this test asks for
    place_on_ticket(page, quantity="abc", limit_price="10000")
    page.locator("#ticket-submit").click()
    error = page.locator("#ticket [data-error-for=quantity]")
    expect(error).to_be_visible()
    expect(error).to_have_text("Enter a quantity, like 0.5: digits and at most one dot.")
    expect(page.locator("#ticket input[name=quantity]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#ticket [data-error-for=limit_price]")).to_be_hidden()
    expect(page.locator("#ticket-status")).to_contain_text("Nothing was sent")
    page.locator("#ticket input[name=quantity]").fill("")
    page.locator("#ticket-submit").click()
    expect(error).to_have_text("Required: enter how much, like 0.5.")

    page.locator("#ticket input[name=quantity]").fill("0.00001")  # under the 0.0001 step
    expect(error).to_be_hidden()  # typing clears the field's error
    page.locator("#ticket-submit").click()
    expect(page.locator("#ticket .field-error.shown, #ticket .form-error.shown")).not_to_have_count(
        0
    )
    screenshot(page, "trader-page-field-errors")
    assert run(store, lambda tr: Repository(tr).trader_order_ids(web_trader["trader_id"])) == []


def test_an_order_resting_at_the_platform_says_where_it_waits(trader_page, store, web_trader):
    page = trader_page
    place_on_ticket(page, quantity="0.5", limit_price="9000")  # below every ask: nothing inside
    page.locator("#ticket-submit").click()
    the_row = row(page, placed_order_id(page))
    expect(the_row.locator(".resting")).to_have_text(
        "resting at the platform, waiting for a price inside the limit"
    )
    expect(the_row.locator(".limit")).to_have_text("9,000")
    screenshot(page, "trader-page-resting")


def test_the_blotter_filters_and_cancels_every_open_order(trader_page, store, web_trader):
    page = trader_page
    placed = []
    for quantity, limit in (("0.5", "9000"), ("0.3", "9001")):  # both rest at the platform
        place_on_ticket(page, quantity=quantity, limit_price=limit)
        page.locator("#ticket-submit").click()
        expect(page.locator("#blotter tr[data-order-id]")).to_have_count(len(placed) + 1)
        placed.append(placed_order_id(page))
    expect(page.locator("#filter-instrument option")).to_have_text(["all", "BTC-USD", "ETH-USD"])
    page.select_option("#filter-instrument", "ETH-USD")
    expect(page.locator("#blotter tr[data-order-id]:visible")).to_have_count(0)
    expect(page.locator("#blotter tr.empty")).to_have_text("No order matches the filters.")
    page.select_option("#filter-instrument", "BTC-USD")
    expect(page.locator("#blotter tr[data-order-id]:visible")).to_have_count(2)

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("#cancel-all").click()
    for order_id in placed:
        expect(row(page, order_id).locator(".state")).to_have_attribute(
            "data-state", re.compile(r"^(canceled|cancel_pending)$")
        )
    assert asked == ["Cancel all 2 open orders? Fills that already happened stay."]
    page.select_option("#filter-state", "filled")
    expect(page.locator("#blotter tr[data-order-id]:visible")).to_have_count(0)
    screenshot(page, "trader-page-filters")


def test_the_blotter_follows_deltas_by_seq(trader_page, store, web_trader):
    page, trader_id = trader_page, web_trader["trader_id"]
    gateway, requests = FakeGateway(page), Requests(page)
    gateway.subscribe()
    place_on_ticket(page, quantity="3.0", limit_price="10000")
    page.locator("#ticket-submit").click()
    order_id = placed_order_id(page)
    the_row, progress = row(page, order_id), row(page, order_id).locator(".progress")
    expect(progress).to_have_text("0 / 3 BTC filled")
    one = f"/orders/{order_id}"

    # seq 2 (EA-1 working) is held + 1: applied, no snapshot read.
    apply(store, report(order_id, "EA-1", "SIM-A", "new", leaves="3.0"))
    seq2 = delta_of(snapshot(store, trader_id, order_id))
    assert seq2["seq"] == 2
    gateway.push(seq2)
    expect(the_row.locator(".attempt")).to_have_text(["EA-1 @ SIM-A 0/3 working"])
    expect(the_row).to_have_attribute("data-seq", "2")

    # seq 3: the partial fill; its last_fill refreshes fills, positions and balances.
    apply(
        store,
        report(
            order_id, "EA-1", "SIM-A", "trade", cum="1.2", leaves="1.8", qty="1.2", price="9980"
        ),
    )
    fill = {"attempt_id": "EA-1", "venue": "SIM-A", "quantity": "1.2", "price": "9980"}
    gateway.push(delta_of(snapshot(store, trader_id, order_id), fill))
    expect(progress).to_have_text("1.2 / 3 BTC filled")
    expect(the_row.locator(".state")).to_have_attribute("data-state", "partially_filled")
    expect(the_row.locator(".avg-price")).to_have_text("9,980")
    expect(page.locator(f"#fills tr[data-order-id='{order_id}']")).to_have_count(1)
    expect(page.locator("#positions tr[data-instrument='BTC-USD'] td").nth(1)).to_have_text("1.2")
    expect(page.locator("#balances tr[data-asset='BTC'] .total")).to_have_text("101.2")
    screenshot(page, "trader-page-live-server-partial")

    # Old news (seq <= held) changes nothing and reads nothing. Messages are handled in order,
    # so once the next one's read is seen (a "subscribed" reads the list again), a read the old
    # news caused would have been seen before it. Its answer is awaited too: the store changes
    # next, and a list read answered after that would show the page a seq it never got pushed.
    with page.expect_response(
        lambda r: r.request.method == "GET" and "/api/v1/orders?" in r.url
    ) as listed:
        gateway.push(seq2)
        gateway.push({"type": "subscribed"})
    assert listed.value.ok
    expect(progress).to_have_text("1.2 / 3 BTC filled")
    assert requests.count(one) == 0, requests.paths

    # seq 4, 5 and 6 happen; only 6 arrives: a gap, so the page reads the snapshot.
    apply(store, report(order_id, "EA-1", "SIM-A", "expired", cum="1.2"))
    apply(store, report(order_id, "EA-2", "SIM-B", "new", leaves="1.8"))
    apply(store, report(order_id, "EA-2", "SIM-B", "trade", cum="1.8", qty="1.8", price="9985"))
    fill = {"attempt_id": "EA-2", "venue": "SIM-B", "quantity": "1.8", "price": "9985"}
    seq6 = delta_of(snapshot(store, trader_id, order_id), fill)
    assert seq6["seq"] == 6
    gateway.push(seq6)
    expect(progress).to_have_text("3 / 3 BTC filled")
    expect(the_row).to_have_attribute("data-seq", "6")
    assert requests.count(one) == 1, requests.paths
    expect(the_row.locator(".state")).to_have_attribute("data-state", "filled")
    expect(the_row.locator(".avg-price")).to_have_text("9,983")
    expect(the_row.locator(".attempt")).to_have_text(
        ["EA-1 @ SIM-A 1.2/3 expired", "EA-2 @ SIM-B 1.8/1.8 filled"]
    )
    expect(the_row.locator(".btn-cancel")).to_be_hidden()
    expect(page.locator(f"#fills tr[data-order-id='{order_id}']")).to_have_count(2)
    expect(page.locator("#balances tr[data-asset='BTC'] .total")).to_have_text("103")
    screenshot(page, "trader-page-live-server-filled")

    # The order in full: its attempts, its fills, and every change of state the page saw.
    the_row.locator("button.order-id").click()
    dialog = page.locator("#order-details")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".details-attempts tr")).to_have_count(2)
    expect(dialog.locator(".details-fills tr[data-fill-id]")).to_have_count(2)
    expect(dialog.locator(".details-fills")).to_contain_text("9,985")
    expect(dialog.locator(".details-history tr td:first-child")).to_have_text(["1", "2", "3", "6"])
    expect(dialog.locator(".details-history")).to_contain_text("filled")
    screenshot(page, "trader-page-order-details")
    dialog.locator(".details-close").click()
    expect(dialog).to_be_hidden()

    # A delta of an order the page does not hold: it reads that order's snapshot.
    other = place_in_store(store, trader_id)
    gateway.push(delta_of(snapshot(store, trader_id, other)))
    expect(row(page, other).locator(".progress")).to_have_text("0 / 0.5 BTC filled")
    assert requests.count(f"/orders/{other}") == 1

    # The socket drops: the indicator says so, the page reconnects and reads the list again.
    lists_before = sum(p.startswith("/orders?") for p in requests.paths)
    gateway.drop()
    expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    eventually(lambda: gateway.count() == 2, 10, what="a new socket")
    gateway.subscribe()
    eventually(
        lambda: sum(p.startswith("/orders?") for p in requests.paths) > lists_before,
        10,
        what="the list read again",
    )
    expect(page.locator("#blotter tr[data-order-id]")).to_have_count(2)

    page.locator(".seg-btn[data-filter=open]").click()  # the filled order leaves the view
    expect(page.locator("#blotter tr[data-order-id]:visible")).to_have_count(1)
    expect(row(page, other)).to_be_visible()


FORMAT_CASES = """async () => {
  const f = await import("/static/trading/lib/format.js");
  const o = await import("/static/trading/lib/orders.js");
  const book = new o.OrderBook();
  book.takeSnapshot({order_id: "A", seq: 3, state: "working"});
  return {
    trim: ["3.0", "3", "3.00000000", "1.20", "0.0001", "10000", "-0.0", ".5", "9983.000", null]
      .map(f.trimDecimal),
    grouped: ["1000000", "1000000.50", "-12345.6", "999"].map(f.groupDecimal),
    progress: f.progressText({filled_quantity: "1.20", quantity: "3.0"}, "BTC"),
    attempt: f.attemptText(
      {attempt_id: "EA-1", venue: "SIM-A", filled_quantity: "1.2", quantity: "3.0",
       state: "expired"}),
    classify: [2, 3, 4, 5].map(seq => book.classify({order_id: "A", seq})),
    unknown: book.classify({order_id: "B", seq: 1}),
    stale: book.takeSnapshot({order_id: "A", seq: 2}),
  };
}"""


def test_decimals_are_shown_without_trailing_zeros_and_the_seq_rule(chromium, live_server):
    page = new_page(chromium, live_server.url)
    page.goto("/login")
    assert page.evaluate(FORMAT_CASES) == {
        "trim": ["3", "3", "3", "1.2", "0.0001", "10000", "0", "0.5", "9983", ""],
        "grouped": ["1,000,000", "1,000,000.5", "-12,345.6", "999"],
        "progress": "1.2 / 3 BTC filled",
        "attempt": "EA-1 @ SIM-A 1.2/3 expired",
        "classify": ["ignore", "ignore", "apply", "fetch"],
        "unknown": "fetch",
        "stale": False,
    }
    page.context.close()
