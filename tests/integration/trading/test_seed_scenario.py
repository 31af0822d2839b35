"""The seed's story told through trading-core's transactions on the embedded store."""

from decimal import Decimal

from infra.store.api import run
from ledger import journal
from tests.support.reports import NOW, report
from tests.support.store import TRADER
from trading import outbox
from trading.invariants import find_violations
from trading.repository import Repository
from trading.services.execution import Outcome, apply_execution_report
from trading.services.place import PlaceOrder, place_order


def place_seed_order(seeded_db, order_id="O-seed"):
    command = PlaceOrder(TRADER, order_id, "BTC-USD", "buy", "3.0", limit_price="10000")
    return run(seeded_db, lambda tr: place_order(tr, command, NOW)).order


def apply(seeded_db, rep):
    return run(seeded_db, lambda tr: apply_execution_report(tr, rep, NOW))


def read(seeded_db, fn):
    return run(seeded_db, lambda tr: fn(Repository(tr)))


def test_seed_fills_leave_the_order_filled_3_of_3_at_9983(seeded_db):
    order = place_seed_order(seeded_db)
    assert [(a.attempt_id, a.venue, a.quantity) for a in order.attempts] == [
        ("EA-1", "SIM-A", Decimal("3.0"))
    ]
    steps = [
        report(order.order_id, "EA-1", "SIM-A", "new", leaves="3.0"),
        report(
            order.order_id,
            "EA-1",
            "SIM-A",
            "trade",
            cum="1.2",
            leaves="1.8",
            qty="1.2",
            price="9980",
        ),
        report(order.order_id, "EA-1", "SIM-A", "expired", cum="1.2"),
    ]
    assert [apply(seeded_db, s) for s in steps] == [Outcome.APPLIED] * 3
    order = read(seeded_db, lambda r: r.order(order.order_id))
    assert order.state.value == "partially_filled"
    assert [(a.attempt_id, a.venue, a.quantity, a.state.value) for a in order.attempts] == [
        ("EA-1", "SIM-A", Decimal("3.0"), "expired"),
        ("EA-2", "SIM-B", Decimal("1.8"), "pending"),
    ]
    apply(seeded_db, report(order.order_id, "EA-2", "SIM-B", "new", leaves="1.8"))
    apply(
        seeded_db,
        report(order.order_id, "EA-2", "SIM-B", "trade", cum="1.8", qty="1.8", price="9985"),
    )

    order = read(seeded_db, lambda r: r.order(order.order_id))
    assert order.state.value == "filled"
    assert (order.filled_quantity, order.remaining_quantity) == (Decimal("3.0"), 0)
    assert order.average_price == Decimal("9983")
    assert order.seq == 6  # accepted, EA-1 working, fill, EA-1 expired + EA-2, EA-2 working, fill
    position = read(seeded_db, lambda r: r.position(TRADER, "BTC-USD"))
    assert position.quantity == Decimal("3.0") and position.average_cost == 9983
    btc = run(seeded_db, lambda tr: journal.balance(tr, "trader:T1", "BTC"))
    usd = run(seeded_db, lambda tr: journal.balance(tr, "trader:T1", "USD"))
    assert btc == (100 + 3) * 10**8
    notional, fee = Decimal("29949"), Decimal("29.949")
    assert usd == int((Decimal(1_000_000) - notional - fee) * 10**8)
    assert run(seeded_db, find_violations) == []


def test_outbox_holds_every_event_once_in_commit_order(seeded_db):
    order = place_seed_order(seeded_db)
    for s in [
        report(order.order_id, "EA-1", "SIM-A", "trade", cum="1.2", qty="1.2", price="9980"),
        report(order.order_id, "EA-1", "SIM-A", "expired", cum="1.2"),
        report(order.order_id, "EA-2", "SIM-B", "trade", cum="1.8", qty="1.8", price="9985"),
    ]:
        apply(seeded_db, s)
        apply(seeded_db, s)  # the same report again changes nothing
    rows = run(seeded_db, lambda tr: outbox.read_after(tr, None, 1000))
    ids = [m.message_id for _, m in rows]
    assert len(ids) == len(set(ids))
    mine = [m for _, m in rows if m.key == order.order_id]
    deltas = [m.payload.seq for m in mine if m.topic == outbox.ORDER_EVENTS]
    assert deltas == [1, 2, 3, 4]
    places = [m.payload.attempt_id for m in mine if m.topic == outbox.PLACE_COMMAND]
    assert places == ["EA-1", "EA-2"]
    assert [m.destination for m in mine if m.topic == outbox.PLACE_COMMAND] == [
        "venue.SIM-A",
        "venue.SIM-B",
    ]
    assert sum(m.topic == outbox.FILL_EVENTS for m in mine) == 2
    assert sum(m.topic == outbox.LEDGER_EVENTS for m in mine) == 2


def test_an_overfill_is_quarantined_and_nothing_else_changes(seeded_db):
    order = place_seed_order(seeded_db)
    before = read(seeded_db, lambda r: r.order(order.order_id))
    over = report(order.order_id, "EA-1", "SIM-A", "trade", cum="3.5", qty="3.5", price="9980")
    assert apply(seeded_db, over) is Outcome.QUARANTINED
    assert read(seeded_db, lambda r: r.order(order.order_id)) == before
    quarantined = read(seeded_db, lambda r: r.quarantined())
    assert "overfill" in quarantined[0]["reason_refused"]
    assert run(seeded_db, find_violations) == []


def test_a_batch_of_reports_in_one_transaction_keeps_every_message_in_order(seeded_db):
    from trading.services.execution import apply_execution_reports

    first, second = place_seed_order(seeded_db, "O-b1"), place_seed_order(seeded_db, "O-b2")
    batch = [
        report(o.order_id, "EA-1", "SIM-A", kind, cum=cum, qty=qty, price="9980")
        for o in (first, second)
        for kind, cum, qty in (("new", "0", "0"), ("trade", "0.6", "0.6"), ("expired", "0.6", "0"))
    ]
    run(seeded_db, lambda tr: apply_execution_reports(tr, batch, NOW))
    rows = run(seeded_db, lambda tr: outbox.read_after(tr, None, 1000))
    for order in (first, second):
        seqs = [
            m.payload.seq
            for _, m in rows
            if m.key == order.order_id and m.topic == outbox.ORDER_EVENTS
        ]
        assert seqs == [1, 2, 3, 4]
    fills = run(seeded_db, lambda tr: Repository(tr).trader_fills(TRADER))
    assert {f.order_id for _, f in fills} == {"O-b1", "O-b2"}
    assert run(seeded_db, find_violations) == []
