"""One venue without a server: orders, their reports in seq order, GTC resting, faults, replay."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venues.simulator import venue as venue_module
from venues.simulator.book import Book
from venues.simulator.faults import Dice, Faults
from venues.simulator.orders import BadOrder, OrderRequest, Status
from venues.simulator.venue import CancelResult, Venue, VenueSpec

D = Decimal
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class Recorder:
    """A fake stream: what the venue delivers live, and why it was closed."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.closed: str | None = None

    def deliver(self, message: dict) -> None:
        self.messages.append(message)

    def close(self, reason: str) -> None:
        self.closed = reason

    def reports(self, coid: str | None = None) -> list[dict]:
        return [
            m
            for m in self.messages
            if m["type"] == "execution_report" and coid in (None, m["client_order_id"])
        ]


def make_venue(asks=(("9980", "1.2"),), bids=(), seed=1) -> Venue:
    venue = Venue(
        VenueSpec("SIM-A", D("0.001")),
        ["BTC-USD", "ETH-USD"],
        session="s1",
        dice=Dice(seed),
        clock=lambda: NOW,
    )
    venue.set_book("BTC-USD", Book.parse([list(a) for a in asks], [list(b) for b in bids]))
    return venue


def listen(venue: Venue) -> Recorder:
    recorder = Recorder()
    venue.subscribe(recorder, venue.last_seq)
    return recorder


def request(coid="O1:EA-1", quantity="3.0", price="10000", side="buy", tif="IOC", kind="limit"):
    return OrderRequest.parse(
        {
            "client_order_id": coid,
            "instrument": "BTC-USD",
            "side": side,
            "quantity": quantity,
            "type": kind,
            "price": price if kind == "limit" else None,
            "time_in_force": tif,
        }
    )


def summary(reports: list[dict]) -> list[tuple]:
    return [
        (
            r["exec_type"],
            r["order_status"],
            r["last_qty"],
            r["last_px"],
            r["cum_qty"],
            r["leaves_qty"],
        )
        for r in reports
    ]


def test_the_seed_ioc_fills_1_2_at_9980_and_the_rest_expires():
    venue = make_venue()
    stream = listen(venue)
    order, known = venue.place(request())
    assert not known
    assert order.ack() == {
        "client_order_id": "O1:EA-1",
        "venue_order_id": "SIM-A-O-s1-000001",
        "status": "new",
    }
    assert summary(stream.reports()) == [
        ("new", "new", "0", "0", "0", "3"),
        ("trade", "partially_filled", "1.2", "9980", "1.2", "1.8"),
        ("expired", "expired", "0", "0", "1.2", "0"),
    ]
    trade = stream.reports()[1]
    assert trade["fee"] == "11.97600000" and trade["fee_asset"] == "USD"
    assert trade["venue_fill_id"] == "SIM-A-F-s1-000001"
    assert trade["transact_time"] == "2025-01-02T03:04:05+00:00"
    assert [m["type"] for m in stream.messages] == [
        "execution_report",
        "execution_report",
        "execution_report",
        "book",
    ]
    assert stream.messages[-1]["asks"] == []
    seqs = [m["seq"] for m in stream.messages]
    assert seqs == list(range(seqs[0], seqs[0] + 4))
    assert len({r["exec_id"] for r in stream.reports()}) == 3
    assert order.to_wire()["fills"] == [
        {
            "venue_fill_id": "SIM-A-F-s1-000001",
            "qty": "1.2",
            "price": "9980",
            "fee": "11.97600000",
            "fee_asset": "USD",
            "ts": "2025-01-02T03:04:05+00:00",
        }
    ]


def test_a_full_fill_ends_on_its_last_trade_with_no_expired_report():
    venue = make_venue(asks=(("9985", "1"), ("9986", "5")))
    stream = listen(venue)
    venue.place(request(quantity="1.8"))
    assert summary(stream.reports()) == [
        ("new", "new", "0", "0", "0", "1.8"),
        ("trade", "partially_filled", "1", "9985", "1", "0.8"),
        ("trade", "filled", "0.8", "9986", "1.8", "0"),
    ]
    fill_ids = [r["venue_fill_id"] for r in stream.reports()[1:]]
    assert len(set(fill_ids)) == 2


