"""The split strategy through trading-core's transactions: several attempts at once, exactly."""

from decimal import Decimal

import pytest

from infra.store.api import run
from kernel.errors import InvalidField
from ledger import journal
from tests.support.reports import NOW, report
from tests.support.store import TRADER
from trading import outbox
from trading.domain.routing import VenueQuote
from trading.invariants import find_violations
from trading.repository import Repository
from trading.services.cancel import cancel_order
from trading.services.execution import Outcome, apply_execution_report
from trading.services.place import PlaceOrder, place_order
from trading.services.quotes import record_quote
from trading.services.reference import set_trader_strategy, set_venue_state


def place(seeded_db, order_id="O-split", strategy="split", quantity="3.0", **kw):
    command = PlaceOrder(
        TRADER, order_id, "BTC-USD", "buy", quantity, limit_price="10000", strategy=strategy, **kw
    )
    return run(seeded_db, lambda tr: place_order(tr, command, NOW)).order


def apply(seeded_db, rep):
    return run(seeded_db, lambda tr: apply_execution_report(tr, rep, NOW))


def read(seeded_db, fn):
    return run(seeded_db, lambda tr: fn(Repository(tr)))


def attempts(order):
    return [(a.attempt_id, a.venue, a.quantity, a.state.value) for a in order.attempts]


def held_usd(seeded_db):
    return run(seeded_db, lambda tr: journal.held(tr, TRADER, "USD"))


def test_a_split_order_goes_to_both_venues_at_once_and_fills_3_of_3_at_9983(seeded_db):
    order = place(seeded_db)
    assert order.strategy.value == "split"
    assert attempts(order) == [
        ("EA-1", "SIM-A", Decimal("1.2"), "pending"),
        ("EA-2", "SIM-B", Decimal("1.8"), "pending"),
    ]
    rows = run(seeded_db, lambda tr: outbox.read_after(tr, None, 1000))
    places = [m for _, m in rows if m.topic == outbox.PLACE_COMMAND and m.key == order.order_id]
    assert [(m.destination, m.payload.quantity) for m in places] == [
        ("venue.SIM-A", "1.2"),
        ("venue.SIM-B", "1.8"),
    ]
    # The hold is for what is left to fill, not per attempt: the same as the default route's.
    assert held_usd(seeded_db) == int(Decimal("3.0") * 10000 * Decimal("1.001") * 10**8)
    oid = order.order_id
    steps = [
        report(oid, "EA-2", "SIM-B", "new", leaves="1.8"),
        report(oid, "EA-2", "SIM-B", "trade", cum="1.8", qty="1.8", price="9985"),
        report(oid, "EA-1", "SIM-A", "new", leaves="1.2"),
        report(oid, "EA-1", "SIM-A", "trade", cum="1.2", qty="1.2", price="9980"),
    ]
    assert [apply(seeded_db, s) for s in steps] == [Outcome.APPLIED] * 4
    order = read(seeded_db, lambda r: r.order(oid))
    assert order.state.value == "filled"
    assert order.average_price == Decimal("9983")
    assert [a.state.value for a in order.attempts] == ["filled", "filled"]
    position = read(seeded_db, lambda r: r.position(TRADER, "BTC-USD"))
    assert position.quantity == Decimal("3.0") and position.average_cost == 9983
    btc = run(seeded_db, lambda tr: journal.balance(tr, "trader:T1", "BTC"))
    usd = run(seeded_db, lambda tr: journal.balance(tr, "trader:T1", "USD"))
    assert btc == 103 * 10**8
    assert usd == int((Decimal(1_000_000) - Decimal("29949") - Decimal("29.949")) * 10**8)
    assert held_usd(seeded_db) == 0
    assert run(seeded_db, find_violations) == []


def test_a_short_attempt_is_routed_again_only_to_a_venue_without_one(seeded_db):
    order = place(seeded_db)
    oid = order.order_id
    apply(seeded_db, report(oid, "EA-1", "SIM-A", "trade", cum="1.0", qty="1.0", price="9980"))
    apply(seeded_db, report(oid, "EA-1", "SIM-A", "expired", cum="1.0"))
    order = read(seeded_db, lambda r: r.order(oid))
    # 0.2 is free, but SIM-A's quote is the one EA-1 ended short on and SIM-B holds EA-2.
    assert attempts(order) == [
        ("EA-1", "SIM-A", Decimal("1.2"), "expired"),
        ("EA-2", "SIM-B", Decimal("1.8"), "pending"),
    ]
    assert order.working_quantity <= order.remaining_quantity
    assert run(seeded_db, find_violations) == []
    apply(seeded_db, report(oid, "EA-2", "SIM-B", "trade", cum="1.8", qty="1.8", price="9985"))
    order = read(seeded_db, lambda r: r.order(oid))
    assert attempts(order)[2] == ("EA-3", "SIM-B", Decimal("0.2"), "pending")
    apply(seeded_db, report(oid, "EA-3", "SIM-B", "trade", cum="0.2", qty="0.2", price="9985"))
    order = read(seeded_db, lambda r: r.order(oid))
    assert (order.state.value, order.filled_quantity) == ("filled", Decimal("3.0"))
    assert run(seeded_db, find_violations) == []


