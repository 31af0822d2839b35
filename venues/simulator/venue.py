"""One venue: its books, the child orders by client order id, its report log and its faults."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from venues.simulator.book import Book

LOG_LIMIT = 100_000
FEE_QUANTUM = Decimal("1e-8")


@dataclass
class Faults:
    latency_ms: int = 0
    reject_rate: float = 0.0
    drop_ack_rate: float = 0.0
    duplicate_report_rate: float = 0.0
    reorder_reports: bool = False
    down: bool = False

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Faults:
        faults = cls()
        for name in ("reject_rate", "drop_ack_rate", "duplicate_report_rate"):
            if name in body:
                value = float(body[name])
                if not 0 <= value <= 1:
                    raise ValueError(f"{name} must be between 0 and 1")
                setattr(faults, name, value)
        if "latency_ms" in body:
            faults.latency_ms = int(body["latency_ms"])
            if not 0 <= faults.latency_ms <= 60_000:
                raise ValueError("latency_ms must be between 0 and 60000")
        for name in ("reorder_reports", "down"):
            if name in body:
                if not isinstance(body[name], bool):
                    raise ValueError(f"{name} must be true or false")
                setattr(faults, name, body[name])
        return faults

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ChildOrder:
    client_order_id: str
    venue_order_id: str
    instrument: str
    side: str
    quantity: Decimal
    price: Decimal | None
    type: str
    time_in_force: str
    status: str = "new"
    cum_qty: Decimal = Decimal(0)
    fills: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None

    @property
    def leaves_qty(self) -> Decimal:
        return (
            Decimal(0)
            if self.status in ("filled", "expired", "canceled", "rejected")
            else self.quantity - self.cum_qty
        )

    def view(self) -> dict[str, Any]:
        return {
            "client_order_id": self.client_order_id,
            "venue_order_id": self.venue_order_id,
            "instrument": self.instrument,
            "side": self.side,
            "quantity": str(self.quantity),
            "price": None if self.price is None else str(self.price),
            "type": self.type,
            "time_in_force": self.time_in_force,
            "status": self.status,
            "cum_qty": str(self.cum_qty),
            "leaves_qty": str(self.leaves_qty),
            "fills": self.fills,
            "reason": self.reason,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Venue:
    def __init__(self, name: str, fee_rate: Decimal, rng: random.Random) -> None:
        self.name = name
        self.fee_rate = fee_rate
        self.rng = rng
        self.books: dict[str, Book] = {}
        self.orders: dict[str, ChildOrder] = {}
        self.faults = Faults()
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self.subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._held: dict[
            str, list[dict[str, Any]]
        ] = {}  # reorder: an order's reports until it ends

    # --- the stream -----------------------------------------------------------------------
    def _publish(self, message: dict[str, Any]) -> None:
        message["seq"] = next(self._seq)
        self.log.append(message)
        copies = (
            2
            if message["type"] == "execution_report"
            and self.rng.random() < self.faults.duplicate_report_rate
            else 1
        )
        for _ in range(copies):
            self._deliver(message)

    def _deliver(self, message: dict[str, Any]) -> None:
        delay = self.faults.latency_ms / 1000
        for queue in list(self.subscribers):
            if delay:
                asyncio.get_running_loop().call_later(delay, queue.put_nowait, message)
            else:
                queue.put_nowait(message)

    def replay(self, since: int) -> list[dict[str, Any]]:
        return [m for m in self.log if m["seq"] > since]

    def book_message(self, instrument: str) -> dict[str, Any]:
        return {
            "type": "book",
            "venue": self.name,
            "instrument": instrument,
            **self.books.setdefault(instrument, Book()).levels(),
        }

    def publish_book(self, instrument: str) -> None:
        self._publish(self.book_message(instrument))

    def close_streams(self) -> None:
        for queue in list(self.subscribers):
            queue.put_nowait(None)

    # --- orders ---------------------------------------------------------------------------
    def _report(self, order: ChildOrder, exec_type: str, **extra: Any) -> None:
        report = {
            "type": "execution_report",
            "venue": self.name,
            "exec_id": f"{self.name}-E{next(self._ids):07d}",
            "client_order_id": order.client_order_id,
            "venue_order_id": order.venue_order_id,
            "instrument": order.instrument,
            "side": order.side,
            "exec_type": exec_type,
            "order_status": order.status,
            "last_qty": "0",
            "last_px": "0",
            "cum_qty": str(order.cum_qty),
            "leaves_qty": str(order.leaves_qty),
            "fee": "0",
            "fee_asset": order.instrument.split("-")[1],
            "venue_fill_id": None,
            "reason": order.reason,
            "transact_time": _now(),
            **extra,
        }
        if self.faults.reorder_reports:  # hold an order's reports; at its end, send them reversed
            self._held.setdefault(order.client_order_id, []).append(report)
            if order.leaves_qty == 0:
                for message in reversed(self._held.pop(order.client_order_id)):
                    self._publish(message)
            return
        self._publish(report)

    def place(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, answer). A known client order id never executes twice: 409."""
        known = self.orders.get(str(body.get("client_order_id")))
        if known is not None:
            return 409, known.view()
        order = _parse_order(body, self.books, f"{self.name}-O{next(self._ids):07d}")
        self.orders[order.client_order_id] = order
        if self.rng.random() < self.faults.reject_rate:
            order.status, order.reason = "rejected", "rejected by the venue (simulated)"
            self._report(order, "rejected")
            return 200, {
                "client_order_id": order.client_order_id,
                "venue_order_id": order.venue_order_id,
                "status": "rejected",
                "reason": order.reason,
            }
        self._report(order, "new")
        self._match(order)
        return 200, {
            "client_order_id": order.client_order_id,
            "venue_order_id": order.venue_order_id,
            "status": "new",
        }

    def _match(self, order: ChildOrder) -> None:
        book = self.books.setdefault(order.instrument, Book())
        fills = book.take(order.side, order.quantity - order.cum_qty, order.price)
        for price, qty in fills:
            order.cum_qty += qty
            fee = (qty * price * self.fee_rate).quantize(FEE_QUANTUM, rounding=ROUND_HALF_UP)
            fill_id = f"{self.name}-F{next(self._ids):07d}"
            order.fills.append(
                {
                    "venue_fill_id": fill_id,
                    "qty": str(qty),
                    "price": str(price),
                    "fee": str(fee),
                    "fee_asset": order.instrument.split("-")[1],
                    "ts": _now(),
                }
            )
            order.status = "filled" if order.cum_qty == order.quantity else "partially_filled"
            self._report(
                order,
                "trade",
                last_qty=str(qty),
                last_px=str(price),
                fee=str(fee),
                venue_fill_id=fill_id,
            )
        if order.cum_qty < order.quantity and order.time_in_force == "IOC":
            order.status = "expired"
            self._report(order, "expired")
        if fills:
            self.publish_book(order.instrument)

    def cancel(self, client_order_id: str) -> tuple[int, dict[str, Any]]:
        order = self.orders.get(client_order_id)
        if order is None:
            return 404, {"error": "unknown order"}
        if order.status not in ("new", "partially_filled"):
            return 409, order.view()
        order.status = "canceled"
        self._report(order, "canceled")
        return 200, order.view()

    def set_book(self, instrument: str, book: Book) -> None:
        self.books[instrument] = book
        self.publish_book(instrument)
        for order in list(self.orders.values()):  # resting GTC orders may fill now
            if (
                order.instrument == instrument
                and order.time_in_force == "GTC"
                and order.status in ("new", "partially_filled")
            ):
                self._match(order)


