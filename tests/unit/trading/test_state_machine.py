"""The order's and attempts' transition tables: the only way a state changes.

Every move a table does not list is refused with IllegalTransition (a typed error, so it holds
under `python -O`) and changes nothing; random report sequences never leave the tables.
"""

from __future__ import annotations

import ast
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.support.reports import report
from trading.domain.errors import IllegalTransition, Refusal
from trading.domain.lifecycle import (
    ENDED_ORDER_STATES,
    AttemptEvent,
    AttemptState,
    OrderEvent,
    OrderState,
    attempt_transitions,
    order_transitions,
)
from trading.domain.orders import Attempt, Order, OrderType, Side, TimeInForce

T0 = datetime(2026, 11, 25, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]
ORDER_TABLE = order_transitions()
ATTEMPT_TABLE = attempt_transitions()


def an_order(state: OrderState = OrderState.NEW, quantity: str = "3") -> Order:
    return Order(
        order_id="O1",
        trader_id="T1",
        client_order_id=None,
        instrument="BTC-USD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        quantity=Decimal(quantity),
        limit_price=Decimal("10000"),
        protect_price=Decimal("10000"),
        venue=None,
        created_at=T0,
        updated_at=T0,
        state=state,
    )


@pytest.mark.parametrize(("state", "event"), list(itertools.product(OrderState, OrderEvent)))
def test_an_order_moves_only_as_its_table_says(state, event):
    order = an_order(state)
    if (state, event) in ORDER_TABLE:
        order.apply(event)
        assert order.state is ORDER_TABLE[(state, event)]
    else:
        with pytest.raises(IllegalTransition, match=f"{event.value} in {state.value}"):
            order.apply(event)
        assert order.state is state


@pytest.mark.parametrize(("state", "event"), list(itertools.product(AttemptState, AttemptEvent)))
def test_an_attempt_moves_only_as_its_table_says(state, event):
    attempt = Attempt("EA-1", "SIM-A", Decimal(1), Decimal("10000"), T0, state=state)
    if (state, event) in ATTEMPT_TABLE:
        attempt.apply(event)
        assert attempt.state is ATTEMPT_TABLE[(state, event)]
    else:
        with pytest.raises(IllegalTransition):
            attempt.apply(event)
        assert attempt.state is state


def test_nothing_leaves_an_ended_order_or_attempt():
    assert not [key for key in ORDER_TABLE if key[0] in ENDED_ORDER_STATES]
    ended = {AttemptState.FILLED, AttemptState.EXPIRED, AttemptState.CANCELED}
    assert not [key for key in ATTEMPT_TABLE if key[0] in ended | {AttemptState.REJECTED}]


def test_an_event_the_tables_do_not_know_is_refused():
    order = an_order()
    with pytest.raises(IllegalTransition, match="filled_by_magic in new"):
        order.apply("filled_by_magic")
    assert order.state is OrderState.NEW


def test_an_order_with_an_attempt_at_a_venue_cannot_end():
    order = an_order(OrderState.WORKING)
    order.add_attempt("SIM-A", Decimal(3), T0)
    with pytest.raises(IllegalTransition, match="attempts are still at a venue"):
        order.end(OrderEvent.EXPIRED)
    assert order.state is OrderState.WORKING and order.reason is None


def test_rejected_after_fills_is_the_tables_expired_and_before_any_is_rejected():
    assert ORDER_TABLE[(OrderState.PARTIALLY_FILLED, OrderEvent.REJECTED)] is OrderState.EXPIRED
    order = an_order(OrderState.WORKING)
    order.end(OrderEvent.REJECTED, reason="venue down")
    assert order.state is OrderState.REJECTED and order.reason == "venue down"


# --- random venues against one order ------------------------------------------------------
quantities = st.sampled_from([Decimal("0.5"), Decimal("1"), Decimal("1.5")])