def test_an_ioc_with_nothing_at_its_price_just_expires():
    venue = make_venue()
    stream = listen(venue)
    order, _ = venue.place(request(price="9979"))
    assert [r["exec_type"] for r in stream.reports()] == ["new", "expired"]
    assert order.status is Status.EXPIRED
    assert venue.book("BTC-USD").asks[0].quantity == D("1.2")  # untouched, no book message
    assert [m["type"] for m in stream.messages] == ["execution_report", "execution_report"]


def test_a_market_sell_takes_the_bids_at_any_price():
    venue = make_venue(bids=(("9970", "1"), ("9000", "1")))
    order, _ = venue.place(request(side="sell", quantity="1.5", kind="market"))
    assert [(f.price, f.quantity) for f in order.fills] == [
        (D("9970"), D("1")),
        (D("9000"), D("0.5")),
    ]
    assert order.status is Status.FILLED


def test_the_same_client_order_id_never_executes_twice():
    venue = make_venue(asks=(("9980", "10"),))
    venue.place(request(quantity="1"))
    stream = listen(venue)
    again, known = venue.place(request(quantity="1"))
    different, known_too = venue.place(request(quantity="5"))
    assert known and known_too
    assert again is different and again.cum_qty == D("1")
    assert stream.messages == []
    assert venue.book("BTC-USD").asks[0].quantity == D("9")


def test_an_instrument_the_venue_does_not_trade_is_refused():
    venue = make_venue()
    with pytest.raises(BadOrder, match="does not trade SOL-USD"):
        venue.place(
            OrderRequest.parse(
                {
                    "client_order_id": "x",
                    "instrument": "SOL-USD",
                    "side": "buy",
                    "quantity": "1",
                    "price": "1",
                }
            )
        )


def test_a_gtc_order_rests_fills_when_the_book_brings_liquidity_and_cancels():
    venue = make_venue(asks=(("9990", "1"),))
    stream = listen(venue)
    order, _ = venue.place(request(quantity="2", price="9985", tif="GTC"))
    assert order.status is Status.NEW and order.leaves_qty == D("2")
    assert venue.book("BTC-USD").asks[0].price == D("9990")  # not in the public book
    venue.set_book("BTC-USD", Book.parse([["9986", "5"]], []))  # still above its price
    assert order.cum_qty == 0
    venue.set_book("BTC-USD", Book.parse([["9984", "0.5"], ["9985", "0.25"], ["9999", "9"]], []))
    assert (order.status, order.cum_qty, order.leaves_qty) == (
        Status.PARTIALLY_FILLED,
        D("0.75"),
        D("1.25"),
    )
    assert venue.book("BTC-USD").to_wire()["asks"] == [["9999", "9"]]
    result, canceled = venue.cancel("O1:EA-1")
    assert result is CancelResult.CANCELED and canceled is order
    assert (order.status, order.cum_qty, order.leaves_qty) == (Status.CANCELED, D("0.75"), D("0"))
    assert summary(stream.reports()) == [
        ("new", "new", "0", "0", "0", "2"),
        ("trade", "partially_filled", "0.5", "9984", "0.5", "1.5"),
        ("trade", "partially_filled", "0.25", "9985", "0.75", "1.25"),
        ("canceled", "canceled", "0", "0", "0.75", "0"),
    ]
    assert venue.cancel("O1:EA-1")[0] is CancelResult.ENDED
    assert venue.cancel("nobody")[0] is CancelResult.UNKNOWN
    venue.set_book("BTC-USD", Book.parse([["9000", "5"]], []))
    assert order.cum_qty == D("0.75")  # a canceled order takes nothing more


def test_resting_orders_fill_in_arrival_order_and_leave_when_filled():
    venue = make_venue(asks=())
    first, _ = venue.place(request("first", quantity="1", price="100", tif="GTC"))
    second, _ = venue.place(request("second", quantity="1", price="200", tif="GTC"))
    venue.set_book("BTC-USD", Book.parse([["100", "1.5"]], []))
    assert (first.status, second.status) == (Status.FILLED, Status.PARTIALLY_FILLED)
    assert second.cum_qty == D("0.5")
    venue.set_book("BTC-USD", Book.parse([["100", "10"]], []))
    assert (first.cum_qty, second.cum_qty) == (D("1"), D("1"))
    assert venue.book("BTC-USD").asks[0].quantity == D("9.5")