def _parse_order(body: dict[str, Any], books: dict[str, Book], venue_order_id: str) -> ChildOrder:
    import re

    coid = body.get("client_order_id")
    if not isinstance(coid, str) or not re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", coid):
        raise ValueError("client_order_id must be 1-64 of [A-Za-z0-9._:-]")
    instrument = body.get("instrument")
    if not isinstance(instrument, str) or instrument.count("-") != 1:
        raise ValueError("instrument must look like BTC-USD")
    side = body.get("side")
    if side not in ("buy", "sell"):
        raise ValueError('side must be "buy" or "sell"')
    kind = body.get("type", "limit")
    if kind not in ("limit", "market"):
        raise ValueError('type must be "limit" or "market"')
    tif = body.get("time_in_force", "IOC")
    if tif not in ("IOC", "GTC"):
        raise ValueError('time_in_force must be "IOC" or "GTC"')
    try:
        quantity = Decimal(str(body.get("quantity")))
        price = None if kind == "market" else Decimal(str(body.get("price")))
    except ArithmeticError:
        raise ValueError("quantity and price must be decimal numbers") from None
    if (
        not quantity.is_finite()
        or quantity <= 0
        or (price is not None and (not price.is_finite() or price <= 0))
    ):
        raise ValueError("quantity and price must be positive")
    return ChildOrder(coid, venue_order_id, instrument, side, quantity, price, kind, tif)