class OneOrder(RuleBasedStateMachine):
    """A venue acts at random on one order's attempts; reports arrive late, twice, made up.

    After every step: each state is one the tables can reach, the quantities agree, and
    nothing but IllegalTransition-free moves (or a Refusal, which changes nothing) happened.
    """

    def __init__(self) -> None:
        super().__init__()
        self.order = an_order()
        self.ids = itertools.count(1)
        self.sent: list = []  # every report a venue sent, for late or repeated delivery
        self.in_flight: list = []  # fills a venue sent before its end report, not yet delivered

    def _apply(self, rep) -> None:
        before = (self.order.state, [a.state for a in self.order.attempts])
        snapshot = (self.order.filled_quantity, self.order.seq)
        try:
            self.order.apply_report(rep, f"O1-F{next(self.ids)}")
        except Refusal:
            assert (self.order.state, [a.state for a in self.order.attempts]) == before
            assert (self.order.filled_quantity, self.order.seq) == snapshot
            return
        state, attempts = before
        if self.order.state is not state:
            assert any(ORDER_TABLE.get((state, e)) is self.order.state for e in OrderEvent)
        for was, attempt in zip(attempts, self.order.attempts, strict=True):
            if attempt.state is not was:
                assert any(ATTEMPT_TABLE.get((was, e)) is attempt.state for e in AttemptEvent)

    def _live(self) -> list[Attempt]:
        return [a for a in self.order.attempts if a.final_exec_type is None and not a.ended]

    @precondition(lambda self: not self.order.ended and not self.order.active_attempts)
    @rule(quantity=quantities)
    def route(self, quantity):
        left = self.order.remaining_quantity
        if self.order.state is OrderState.CANCEL_PENDING:
            self.order.end(OrderEvent.CANCELED)
        elif left:
            self.order.add_attempt("SIM-A", min(quantity, left), T0)

    @precondition(lambda self: self._live())
    @rule(data=st.data(), fraction=st.sampled_from([Decimal("0.5"), Decimal("1")]))
    def venue_fills(self, data, fraction):
        attempt = data.draw(st.sampled_from(self._live()))
        left = attempt.quantity - attempt.filled_quantity
        qty = min(left, (attempt.quantity * fraction).quantize(Decimal("0.0001")))
        cum = attempt.filled_quantity + qty
        rep = report("O1", attempt.attempt_id, "SIM-A", "trade", cum=cum, qty=qty, price="9980")
        self.sent.append(rep)
        self._apply(rep)

    @precondition(lambda self: self._live())
    @rule(data=st.data(), kind=st.sampled_from(["expired", "canceled"]))
    def end_overtakes_its_fill(self, data, kind):
        attempt = data.draw(st.sampled_from(self._live()))
        qty = (attempt.quantity - attempt.filled_quantity) / 2
        cum = attempt.filled_quantity + qty
        fill = report("O1", attempt.attempt_id, "SIM-A", "trade", cum=cum, qty=qty, price="9980")
        self.sent.append(fill)
        self.in_flight.append(fill)
        self._apply(report("O1", attempt.attempt_id, "SIM-A", kind, cum=cum))

    @precondition(lambda self: self.in_flight)
    @rule()
    def late_fill_arrives(self):
        self._apply(self.in_flight.pop(0))

    @precondition(lambda self: self._live())
    @rule(data=st.data(), kind=st.sampled_from(["new", "expired", "canceled", "rejected"]))
    def venue_answers(self, data, kind):
        attempt = data.draw(st.sampled_from(self._live()))
        cum = attempt.filled_quantity
        rep = report("O1", attempt.attempt_id, "SIM-A", kind, cum=cum, leaves=attempt.quantity)
        self.sent.append(rep)
        self._apply(rep)

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def deliver_again(self, data):
        self._apply(data.draw(st.sampled_from(self.sent)))

    @precondition(lambda self: self.order.attempts)
    @rule(data=st.data(), qty=st.sampled_from(["0.0001", "9"]))
    def made_up_fill(self, data, qty):
        attempt = data.draw(st.sampled_from(self.order.attempts))
        self._apply(
            report("O1", attempt.attempt_id, "SIM-A", "trade", cum="9", qty=qty, price="9980")
        )

    @precondition(lambda self: self.order.ended)
    @rule()
    def next_order(self):
        self.order, self.sent, self.in_flight = an_order(), [], []

    @precondition(lambda self: not self.order.ended)
    @rule()
    def trader_cancels(self):
        if self.order.state is not OrderState.CANCEL_PENDING:
            self.order.request_cancel()

    @precondition(
        lambda self: (
            not (self.order.ended or self.order.active_attempts)
            and self.order.state is not OrderState.CANCEL_PENDING
        )
    )
    @rule(event=st.sampled_from([OrderEvent.EXPIRED, OrderEvent.REJECTED]))
    def nothing_can_take_it(self, event):
        filled = self.order.filled_quantity
        self.order.end(event, reason="no venue")
        if event is OrderEvent.REJECTED and filled:
            assert self.order.state is OrderState.EXPIRED  # its fills stand
        else:
            assert self.order.state is OrderState(event.value)

    @invariant()
    def quantities_agree(self):
        order = self.order
        assert order.filled_quantity == sum(a.filled_quantity for a in order.attempts)
        assert 0 <= order.filled_quantity <= order.quantity
        for attempt in order.attempts:
            assert 0 <= attempt.filled_quantity <= attempt.quantity
            assert (attempt.state is AttemptState.FILLED) == (
                attempt.filled_quantity == attempt.quantity
            )

    @invariant()
    def states_agree_with_fills(self):
        order = self.order
        if order.state in (OrderState.REJECTED, OrderState.NEW, OrderState.WORKING):
            assert order.filled_quantity == 0
        if order.state is OrderState.FILLED:
            assert order.filled_quantity == order.quantity
        if order.state is OrderState.PARTIALLY_FILLED:
            assert 0 < order.filled_quantity < order.quantity
        if order.ended:
            assert not order.active_attempts


