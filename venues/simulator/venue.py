"""One venue: its books, its orders by client order id, its report log, its faults.

Synchronous and free of I/O: the aiohttp layer (app.py, stream.py) calls it and hands it
listeners for the stream. Every message it logs gets the venue's next `seq`, so a client
that reconnects with `since=N` is sent everything after N that the log still holds.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from venues.simulator.book import Book, Fill
from venues.simulator.decimals import ZERO, fee_text, plain, taker_fee
from venues.simulator.faults import Dice, Faults
from venues.simulator.orders import BadOrder, ChildOrder, OrderRequest, VenueFill
from venues.simulator.state import VenueState

LOG_LIMIT = 100_000  # messages kept for replay
ORDER_LIMIT = 1_000_000  # orders remembered (and so never executed twice)
REJECT_REASON = "rejected by the venue (simulated fault)"

Message = dict[str, Any]


class Listener(Protocol):
    """An open stream: takes live messages; closed when the venue goes down."""

    def deliver(self, message: Message) -> None: ...

    def close(self, reason: str) -> None: ...


class Journal(Protocol):
    """Sees each operation's messages inside its transaction (record) and after it (release):
    the FIX acceptor numbers and keeps its reports with the venue's own change."""

    def record(self, messages: list[Message]) -> None: ...

    def release(self) -> None: ...


class VenueFull(Exception):
    """The venue remembers ORDER_LIMIT orders already; restart the simulator."""


class CancelResult(StrEnum):
    CANCELED = "canceled"
    ENDED = "ended"  # it had filled, expired, been canceled or rejected already
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class VenueSpec:
    name: str
    taker_fee_rate: Decimal
    protocol: str = "http"  # "http": trading API and stream; "fix": a FIX 4.4 session only


def utc_now() -> datetime:
    return datetime.now(UTC)


