"""Property tests: random report sequences on the embedded store with faults injected.

Venues act at random (acks, partial fills, ends), and their reports reach trading-core late,
twice, out of order, or made up (overfills, fills after the end). After every step the
invariants hold; and one attempt's reports in any order with repeats end where in-order would.
"""

from __future__ import annotations

import itertools
import random
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from infra.store.api import run
from tests.support.reports import NOW, report
from tests.support.store import TRADER, seeded_store
from trading.invariants import find_violations
from trading.repository import Repository
from trading.services.cancel import OrderNotCancelable, cancel_order
from trading.services.execution import apply_execution_report
from trading.services.place import PlaceOrder, place_order

FAULTS = {"not_committed_rate": 0.1, "commit_unknown_rate": 0.1}
fractions = st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal("1")])


class ReportStorm(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.db = seeded_store(Path(self.tmp.name), seed=1, **FAULTS)
        self.ids = itertools.count(1)
        self.venue_cum: dict[tuple[str, str], Decimal] = {}  # what each venue really filled
        self.venue_ended: set[tuple[str, str]] = set()
        self.pending: list = []  # reports sent by venues, not yet delivered
        self.delivered: list = []

    def teardown(self) -> None:
        self.db.close()
        self.tmp.cleanup()

    def _tx(self, fn):
        return run(self.db, fn)

    def _open_attempts(self):
        found = []
        for order_id in self._tx(lambda tr: Repository(tr).all_order_ids()):
            order = self._tx(lambda tr, o=order_id: Repository(tr).order(o))
            for attempt in order.attempts:
                if (order_id, attempt.attempt_id) not in self.venue_ended:
                    found.append((order, attempt))
        return found

    @rule(side=st.sampled_from(["buy", "sell"]), quantity=st.sampled_from(["0.5", "1.2", "3.0"]))
    def place(self, side, quantity):
        limit = "10000" if side == "buy" else "9000"
        command = PlaceOrder(TRADER, f"O{next(self.ids):04d}", "BTC-USD", side, quantity, limit)
        self._tx(lambda tr: place_order(tr, command, NOW))

    @precondition(lambda self: self._open_attempts())
    @rule(
        data=st.data(),
        fraction=fractions,
        end=st.sampled_from(["none", "expired", "canceled", "rejected"]),
    )
    def venue_acts(self, data, fraction, end):
        order, attempt = data.draw(st.sampled_from(self._open_attempts()))
        key = (order.order_id, attempt.attempt_id)
        cum = self.venue_cum.get(key, Decimal(0))
        args = (order.order_id, attempt.attempt_id, attempt.venue)
        if cum == 0:
            self.pending.append(report(*args, "new", leaves=attempt.quantity))
        if end != "rejected":
            qty = min(
                attempt.quantity - cum, (attempt.quantity * fraction).quantize(Decimal("0.0001"))
            )
            if qty > 0:
                cum += qty
                price = "9980" if order.side.value == "buy" else "9990"
                self.pending.append(report(*args, "trade", cum=cum, qty=qty, price=price))
        self.venue_cum[key] = cum
        if cum == attempt.quantity:
            self.venue_ended.add(key)
        elif end != "none" and not (end == "rejected" and cum):
            self.pending.append(report(*args, end, cum=cum))
            self.venue_ended.add(key)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def deliver_any(self, data):
        rep = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        self._tx(lambda tr: apply_execution_report(tr, rep, NOW))
        self.delivered.append(rep)

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def deliver_again(self, data):
        rep = data.draw(st.sampled_from(self.delivered))
        self._tx(lambda tr: apply_execution_report(tr, rep, NOW))

    @precondition(lambda self: self.delivered)
    @rule(data=st.data(), extra=st.sampled_from(["0.0001", "5"]))
    def made_up_fill(self, data, extra):
        real = data.draw(st.sampled_from(self.delivered))
        bogus = report(
            real.order_id, real.attempt_id, real.venue, "trade", qty=extra, price="9980", cum="99"
        )
        key = (real.order_id, real.attempt_id)
        if key in self.venue_ended or extra == "5":  # after the end, or over the size: refused
            self._tx(lambda tr: apply_execution_report(tr, bogus, NOW))

    @rule(data=st.data())
    def cancel(self, data):
        ids = self._tx(lambda tr: Repository(tr).all_order_ids())
        if ids:
            order_id = data.draw(st.sampled_from(ids))
            try:
                self._tx(lambda tr: cancel_order(tr, order_id, NOW))
            except OrderNotCancelable:
                pass

    @invariant()
    def store_is_sound(self):
        assert self._tx(find_violations) == []


ReportStorm.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestReportStorm = ReportStorm.TestCase


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fills=st.lists(st.sampled_from(["0.1", "0.2", "0.5"]), min_size=1, max_size=5),
    end=st.sampled_from(["expired", "canceled"]),
    shuffle_seed=st.integers(0, 10**6),
    repeats=st.lists(st.integers(0, 20), max_size=4),
)
def test_reports_in_any_order_with_repeats_end_as_in_order(
    tmp_path_factory, fills, end, shuffle_seed, repeats
):
    def script(order_id):
        reps, cum = [report(order_id, "EA-1", "SIM-A", "new", leaves="3.0")], Decimal(0)
        for qty in fills:
            cum += Decimal(qty)
            reps.append(report(order_id, "EA-1", "SIM-A", "trade", cum=cum, qty=qty, price="9980"))
        reps.append(report(order_id, "EA-1", "SIM-A", end, cum=cum))
        return reps

    def outcome(reps, folder):
        db = seeded_store(folder, **FAULTS)
        try:
            command = PlaceOrder(
                TRADER, "O1", "BTC-USD", "buy", "3.0", "10000", time_in_force="IOC"
            )
            run(db, lambda tr: place_order(tr, command, NOW))
            for rep in reps:
                run(db, lambda tr, r=rep: apply_execution_report(tr, r, NOW))
            assert run(db, find_violations) == []
            order = run(db, lambda tr: Repository(tr).order("O1"))
            position = run(db, lambda tr: Repository(tr).position(TRADER, "BTC-USD"))
            return (
                order.state,
                order.filled_quantity,
                [(a.attempt_id, a.state, a.filled_quantity) for a in order.attempts],
                position.quantity,
            )
        finally:
            db.close()

    in_order = outcome(script("O1"), tmp_path_factory.mktemp("in-order"))
    scrambled = script("O1")
    scrambled += [scrambled[i % len(scrambled)] for i in repeats]
    random.Random(shuffle_seed).shuffle(scrambled)
    assert outcome(scrambled, tmp_path_factory.mktemp("scrambled")) == in_order
