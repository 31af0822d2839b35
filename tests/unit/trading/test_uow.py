"""The unit of work on the embedded store: one transaction, its outbox, the closing sequence."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from infra.store.api import run
from tests.support.reports import NOW, report
from tests.support.store import TRADER, seeded_store
from trading import outbox as ob
from trading.invariants import find_violations
from trading.repository import PAGE_LIMIT, Repository
from trading.services.cancel import CancelOrder, cancel
from trading.services.execution import apply_reports
from trading.services.place import PlaceOrder, place
from trading.services.quotes import ReworkResting, rework
from trading.uow import UnitOfWork, UntrackedOrder, execute


def outbox_ids(db) -> list[str]:
    return [m.message_id for _, m in run(db, lambda tr: ob.read_after(tr, None, 1000))]


def buy(order_id: str, quantity: str = "0.5", limit: str = "10000") -> PlaceOrder:
    return PlaceOrder(TRADER, order_id, "BTC-USD", "buy", quantity, limit)


def test_a_placed_order_is_written_with_its_messages_in_one_transaction(seeded_db):
    before = outbox_ids(seeded_db)
    placed = execute(seeded_db, place, buy("O-1"), NOW)
    assert placed.created and placed.order.seq == 1
    assert outbox_ids(seeded_db)[len(before) :] == ["O-1:EA-1:place", "O-1:1:delta"]
    assert run(seeded_db, find_violations) == []


def test_retries_and_unknown_commits_place_each_order_once(tmp_path: Path):
    db = seeded_store(tmp_path, not_committed_rate=0.3, commit_unknown_rate=0.3, seed=7)
    try:
        for i in range(12):
            execute(db, place, buy(f"O-{i:02d}", "0.1"), NOW)
        ids = outbox_ids(db)
        assert len(ids) == len(set(ids))  # a replayed commit wrote nothing twice
        assert sum(i.endswith(":delta") for i in ids) == 12
        assert run(db, find_violations) == []  # counters, holds and ledger agree
    finally:
        db.close()


def test_a_handler_that_raises_writes_no_outbox_row(seeded_db):
    before = outbox_ids(seeded_db)

    def refused(command: PlaceOrder, uow: UnitOfWork) -> None:
        place(command, uow)
        assert uow.messages  # collected ...
        raise RuntimeError("refused after the work")

    with pytest.raises(RuntimeError):
        execute(seeded_db, refused, buy("O-r"), NOW)
    assert outbox_ids(seeded_db) == before  # ... and never written
    assert run(seeded_db, lambda tr: Repository(tr).find_order("O-r")) is None


def test_rows_are_written_when_the_block_ends_in_the_order_they_were_emitted(seeded_db):
    def two_orders(tr):
        rows = len(ob.read_after(tr, None, 1000))
        with UnitOfWork(tr, NOW) as uow:
            place(buy("O-a"), uow)
            place(buy("O-b"), uow)
            assert len(ob.read_after(tr, None, 1000)) == rows  # collected, not written yet
        return [m.message_id for m in uow.messages]

    emitted = run(seeded_db, two_orders)
    assert emitted == ["O-a:EA-1:place", "O-a:1:delta", "O-b:EA-1:place", "O-b:1:delta"]
    assert outbox_ids(seeded_db)[-4:] == emitted


def test_several_changes_of_one_order_in_one_unit_are_one_delta_each(seeded_db):
    execute(seeded_db, place, buy("O-1", "1.2"), NOW)
    reports = [
        report("O-1", "EA-1", "SIM-A", "new", leaves="1.2"),
        report("O-1", "EA-1", "SIM-A", "trade", cum="0.2", qty="0.2", price="9980"),
        report("O-1", "EA-1", "SIM-A", "trade", cum="1.2", qty="1", price="9980"),
    ]
    execute(seeded_db, apply_reports, reports, NOW)
    deltas = [i for i in outbox_ids(seeded_db) if i.startswith("O-1:") and i.endswith(":delta")]
    assert deltas == [f"O-1:{n}:delta" for n in (1, 2, 3, 4)]
    order = run(seeded_db, lambda tr: Repository(tr).order("O-1"))
    assert (order.state.value, order.seq, order.filled_quantity) == ("filled", 4, Decimal("1.2"))
    assert run(seeded_db, find_violations) == []  # the hold moved from each change's own start


def test_a_change_on_an_order_the_unit_did_not_load_is_refused(seeded_db):
    execute(seeded_db, place, buy("O-1"), NOW)

    def sneaky(tr):
        order = Repository(tr).order("O-1")
        with UnitOfWork(tr, NOW) as uow:
            uow.order_changed(order, uow.repo.instrument("BTC-USD"))

    with pytest.raises(UntrackedOrder):
        run(seeded_db, sneaky)


def test_a_unit_used_outside_its_block_refuses_to_emit(seeded_db):
    def forgot_the_with(tr):
        place(buy("O-1"), UnitOfWork(tr, NOW))  # its rows would never be written

    with pytest.raises(RuntimeError, match="with uow"):
        run(seeded_db, forgot_the_with)


def test_counters_stay_right_when_another_repository_saves_an_order(seeded_db):
    execute(seeded_db, place, buy("O-1"), NOW)

    def elsewhere(tr):
        order = Repository(tr).order("O-1")  # loaded by one repository ...
        order.request_cancel()
        Repository(tr).save_order(order)  # ... saved by another: counted from the stored state

    run(seeded_db, elsewhere)
    counters = run(seeded_db, lambda tr: Repository(tr).counters())
    assert counters[("orders", "new")] == 0 and counters[("orders", "cancel_pending")] == 1


def test_a_cancel_in_a_unit_closes_the_order_once(seeded_db):
    execute(seeded_db, place, buy("O-1"), NOW)
    order = execute(seeded_db, cancel, CancelOrder("O-1", TRADER), NOW)
    again = execute(seeded_db, cancel, CancelOrder("O-1", TRADER), NOW)
    assert order.state.value == again.state.value == "cancel_pending" and again.seq == 2
    assert [i for i in outbox_ids(seeded_db) if i.startswith("O-1:")][-2:] == [
        "O-1:EA-1:cancel",
        "O-1:2:delta",
    ]


# --- bounded reads --------------------------------------------------------------------------
def test_order_ids_come_in_pages_that_cover_the_store_once(seeded_db):
    for i in range(5):
        execute(seeded_db, place, buy(f"O-{i}", "0.1"), NOW)
    seen, after = [], None
    while True:
        page = run(seeded_db, lambda tr, a=after: Repository(tr).all_order_ids(after=a, limit=2))
        seen += page
        if len(page) < 2:
            break
        after = page[-1]
    assert seen == [f"O-{i}" for i in range(5)]


@pytest.mark.parametrize("limit", [0, -1, PAGE_LIMIT + 1])
def test_a_page_is_bounded(seeded_db, limit):
    with pytest.raises(ValueError, match="a page is"):
        run(seeded_db, lambda tr: Repository(tr).all_order_ids(limit=limit))
    with pytest.raises(ValueError, match="a page is"):
        run(seeded_db, lambda tr: Repository(tr).resting_order_ids("BTC-USD", limit=limit))


def test_a_book_update_reworks_one_bounded_page_of_resting_orders(seeded_db, monkeypatch):
    monkeypatch.setattr("trading.services.quotes.MAX_REWORK_PER_UPDATE", 2)
    for i in range(3):  # below every ask: they rest
        execute(seeded_db, place, buy(f"O-{i}", "0.1", limit="9000"), NOW)
    resting = run(seeded_db, lambda tr: Repository(tr).resting_order_ids("BTC-USD"))
    assert resting == ["O-0", "O-1", "O-2"]
    page = run(seeded_db, lambda tr: Repository(tr).resting_order_ids("BTC-USD", after="O-0"))
    assert page == ["O-1", "O-2"]

    def better_book(tr):
        from trading.domain.routing import VenueQuote
        from trading.services.quotes import keep_quote

        with UnitOfWork(tr, NOW) as uow:
            quote = VenueQuote(
                "SIM-A", "BTC-USD", Decimal("8980"), Decimal("1"), Decimal("8990"), Decimal("9"), 2
            )
            return keep_quote(quote, uow)

    assert run(seeded_db, better_book) == 2  # one page of 2; the third waits for the next update
    assert execute(seeded_db, rework, ReworkResting("BTC-USD"), NOW) == 1
    assert run(seeded_db, lambda tr: Repository(tr).resting_order_ids("BTC-USD")) == []