class Venue:
    def __init__(
        self,
        spec: VenueSpec,
        instruments: Iterable[str],
        *,
        session: str,
        dice: Dice,
        clock: Callable[[], datetime] = utc_now,
        state: VenueState | None = None,
    ) -> None:
        self.name = spec.name
        self.fee_rate = spec.taker_fee_rate
        self.protocol = spec.protocol
        self.session = session  # new per simulator run: seqs and ids start over with it
        self.faults = Faults()
        self._dice = dice
        self._clock = clock
        self._books: dict[str, Book] = {instrument: Book() for instrument in instruments}
        self._orders: dict[str, ChildOrder] = {}
        self._resting: dict[str, ChildOrder] = {}  # working GTC orders, in arrival order
        self._held: dict[str, list[Message]] = {}  # reorder fault: an order's reports so far
        self._log: deque[Message] = deque(maxlen=LOG_LIMIT)
        self._listeners: set[Listener] = set()
        self._seq = 0
        self._last_ids = {kind: 0 for kind in ("O", "E", "F")}
        self._state = state
        self._outgoing: list[Message] = []  # published, delivered once the state is committed
        self._dirty_orders: set[str] = set()
        self._dirty_books: set[str] = set()
        self.journal: Journal | None = None
        if state is not None:
            self._load(state)

    # --- the state on disk ----------------------------------------------------------------

    def _load(self, state: VenueState) -> None:
        """What the last run kept: books, orders (working GTC ones rest again), log, counters."""
        for instrument, wire in state.books().items():
            self._books[instrument] = Book.parse(wire["asks"], wire["bids"])
        for wire in state.orders():
            order = ChildOrder.from_wire(wire)
            self._orders[order.client_order_id] = order
            if order.working:
                self._resting[order.client_order_id] = order
        self._log.extend(state.log(LOG_LIMIT))
        self._seq = state.counter("seq")
        self._last_ids = {kind: state.counter(kind) for kind in self._last_ids}

    @property
    def has_state(self) -> bool:
        """Whether a previous run left books or orders (then the seed's books are not loaded)."""
        return bool(self._seq or self._orders)

    def _keep(self, state: VenueState) -> None:
        """Write this operation's changes and commit them (the journal's rows with them)."""
        for client_order_id in self._dirty_orders:
            state.put_order(client_order_id, self._orders[client_order_id].to_wire())
        for instrument in self._dirty_books:
            state.put_book(instrument, self._books[instrument].to_wire())
        for message in self._outgoing:
            state.append_log(message)
        if self._outgoing and self._seq % 1000 < len(self._outgoing):
            state.trim_log(self._seq - LOG_LIMIT)
        state.set_counter("seq", self._seq)
        for kind, value in self._last_ids.items():
            state.set_counter(kind, value)
        state.commit()

    def _done(self) -> None:
        """End of one operation: keep what changed, then let its messages out."""
        if self.journal is not None and self._outgoing:
            self.journal.record(self._outgoing)
        if self._state is not None:
            self._keep(self._state)
        self._dirty_orders.clear()
        self._dirty_books.clear()
        outgoing, self._outgoing = self._outgoing, []
        if self.journal is not None and outgoing:
            self.journal.release()
        for logged in outgoing:
            copies = 1
            if logged["type"] == "execution_report" and self._dice.strikes(
                self.faults.duplicate_report_rate
            ):
                copies = 2  # the same message twice: same exec_id, same seq
            for listener in list(self._listeners):
                for _ in range(copies):
                    listener.deliver(logged)

    # --- books --------------------------------------------------------------------------

    @property
    def instruments(self) -> list[str]:
        return sorted(self._books)

    def book(self, instrument: str) -> Book | None:
        return self._books.get(instrument)

    def set_book(self, instrument: str, book: Book) -> None:
        """Replace the public book; resting GTC orders then take what they can from it."""
        self._books[instrument] = book
        self._publish(self._book_message(instrument))
        for order in list(self._resting.values()):
            if order.request.instrument == instrument:
                self._execute(order)
        self._done()

    # --- faults -------------------------------------------------------------------------

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        if not faults.reorder_reports:
            for client_order_id in list(self._held):
                self._flush(client_order_id)
        self._done()
        if faults.down:
            self.close_streams("venue down")

    def strikes(self, rate: Decimal) -> bool:
        return self._dice.strikes(rate)

    # --- orders -------------------------------------------------------------------------

    def order(self, client_order_id: str) -> ChildOrder | None:
        return self._orders.get(client_order_id)

    def place(self, request: OrderRequest) -> tuple[ChildOrder, bool]:
        """(the order, whether it was known before). A known client order id never executes
        again: the order is returned as it stands."""
        known = self._orders.get(request.client_order_id)
        if known is not None:
            return known, True
        if request.instrument not in self._books:
            raise BadOrder(f"{self.name} does not trade {request.instrument}")
        if len(self._orders) >= ORDER_LIMIT:
            raise VenueFull(f"{self.name} remembers {ORDER_LIMIT} orders already")
        order = ChildOrder(request, self._next_id("O"))
        self._orders[order.client_order_id] = order
        if self.faults.reorder_reports:
            self._held[order.client_order_id] = []
        if self._dice.strikes(self.faults.reject_rate):
            order.reject(REJECT_REASON)
            self._report(order, "rejected")
        else:
            self._report(order, "new")
            self._execute(order)
        self._done()
        return order, False

    def cancel(self, client_order_id: str) -> tuple[CancelResult, ChildOrder | None]:
        order = self._orders.get(client_order_id)
        if order is None:
            return CancelResult.UNKNOWN, None
        if not order.working:
            return CancelResult.ENDED, order
        order.cancel()
        self._resting.pop(client_order_id, None)
        self._report(order, "canceled")
        self._done()
        return CancelResult.CANCELED, order

    def _execute(self, order: ChildOrder) -> None:
        """Take what the book has at the order's price; an IOC rest expires, a GTC rest waits."""
        request = order.request
        book = self._books[request.instrument]
        fills = book.take(request.side, order.leaves_qty, request.price)
        for fill in fills:
            self._fill(order, fill)
        if order.working and request.time_in_force == "IOC":
            order.expire()
            self._report(order, "expired")
        if order.working:
            self._resting[order.client_order_id] = order
        else:
            self._resting.pop(order.client_order_id, None)
        if fills:
            self._publish(self._book_message(request.instrument))

    def _fill(self, order: ChildOrder, fill: Fill) -> None:
        venue_fill = VenueFill(
            venue_fill_id=self._next_id("F"),
            quantity=fill.quantity,
            price=fill.price,
            fee=taker_fee(fill.quantity, fill.price, self.fee_rate),
            fee_asset=order.fee_asset,
            ts=self._now(),
        )
        order.fill(fill, venue_fill)
        self._report(order, "trade", venue_fill)

    # --- reports and the stream ---------------------------------------------------------

    def _report(self, order: ChildOrder, exec_type: str, fill: VenueFill | None = None) -> None:
        self._dirty_orders.add(order.client_order_id)  # every change of an order reports
        if self._dice.strikes(self.faults.drop_report_rate):
            return  # the drop fault: this report is lost, the order's state is not
        request = order.request
        report: Message = {
            "type": "execution_report",
            "venue": self.name,
            "exec_id": self._next_id("E"),
            "client_order_id": order.client_order_id,
            "venue_order_id": order.venue_order_id,
            "instrument": request.instrument,
            "side": request.side,
            "exec_type": exec_type,
            "order_status": order.status.value,
            "last_qty": plain(fill.quantity) if fill else "0",
            "last_px": plain(fill.price) if fill else "0",
            "cum_qty": plain(order.cum_qty),
            "leaves_qty": plain(order.leaves_qty),
            "fee": fee_text(fill.fee if fill else ZERO),
            "fee_asset": order.fee_asset,
            "venue_fill_id": fill.venue_fill_id if fill else None,
            "reason": order.reason,
            "transact_time": fill.ts if fill else self._now(),
        }
        held = self._held.get(order.client_order_id)
        if held is None:
            self._publish(report)
            return
        held.append(report)
        if not order.working:
            self._flush(order.client_order_id)

    def _flush(self, client_order_id: str) -> None:
        """The reorder fault: an order's held reports go out last first."""
        for report in reversed(self._held.pop(client_order_id)):
            self._publish(report)

    def _book_message(self, instrument: str) -> Message:
        return {
            "type": "book",
            "venue": self.name,
            "instrument": instrument,
            **self._books[instrument].to_wire(),
        }

    def _publish(self, message: Message) -> None:
        self._seq += 1
        logged = {"type": message["type"], "seq": self._seq, **message}
        self._log.append(logged)
        self._outgoing.append(logged)
        if logged["type"] == "book":
            self._dirty_books.add(logged["instrument"])

    @property
    def last_seq(self) -> int:
        return self._seq

    @property
    def first_seq(self) -> int:
        """The oldest seq the log still holds (0: nothing logged yet)."""
        return self._log[0]["seq"] if self._log else 0

    def replay(self, since: int) -> list[Message]:
        """Every logged message with seq > since, oldest first."""
        if since >= self._seq or not self._log:
            return []
        start = max(0, since - self.first_seq + 1)
        return list(itertools.islice(self._log, start, None))

    def subscribe(self, listener: Listener, since: int) -> list[Message]:
        """Register a stream; returns what it gets first: hello, the replay, book snapshots.
        Nothing is published in between, so live messages follow on without gap or overlap."""
        hello: Message = {
            "type": "hello",
            "venue": self.name,
            "session": self.session,
            "instruments": self.instruments,  # a book snapshot follows the replay for each
            "first_seq": self.first_seq,
            "last_seq": self._seq,
        }
        snapshots = [
            {"type": "book", "seq": 0, "snapshot": True, **self._book_message(instrument)}
            for instrument in self.instruments
        ]
        self._listeners.add(listener)
        return [hello, *self.replay(since), *snapshots]

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    def close_streams(self, reason: str) -> None:
        listeners, self._listeners = self._listeners, set()
        for listener in listeners:
            listener.close(reason)

    # --- ids and time -------------------------------------------------------------------

    def _next_id(self, kind: str) -> str:
        """SIM-A-F-3f9a1c2e-000017: unique per venue, and across runs through the session."""
        self._last_ids[kind] += 1
        return f"{self.name}-{kind}-{self.session}-{self._last_ids[kind]:06d}"

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat()