def test_an_ioc_is_never_working_after_place_so_cancel_finds_it_ended():
    venue = make_venue()
    venue.place(request())
    result, order = venue.cancel("O1:EA-1")
    assert result is CancelResult.ENDED and order.status is Status.EXPIRED


def test_the_reject_fault_rejects_with_one_report_and_executes_nothing():
    venue = make_venue()
    venue.set_faults(Faults(reject_rate=D(1)))
    stream = listen(venue)
    order, _ = venue.place(request())
    assert order.ack()["status"] == "rejected" and order.ack()["reason"]
    assert summary(stream.reports()) == [("rejected", "rejected", "0", "0", "0", "0")]
    assert stream.reports()[0]["reason"] == order.reason
    assert venue.book("BTC-USD").asks[0].quantity == D("1.2")
    assert venue.place(request())[1]  # still known: the id is spent


def test_the_duplicate_fault_delivers_reports_twice_but_logs_them_once():
    venue = make_venue()
    venue.set_faults(Faults(duplicate_report_rate=D(1)))
    stream = listen(venue)
    since = venue.last_seq
    venue.place(request())
    exec_types = [r["exec_type"] for r in stream.reports()]
    assert exec_types == ["new", "new", "trade", "trade", "expired", "expired"]
    assert stream.reports()[0] is stream.reports()[1]  # same exec_id, same seq
    assert [m["type"] for m in stream.messages].count("book") == 1  # books are not doubled
    assert [m.get("exec_type") for m in venue.replay(since)] == ["new", "trade", "expired", None]


def test_the_reorder_fault_sends_an_orders_reports_last_first_with_rising_seqs():
    venue = make_venue()
    venue.set_faults(Faults(reorder_reports=True))
    stream = listen(venue)
    venue.place(request())
    reports = stream.reports()
    assert [r["exec_type"] for r in reports] == ["expired", "trade", "new"]
    assert reports[0]["seq"] < reports[1]["seq"] < reports[2]["seq"]
    assert [m["type"] for m in stream.messages].count("book") == 1


def test_clearing_reorder_lets_held_reports_of_a_working_order_out():
    venue = make_venue(asks=())
    venue.set_faults(Faults(reorder_reports=True))
    stream = listen(venue)
    venue.place(request(tif="GTC"))
    assert stream.reports() == []  # held: the order is still working
    venue.set_faults(Faults())
    assert [r["exec_type"] for r in stream.reports()] == ["new"]
    venue.cancel("O1:EA-1")
    assert [r["exec_type"] for r in stream.reports()] == ["new", "canceled"]


def test_down_closes_every_open_stream():
    venue = make_venue()
    first, second = listen(venue), listen(venue)
    venue.set_faults(Faults(down=True))
    assert first.closed == second.closed == "venue down"
    venue.place(request())
    assert first.messages == [] and second.messages == []


def test_subscribe_sends_hello_then_the_replay_then_book_snapshots():
    venue = make_venue()
    venue.place(request())
    seed_seq = 1  # the book put by make_venue
    backlog = venue.subscribe(Recorder(), seed_seq)
    hello, *rest = backlog
    assert hello == {
        "type": "hello",
        "venue": "SIM-A",
        "session": "s1",
        "instruments": ["BTC-USD", "ETH-USD"],
        "first_seq": 1,
        "last_seq": 5,
    }
    assert [m["seq"] for m in rest] == [2, 3, 4, 5, 0, 0]
    snapshots = rest[-2:]
    assert [(s["type"], s["instrument"], s["snapshot"]) for s in snapshots] == [
        ("book", "BTC-USD", True),
        ("book", "ETH-USD", True),
    ]
    assert venue.subscribe(Recorder(), 99)[1:] == snapshots  # nothing to replay past the end


