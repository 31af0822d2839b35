"""The unit of work: one store transaction as trading-core's handlers see it.

A handler is `handler(command, uow)`: it reads and changes records through `uow.repo` (the one
repository of the transaction), emits messages to `uow.outbox`, and ends every change of an
order with the order's closing sequence here (`order_changed`, `order_placed`). It does no I/O
and is idempotent under replay, because its transaction may run again.

`with UnitOfWork(tr, now) as uow:` is the scope of one transaction attempt: the outbox rows it
collected are written, in the order they were emitted, when the block ends without an error
(none when it raises). `execute(db, handler, command, now)` is the one runner: it opens the
transaction, retries and commits exactly as `infra.store.api.run` does (1007/1020/1021, with
a fresh unit of work each attempt, so nothing of a failed attempt is carried over).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import TypeVar

from infra.store.api import Database, Transaction, run
from trading import outbox as ob
from trading.domain.instruments import Instrument
from trading.domain.orders import Fill, Order
from trading.domain.reservations import hold_minor
from trading.repository import Repository
from trading.services.working import MAX_FEE_RATE, publish_delta, sync_hold

C = TypeVar("C")
T = TypeVar("T")


class UntrackedOrder(RuntimeError):
    """A change closed on an order this unit of work did not load: its hold is unknown."""


@dataclass
class CollectingOutbox(ob.Outbox):
    """The unit of work's outbox: messages are held until the work ends, then written."""

    pending: list[ob.OutboxMessage] = field(default_factory=list)
    open: bool = False  # inside `with uow:`; outside it nothing would ever write the rows

    def write(self, message: ob.OutboxMessage) -> None:
        if not self.open:
            raise RuntimeError("a unit of work emits only inside `with uow:`")
        self.pending.append(message)

    def flush(self) -> None:
        """Write what was collected, in order (one versionstamped row each, one signal)."""
        for message in self.pending:
            ob.Outbox.write(self, message)
        self.pending.clear()


class UnitOfWork:
    """One transaction: its repository, its outbox, and the orders' closing sequence."""

    def __init__(self, tr: Transaction, now: datetime) -> None:
        self.tr = tr
        self.now = now  # the time every change of this unit of work is recorded at
        self.repo = Repository(tr)
        self.outbox = CollectingOutbox(tr)
        # order id -> what the order held when loaded (or last saved): the hold moves from it.
        self._held: dict[str, int] = {}
        self._depth = 0

    def __enter__(self) -> UnitOfWork:
        self._depth += 1
        self.outbox.open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth:
            return  # an inner block: the outermost one decides
        self.outbox.open = False
        if exc_type is not None:
            self.outbox.pending.clear()  # a refused handler sends nothing
        else:
            self.outbox.flush()

    @property
    def messages(self) -> list[ob.OutboxMessage]:
        """Every message of this unit of work so far (written or still collected)."""
        return [*self.outbox.written, *self.outbox.pending]

    # --- orders ---------------------------------------------------------------------------
    def find_order(self, order_id: str) -> Order | None:
        """The order, tracked for its closing sequence; None when there is none."""
        order = self.repo.find_order(order_id)
        if order is not None:
            self._held[order_id] = hold_minor(order, MAX_FEE_RATE)
        return order

    def order(self, order_id: str, *, trader_id: str | None = None) -> Order:
        """The order (UnknownOrder also when it is another trader's), tracked."""
        order = self.repo.order(order_id, trader_id=trader_id)
        self._held[order_id] = hold_minor(order, MAX_FEE_RATE)
        return order

    def order_changed(
        self, order: Order, instrument: Instrument, last_fill: Fill | None = None
    ) -> None:
        """Close one change a snapshot shows: seq + 1, the hold moved, the delta out, saved."""
        if order.order_id not in self._held:
            raise UntrackedOrder(f"order {order.order_id} was not loaded by this unit of work")
        order.touch(self.now)
        self._close(order, instrument, self._held[order.order_id], last_fill)

    def order_placed(self, order: Order, instrument: Instrument) -> None:
        """Close a new order: seq 1 as it is, its whole hold taken, its first delta, saved."""
        self._close(order, instrument, 0, None, new=True)

    def save_order(self, order: Order) -> None:
        """Save without a delta (nothing a snapshot shows changed, e.g. a pending end report)."""
        self.repo.save_order(order)
        self._held[order.order_id] = hold_minor(order, MAX_FEE_RATE)

    def _close(
        self,
        order: Order,
        instrument: Instrument,
        held_before: int,
        last_fill: Fill | None,
        *,
        new: bool = False,
    ) -> None:
        sync_hold(order, instrument, held_before, self.repo)
        publish_delta(self.outbox, order, self.now, last_fill)
        self.repo.save_order(order, new=new)
        self._held[order.order_id] = hold_minor(order, MAX_FEE_RATE)


def execute(db: Database, handler: Callable[[C, UnitOfWork], T], command: C, now: datetime) -> T:
    """`handler(command, uow)` in one store transaction, retried and committed as `run` does."""

    def attempt(tr: Transaction) -> T:
        with UnitOfWork(tr, now) as uow:
            return handler(command, uow)

    return run(db, attempt)


def joined(tr: Transaction, handler: Callable[[C, UnitOfWork], T], command: C, now: datetime) -> T:
    """`handler(command, uow)` inside a caller's transaction (the caller commits)."""
    with UnitOfWork(tr, now) as uow:
        return handler(command, uow)
