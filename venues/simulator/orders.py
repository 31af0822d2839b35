"""A child order at the venue: the request that places it, its lifecycle, its fills.

Quantities follow FIX: while an order works, cum_qty + leaves_qty == quantity; once it has
ended (filled, expired, canceled, rejected) leaves_qty is 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, TypeVar

from venues.simulator.book import Fill, Side
from venues.simulator.decimals import ZERO, BadNumber, fee_text, plain, positive

CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
INSTRUMENT = re.compile(r"[A-Z0-9]{1,16}-[A-Z0-9]{1,16}")

OrderType = Literal["limit", "market"]
TimeInForce = Literal["IOC", "GTC"]
SIDES: tuple[Side, ...] = ("buy", "sell")
ORDER_TYPES: tuple[OrderType, ...] = ("limit", "market")
TIMES_IN_FORCE: tuple[TimeInForce, ...] = ("IOC", "GTC")
L = TypeVar("L", bound=str)


class BadOrder(ValueError):
    """An order request the venue will not take (HTTP 400); the message says why."""


class BadMove(RuntimeError):
    """A lifecycle move the table does not allow: a bug in the simulator, never the client's."""


class Status(StrEnum):
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    EXPIRED = "expired"
    CANCELED = "canceled"
    REJECTED = "rejected"


WORKING = frozenset({Status.NEW, Status.PARTIALLY_FILLED})

# (status, event) -> status. Nothing else moves an order.
_TRANSITIONS: dict[tuple[Status, str], Status] = {
    (Status.NEW, "reject"): Status.REJECTED,  # the reject fault: refused before it worked
    (Status.NEW, "fill"): Status.PARTIALLY_FILLED,
    (Status.NEW, "fill_last"): Status.FILLED,
    (Status.PARTIALLY_FILLED, "fill"): Status.PARTIALLY_FILLED,
    (Status.PARTIALLY_FILLED, "fill_last"): Status.FILLED,
    (Status.NEW, "expire"): Status.EXPIRED,  # an IOC order that found nothing at its price
    (Status.PARTIALLY_FILLED, "expire"): Status.EXPIRED,  # the IOC rest ends at the venue
    (Status.NEW, "cancel"): Status.CANCELED,  # only GTC orders are still working to cancel
    (Status.PARTIALLY_FILLED, "cancel"): Status.CANCELED,
}


@dataclass(frozen=True)
class OrderRequest:
    client_order_id: str
    instrument: str
    side: Side
    quantity: Decimal
    type: OrderType
    price: Decimal | None  # None: a market order, any price
    time_in_force: TimeInForce

    @classmethod
    def parse(cls, body: dict[str, Any]) -> OrderRequest:
        """From the trading API's body; raises BadOrder naming the field."""
        coid = body.get("client_order_id")
        if not isinstance(coid, str) or not CLIENT_ORDER_ID.fullmatch(coid):
            raise BadOrder("client_order_id must be 1-64 of [A-Za-z0-9._:-]")
        instrument = body.get("instrument")
        if not isinstance(instrument, str) or not INSTRUMENT.fullmatch(instrument):
            raise BadOrder('instrument must be a symbol like "BTC-USD"')
        side = _choice(body, "side", SIDES, None)
        kind = _choice(body, "type", ORDER_TYPES, "limit")
        tif = _choice(body, "time_in_force", TIMES_IN_FORCE, "IOC")
        try:
            quantity = positive(body.get("quantity"), "quantity")
            if kind == "limit":
                price: Decimal | None = positive(body.get("price"), "price")
            elif body.get("price") is not None:
                raise BadOrder("a market order has no price")
            else:
                price = None
        except BadNumber as error:
            raise BadOrder(str(error)) from None
        if kind == "market" and tif == "GTC":
            raise BadOrder("a market order is IOC: give a price to rest")
        return cls(coid, instrument, side, quantity, kind, price, tif)