def test_the_log_keeps_only_the_newest_messages(monkeypatch):
    monkeypatch.setattr(venue_module, "LOG_LIMIT", 3)
    venue = make_venue(asks=(("9980", "100"),))
    for n in range(3):
        venue.place(request(f"O{n}:EA-1", quantity="1"))
    assert venue.last_seq == 10  # 1 book + 3 x (new, trade, book)
    assert venue.first_seq == 8
    assert [m["seq"] for m in venue.replay(0)] == [8, 9, 10]
    assert [m["seq"] for m in venue.replay(8)] == [9, 10]
    assert venue.replay(10) == []


@st.composite
def scenarios(draw):
    prices = st.decimals("90", "110", places=1)
    sizes = st.decimals("0.01", "5", places=2)
    asks = draw(st.dictionaries(st.decimals("100.1", "110", places=1), sizes, max_size=6))
    bids = draw(st.dictionaries(st.decimals("90", "100", places=1), sizes, max_size=6))
    orders = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["buy", "sell"]),
                st.decimals("0.01", "8", places=2),
                st.one_of(st.none(), prices),
                st.sampled_from(["IOC", "GTC"]),
            ),
            min_size=1,
            max_size=8,
        )
    )
    later = draw(st.dictionaries(prices, sizes, max_size=4))  # a book put after the orders
    return asks, bids, orders, later


def _depth(venue: Venue) -> Decimal:
    book = venue.book("BTC-USD")
    assert book is not None
    return sum((level.quantity for level in (*book.asks, *book.bids)), D(0))


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_fills_add_up_never_pass_the_limit_and_take_exactly_what_the_book_lost(scenario):
    asks, bids, orders, later = scenario
    venue = make_venue(
        asks=[(str(p), str(q)) for p, q in asks.items()],
        bids=[(str(p), str(q)) for p, q in bids.items()],
    )
    stream = listen(venue)
    placed = []
    for n, (side, quantity, price, tif) in enumerate(orders):
        kind = "market" if price is None else "limit"
        tif = "IOC" if kind == "market" else tif
        before = _depth(venue)
        order, _ = venue.place(request(f"O{n}", str(quantity), str(price), side, tif, kind))
        assert before - _depth(venue) == order.cum_qty  # liquidity consumed = filled
        placed.append(order)
    later_asks = {p: q for p, q in later.items() if p > 100}
    later_bids = {p: q for p, q in later.items() if p <= 100}
    put = Book.parse(
        [[str(p), str(q)] for p, q in later_asks.items()],
        [[str(p), str(q)] for p, q in later_bids.items()],
    )
    before = put.depth("buy") + put.depth("sell")
    cum_before = sum((o.cum_qty for o in placed), D(0))
    venue.set_book("BTC-USD", put)
    assert before - _depth(venue) == sum((o.cum_qty for o in placed), D(0)) - cum_before
    for order in placed:
        request_ = order.request
        assert sum((fill.quantity for fill in order.fills), D(0)) == order.cum_qty
        assert order.cum_qty <= request_.quantity
        if order.working:
            assert order.cum_qty + order.leaves_qty == request_.quantity
            assert request_.time_in_force == "GTC"
        else:
            assert order.leaves_qty == 0
            assert order.status is not Status.FILLED or order.cum_qty == request_.quantity
        for fill in order.fills:
            if request_.price is not None:
                worse = (
                    fill.price > request_.price
                    if request_.side == "buy"
                    else (fill.price < request_.price)
                )
                assert not worse
        reports = stream.reports(order.client_order_id)
        assert reports[0]["exec_type"] == "new"
        trades = [r for r in reports if r["exec_type"] == "trade"]
        assert [r["venue_fill_id"] for r in trades] == [f.venue_fill_id for f in order.fills]
        for report in reports:
            cum, leaves = D(report["cum_qty"]), D(report["leaves_qty"])
            if report["order_status"] in ("new", "partially_filled"):
                assert cum + leaves == request_.quantity
            else:
                assert leaves == 0
        assert reports[-1]["order_status"] == order.status.value
    seqs = [m["seq"] for m in stream.messages]
    assert seqs == sorted(set(seqs))  # one venue-wide sequence, strictly rising
    fill_ids = [f.venue_fill_id for o in placed for f in o.fills]
    assert len(fill_ids) == len(set(fill_ids))