OneOrder.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestOneOrder = OneOrder.TestCase


# --- no way around the tables ---------------------------------------------------------------
PACKAGES = ("trading", "ledger", "venues", "backoffice", "realtime", "infra")
# Records with a `state` of their own that is no order's or attempt's.
OTHER_LIFECYCLES = {
    "trading/services/adjustments.py",  # a manual adjustment: pending -> posted | rejected
}


def _state_writes(source: str, name: str) -> list[str]:
    """`x.state = ...` (also += and annotated), `replace(x, state=...)` and
    `setattr(x, "state", ...)` outside a method named `apply`, as `name:line`."""
    found = []
    tree = ast.parse(source, name)
    inside_apply: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "apply":
            inside_apply.update(ast.walk(node))
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call):
            called = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if called in ("replace", "setattr"):
                literal = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if "state" in literal or any(k.arg == "state" for k in node.keywords):
                    found.append(f"{name}:{node.lineno}")
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "state":
                if node not in inside_apply:
                    found.append(f"{name}:{target.lineno}")
    return found


def test_no_code_assigns_a_state_but_the_tables_apply():
    files = [
        p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations" not in p.parts
    ]
    assert len(files) > 50  # the scan saw the project
    names = {p: str(p.relative_to(ROOT)) for p in files}
    hits = [
        hit
        for path, name in names.items()
        if name not in OTHER_LIFECYCLES
        for hit in _state_writes(path.read_text(), name)
    ]
    assert hits == []


@pytest.mark.parametrize(
    "source",
    [
        "def f(order, s):\n    order.state = s\n",
        "def f(a):\n    return replace(a, state='filled')\n",
        "def f(a):\n    setattr(a, 'state', 'filled')\n",
        "class A:\n    def move(self):\n        self.state = 1\n",
    ],
)
def test_the_scan_finds_a_way_around_the_tables(source):
    assert len(_state_writes(source, "probe.py")) == 1


def test_the_scan_lets_apply_change_the_state():
    assert _state_writes("class A:\n    def apply(self, e):\n        self.state = e\n", "p") == []