def _choice(body: dict[str, Any], name: str, allowed: tuple[L, ...], default: L | None) -> L:
    value = body.get(name)
    if value is None:  # absent or null: the default, if there is one
        value = default
    for choice in allowed:  # the allowed value itself, typed as its Literal
        if value == choice:
            return choice
    raise BadOrder(f"{name} must be one of {', '.join(allowed)}")


@dataclass(frozen=True)
class VenueFill:
    venue_fill_id: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    ts: str

    def to_wire(self) -> dict[str, str]:
        return {
            "venue_fill_id": self.venue_fill_id,
            "qty": plain(self.quantity),
            "price": plain(self.price),
            "fee": fee_text(self.fee),
            "fee_asset": self.fee_asset,
            "ts": self.ts,
        }


@dataclass
class ChildOrder:
    request: OrderRequest
    venue_order_id: str
    status: Status = Status.NEW
    cum_qty: Decimal = ZERO
    fills: list[VenueFill] = field(default_factory=list)
    reason: str | None = None

    @property
    def client_order_id(self) -> str:
        return self.request.client_order_id

    @property
    def working(self) -> bool:
        return self.status in WORKING

    @property
    def leaves_qty(self) -> Decimal:
        return self.request.quantity - self.cum_qty if self.working else ZERO

    @property
    def fee_asset(self) -> str:
        return self.request.instrument.partition("-")[2]

    def reject(self, reason: str) -> None:
        self._move("reject")
        self.reason = reason

    def fill(self, fill: Fill, venue_fill: VenueFill) -> None:
        if fill.quantity > self.leaves_qty:
            raise BadMove(
                f"{self.client_order_id}: fill {fill.quantity} > leaves {self.leaves_qty}"
            )
        last = fill.quantity == self.leaves_qty
        self._move("fill_last" if last else "fill")
        self.cum_qty += fill.quantity
        self.fills.append(venue_fill)

    def expire(self) -> None:
        self._move("expire")

    def cancel(self) -> None:
        self._move("cancel")

    def _move(self, event: str) -> None:
        after = _TRANSITIONS.get((self.status, event))
        if after is None:
            raise BadMove(f"{self.client_order_id}: no {event!r} from {self.status}")
        self.status = after

    def ack(self) -> dict[str, Any]:
        """The answer to the POST that placed it."""
        ack: dict[str, Any] = {
            "client_order_id": self.client_order_id,
            "venue_order_id": self.venue_order_id,
            "status": Status.REJECTED.value if self.status is Status.REJECTED else "new",
        }
        if self.reason is not None:
            ack["reason"] = self.reason
        return ack

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> ChildOrder:
        """Back from to_wire() (the state on disk)."""
        fills = [
            VenueFill(
                venue_fill_id=f["venue_fill_id"],
                quantity=Decimal(f["qty"]),
                price=Decimal(f["price"]),
                fee=Decimal(f["fee"]),
                fee_asset=f["fee_asset"],
                ts=f["ts"],
            )
            for f in wire["fills"]
        ]
        return cls(
            request=OrderRequest.parse(wire),
            venue_order_id=wire["venue_order_id"],
            status=Status(wire["status"]),
            cum_qty=Decimal(wire["cum_qty"]),
            fills=fills,
            reason=wire["reason"],
        )

    def to_wire(self) -> dict[str, Any]:
        request = self.request
        return {
            "client_order_id": self.client_order_id,
            "venue_order_id": self.venue_order_id,
            "instrument": request.instrument,
            "side": request.side,
            "quantity": plain(request.quantity),
            "price": None if request.price is None else plain(request.price),
            "type": request.type,
            "time_in_force": request.time_in_force,
            "status": self.status.value,
            "cum_qty": plain(self.cum_qty),
            "leaves_qty": plain(self.leaves_qty),
            "fills": [fill.to_wire() for fill in self.fills],
            "reason": self.reason,
        }
