"""Pre-trade risk inside place_order's transaction, on the seeded store (default limits)."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

import pytest

from infra.store.api import run
from kernel.errors import InvalidField
from tests.support.reports import NOW, report
from tests.support.store import TRADER, seeded_store
from trading import keys, outbox
from trading.domain.errors import RiskRefused
from trading.domain.lifecycle import OrderState
from trading.domain.risk import ANY, Exposure, Limits
from trading.repository import Repository
from trading.services import reference, risk
from trading.services.cancel import cancel_order
from trading.services.execution import apply_execution_report
from trading.services.place import PlaceOrder, place_order, submit_order


def place(db, order_id, quantity="1", limit="10000", side="buy", coid=None, now=NOW):
    command = PlaceOrder(TRADER, order_id, "BTC-USD", side, quantity, limit, client_order_id=coid)
    return run(db, lambda tr: place_order(tr, command, now))


def refused(db, order_id, **kwargs) -> RiskRefused:
    with pytest.raises(RiskRefused) as caught:
        place(db, order_id, **kwargs)
    return caught.value


def set_mine(db, **limits):
    run(db, lambda tr: risk.set_limits(tr, TRADER, "BTC-USD", Limits(**limits)))


def exposure(db):
    return run(db, lambda tr: risk.exposure(tr, TRADER, "BTC-USD"))


def outbox_size(db):
    return len(run(db, lambda tr: outbox.read_after(tr, None, 10_000)))


def test_seeding_writes_the_defaults_once_and_keeps_staffs_edits(seeded_db):
    defaults = run(seeded_db, lambda tr: risk.effective_limits(tr, TRADER, "BTC-USD"))
    assert defaults.max_order_quantity == 25 and defaults.orders_per_second == 500
    tighter = Limits(max_order_quantity=D(10))
    run(seeded_db, lambda tr: risk.set_limits(tr, ANY, "BTC-USD", tighter))
    run(seeded_db, reference.seed_reference_data)  # `make run` again
    again = run(seeded_db, lambda tr: risk.effective_limits(tr, TRADER, "BTC-USD"))
    assert again.max_order_quantity == 10 and again.orders_per_second == 500


def test_the_seed_order_passes_and_a_fat_finger_is_refused_writing_nothing(seeded_db):
    assert place(seeded_db, "O-seed", "3.0").created
    before = outbox_size(seeded_db)
    error = refused(seeded_db, "O-fat", quantity="30")
    assert (error.field, error.limit) == ("quantity", "max_order_quantity")
    assert error.message == "quantity 30 is over the limit 25 BTC per order (max_order_quantity)"
    error = refused(seeded_db, "O-price", limit="11000")  # the seeded best ask is 9980
    assert (error.field, error.limit) == ("limit_price", "price_band")
    assert "more than 10% above the last venue price 9980: at most 10978" in error.message
    assert outbox_size(seeded_db) == before
    assert run(seeded_db, lambda tr: Repository(tr).find_order("O-fat")) is None


def test_a_traders_own_limit_beats_the_default_field_by_field(seeded_db):
    set_mine(seeded_db, max_order_quantity=D(2))
    assert refused(seeded_db, "O-3", quantity="3").message.endswith("(max_order_quantity)")
    assert place(seeded_db, "O-2", quantity="2").created
    assert refused(seeded_db, "O-band", limit="11000").limit == "price_band"  # still inherited


def test_open_notional_follows_the_orders_through_fills_and_cancels(seeded_db):
    set_mine(seeded_db, max_open_notional=D(20_000))
    place(seeded_db, "O-a", quantity="1", limit="9000")  # rests: below every ask
    place(seeded_db, "O-b", quantity="1", limit="9000")
    assert exposure(seeded_db).open_notional == 18_000
    error = refused(seeded_db, "O-c", quantity="1", limit="9000")
    assert (error.field, error.limit) == ("quantity", "max_open_notional")
    run(seeded_db, lambda tr: cancel_order(tr, "O-a", NOW))
    assert exposure(seeded_db).open_notional == 9_000
    assert place(seeded_db, "O-c", quantity="1", limit="9000").created


def test_fills_move_open_quantity_into_the_position_and_the_position_limit_holds(seeded_db):
    set_mine(seeded_db, max_position=D(4))
    order = place(seeded_db, "O-seed", "3.0").order
    ea1 = order.attempts[0]
    fill = report("O-seed", "EA-1", ea1.venue, "trade", cum="1.2", qty="1.2", price="9980")
    run(seeded_db, lambda tr: apply_execution_report(tr, fill, NOW))
    seen = exposure(seeded_db)
    assert (seen.position, seen.open_buy_quantity) == (D("1.2"), D("1.8"))
    assert seen.open_notional == D("1.8") * 10000
    error = refused(seeded_db, "O-more", quantity="1.5")  # 1.2 + 1.8 + 1.5 > 4
    assert (error.field, error.limit) == ("quantity", "max_position")
    assert place(seeded_db, "O-sell", quantity="1", limit="9980", side="sell").created


def test_the_order_rate_counts_each_accepted_order_once(seeded_db):
    run(seeded_db, lambda tr: risk.set_limits(tr, TRADER, ANY, Limits(orders_per_second=2)))
    assert place(seeded_db, "O-1", "0.1", coid="c-1").created
    assert place(seeded_db, "O-2", "0.1", coid="c-2").created
    # The same submissions again (a retry, a replay): answered, neither counted nor refused.
    assert not place(seeded_db, "O-1b", "0.1", coid="c-1").created
    assert not place(seeded_db, "O-2", "0.1", coid="c-2").created
    error = refused(seeded_db, "O-3", quantity="0.1", coid="c-3")
    assert (error.field, error.limit) == ("non_field_errors", "orders_per_second")
    later = NOW + timedelta(seconds=1)
    assert place(seeded_db, "O-3", "0.1", coid="c-3", now=later).created
    # Only the current second's counter is kept.
    rng = keys.ORDER_RATE.range((TRADER,))
    rows = run(seeded_db, lambda tr: tr.get_range(rng.start, rng.stop))
    assert len(rows) == 1


def test_a_commit_that_may_have_happened_is_counted_once(tmp_path):
    db = seeded_store(tmp_path, commit_unknown_rate=0.5, seed=7)
    try:
        run(db, lambda tr: risk.set_limits(tr, TRADER, ANY, Limits(orders_per_second=3)))
        for n in range(3):
            assert place(db, f"O-{n}", "0.1").order.order_id == f"O-{n}"
        assert run(db, lambda tr: risk.accepted_this_second(tr, TRADER, NOW)) == 3
        assert refused(db, "O-4", quantity="0.1").limit == "orders_per_second"
    finally:
        db.close()


def test_submit_order_counts_each_refusal_by_its_limit(seeded_db):
    command = PlaceOrder(TRADER, "O-big", "BTC-USD", "buy", "26", "10000")
    for _ in range(2):
        with pytest.raises(RiskRefused):
            submit_order(seeded_db, replace(command), NOW)
    counters = run(seeded_db, lambda tr: Repository(tr).counters())
    assert counters[("risk_refusals", "max_order_quantity")] == 2


def test_staff_limits_are_checked_before_they_are_stored(seeded_db):
    with pytest.raises(InvalidField) as error:  # InvalidField
        run(seeded_db, lambda tr: risk.set_limits(tr, "T-nobody", ANY, Limits(max_position=D(1))))
    assert error.value.field == "trader_id"
    with pytest.raises(InvalidField) as error:
        run(seeded_db, lambda tr: risk.set_limits(tr, ANY, ANY, Limits(price_band=D("1.5"))))
    assert error.value.field == "price_band"
    run(seeded_db, lambda tr: risk.set_limits(tr, TRADER, ANY, Limits(max_position=D(1))))
    run(seeded_db, lambda tr: risk.set_limits(tr, TRADER, ANY, Limits()))  # all unset: removed
    assert run(seeded_db, lambda tr: risk.limits_at(tr, TRADER, ANY)) is None
    # Staff lifting a default is kept through the next `make run`'s seeding.
    run(seeded_db, lambda tr: risk.set_limits(tr, ANY, ANY, Limits()))
    run(seeded_db, reference.seed_reference_data)
    assert (
        run(seeded_db, lambda tr: risk.effective_limits(tr, TRADER, ANY)).orders_per_second is None
    )


def test_a_filled_order_leaves_only_its_position(seeded_db):
    order = place(seeded_db, "O-ioc", "0.1", limit=None).order  # market: IOC at the venue
    assert order.state is not OrderState.FILLED
    assert exposure(seeded_db).open_buy_quantity == D("0.1")  # EA-1 is out: still open
    venue = order.attempts[0].venue
    fill = report("O-ioc", "EA-1", venue, "trade", cum="0.1", qty="0.1", price="9980")
    run(seeded_db, lambda tr: apply_execution_report(tr, fill, NOW))
    assert exposure(seeded_db) == Exposure(position=D("0.1"))


def test_a_store_from_before_the_counters_is_counted_once(seeded_db):
    place(seeded_db, "O-a", quantity="1", limit="9000")
    place(seeded_db, "O-b", quantity="2", limit="10000", side="sell")
    kept = run(seeded_db, risk.exposure_counters)
    rng = keys.EXPOSURE.range()
    run(seeded_db, lambda tr: tr.clear_range(rng.start, rng.stop))  # as an older version left it
    assert risk.rebuild_exposure_once(seeded_db)
    assert run(seeded_db, risk.exposure_counters) == kept
    place(seeded_db, "O-c", quantity="1", limit="9000")
    assert not risk.rebuild_exposure_once(seeded_db)  # once: later starts change nothing
    assert exposure(seeded_db).open_buy_quantity == 2
