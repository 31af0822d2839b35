"""The live-attempt and resting index rows say what the stored orders say, however the reports
came (one transaction each, several in one, a batch): a save writes only the rows that change."""

from infra.store.api import Transaction, run
from tests.support.reports import NOW, report
from tests.support.store import TRADER
from trading import keys
from trading.domain.orders import Order
from trading.repository import Repository
from trading.services.cancel import cancel_order
from trading.services.execution import apply_execution_report, apply_execution_reports
from trading.services.place import PlaceOrder, place_order


def indexes(tr: Transaction) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    """(venue, order, attempt) rows of live attempts, and (instrument, order) resting rows."""
    live = {keys.LIVE_ATTEMPT.unpack(k) for k, _ in tr.get_range(*_range(keys.LIVE_ATTEMPT))}
    resting = {keys.RESTING.unpack(k) for k, _ in tr.get_range(*_range(keys.RESTING))}
    return live, resting


def expected(orders: list[Order]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    live = {(a.venue, o.order_id, a.attempt_id) for o in orders for a in o.attempts if not a.ended}
    resting = {(o.instrument, o.order_id) for o in orders if not o.ended and not o.active_attempts}
    return live, resting


def _range(space):
    rng = space.range()
    return rng.start, rng.stop


def stored(db, ids):
    return run(db, lambda tr: [Repository(tr).order(i) for i in ids])


def place(db, order_id, quantity="3", limit="10000"):
    command = PlaceOrder(TRADER, order_id, "BTC-USD", "buy", quantity, limit_price=limit)
    run(db, lambda tr: place_order(tr, command, NOW))


def test_the_index_rows_follow_fills_expiries_and_cancels(seeded_db):
    ids = ["O-ix-1", "O-ix-2", "O-ix-3"]
    for order_id in ids:
        place(seeded_db, order_id)
    place(seeded_db, "O-ix-rest", limit="1")  # no venue quotes inside the limit: it rests
    ids.append("O-ix-rest")
    live, resting = run(seeded_db, indexes)
    assert (live, resting) == expected(stored(seeded_db, ids))
    assert resting == {("BTC-USD", "O-ix-rest")} and len(live) == 3

    # one report per transaction: a fill, then the attempt expires and EA-2 goes out
    run(seeded_db, lambda tr: apply_execution_report(tr, _fill("O-ix-1", "1.2", "1.2"), NOW))
    assert run(seeded_db, indexes) == expected(stored(seeded_db, ids))
    end = report("O-ix-1", "EA-1", "SIM-A", "expired", cum="1.2")
    run(seeded_db, lambda tr: apply_execution_report(tr, end, NOW))
    live, _ = run(seeded_db, indexes)
    assert live == expected(stored(seeded_db, ids))[0]
    assert {a for v, o, a in live if o == "O-ix-1"} == {"EA-2"}

    # several reports of one order in one transaction, each its own unit of work
    def two(tr):
        apply_execution_report(tr, _fill("O-ix-2", "1", "1"), NOW)
        apply_execution_report(tr, _fill("O-ix-2", "3", "2"), NOW)  # filled: EA-1 ends

    run(seeded_db, two)
    assert run(seeded_db, indexes) == expected(stored(seeded_db, ids))

    # a batch, then a cancel of what is left
    batch = [_fill("O-ix-3", "0.5", "0.5"), _fill("O-ix-3", "1", "0.5")]
    run(seeded_db, lambda tr: apply_execution_reports(tr, batch, NOW))
    run(seeded_db, lambda tr: cancel_order(tr, "O-ix-rest", NOW))
    final = stored(seeded_db, ids)
    assert run(seeded_db, indexes) == expected(final)
    assert final[1].ended and final[3].ended  # filled; canceled at once (nothing at a venue)


def _fill(order_id, cum, qty):
    return report(order_id, "EA-1", "SIM-A", "trade", cum=cum, qty=qty, price="9980")