def test_cancel_cancels_every_live_attempt_and_ends_when_the_last_confirms(seeded_db):
    order = place(seeded_db)
    oid = order.order_id
    canceled = run(seeded_db, lambda tr: cancel_order(tr, oid, NOW))
    assert canceled.state.value == "cancel_pending"
    rows = run(seeded_db, lambda tr: outbox.read_after(tr, None, 1000))
    cancels = [m.payload.attempt_id for _, m in rows if m.topic == outbox.CANCEL_COMMAND]
    assert cancels == ["EA-1", "EA-2"]
    apply(seeded_db, report(oid, "EA-1", "SIM-A", "trade", cum="0.5", qty="0.5", price="9980"))
    apply(seeded_db, report(oid, "EA-1", "SIM-A", "canceled", cum="0.5"))
    order = read(seeded_db, lambda r: r.order(oid))
    assert order.state.value == "cancel_pending" and len(order.attempts) == 2  # no new attempt
    apply(seeded_db, report(oid, "EA-2", "SIM-B", "canceled", cum="0"))
    order = read(seeded_db, lambda r: r.order(oid))
    assert (order.state.value, order.filled_quantity) == ("canceled", Decimal("0.5"))
    assert held_usd(seeded_db) == 0
    assert run(seeded_db, find_violations) == []


def test_an_ioc_split_order_ends_only_when_nothing_is_at_a_venue(seeded_db):
    order = place(seeded_db, time_in_force="IOC")
    oid = order.order_id
    apply(seeded_db, report(oid, "EA-1", "SIM-A", "expired", cum="0"))
    assert read(seeded_db, lambda r: r.order(oid)).state.value == "new"  # EA-2 is still out
    apply(seeded_db, report(oid, "EA-2", "SIM-B", "trade", cum="1", qty="1", price="9985"))
    apply(seeded_db, report(oid, "EA-2", "SIM-B", "expired", cum="1"))
    order = read(seeded_db, lambda r: r.order(oid))
    assert (order.state.value, order.filled_quantity) == ("expired", Decimal("1"))
    assert run(seeded_db, find_violations) == []


def test_a_halted_venue_gets_no_share(seeded_db):
    run(seeded_db, lambda tr: set_venue_state(tr, "SIM-A", halted=True))
    order = place(seeded_db)
    assert attempts(order) == [("EA-1", "SIM-B", Decimal("3.0"), "pending")]


def test_depth_beyond_the_top_is_used(seeded_db):
    deep = VenueQuote(
        "SIM-A",
        "BTC-USD",
        Decimal("9970"),
        Decimal("2"),
        Decimal("9980"),
        Decimal("1.2"),
        1,
        asks=((Decimal("9980"), Decimal("1.2")), (Decimal("9982"), Decimal("1"))),
    )
    run(seeded_db, lambda tr: record_quote(tr, deep, NOW))
    order = place(seeded_db)
    assert attempts(order) == [
        ("EA-1", "SIM-A", Decimal("2.2"), "pending"),
        ("EA-2", "SIM-B", Decimal("0.8"), "pending"),
    ]


def test_the_trader_s_default_strategy_applies_when_an_order_names_none(seeded_db):
    run(seeded_db, lambda tr: set_trader_strategy(tr, TRADER, "split"))
    assert len(place(seeded_db, "O-default", strategy=None).attempts) == 2
    best = place(seeded_db, "O-best", strategy="best")
    assert attempts(best) == [("EA-1", "SIM-A", Decimal("3.0"), "pending")]
    assert read(seeded_db, lambda r: r.trader(TRADER)).strategy.value == "split"


def test_an_unknown_strategy_is_refused_naming_the_field(seeded_db):
    with pytest.raises(InvalidField) as refused:
        place(seeded_db, strategy="fastest")
    assert refused.value.field == "strategy"
    with pytest.raises(InvalidField):
        run(seeded_db, lambda tr: set_trader_strategy(tr, TRADER, "fastest"))


def test_ended_attempts_feed_the_venue_fill_ratio(seeded_db):
    order = place(seeded_db)
    oid = order.order_id
    apply(seeded_db, report(oid, "EA-1", "SIM-A", "trade", cum="0.6", qty="0.6", price="9980"))
    apply(seeded_db, report(oid, "EA-1", "SIM-A", "expired", cum="0.6"))
    apply(seeded_db, report(oid, "EA-2", "SIM-B", "trade", cum="1.8", qty="1.8", price="9985"))
    fills = read(seeded_db, lambda r: r.venue_fills("BTC-USD", NOW))
    assert fills == {
        "SIM-A": (1, Decimal("1.2"), Decimal("0.6")),
        "SIM-B": (1, Decimal("1.8"), Decimal("1.8")),
    }
