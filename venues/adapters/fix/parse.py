"""FIX messages -> the platform's shapes: the normalized report, the status answer the
reconciler reads, the router's quote. FIX types never leave the adapter."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from contracts.venue import ExecutionReportV1
from kernel.money import display
from trading.domain.routing import VenueQuote
from venues.adapters.fix import wire
from venues.adapters.fix.wire import Message
from venues.adapters.sim.parse import QUOTE_DEPTH_LEVELS, split_client_order_id

_EXEC_TYPES = wire.reverse(wire.EXEC_TYPES)
_ORD_STATUSES = wire.reverse(wire.ORD_STATUSES)
UNKNOWN_ORDER = "5"  # OrdRejReason
DUPLICATE_ORDER = "6"


def _decimal(message: Message, tag: int) -> Decimal:
    return Decimal(message.get(tag) or "0")


def exec_type(message: Message) -> str:
    """new | trade | expired | canceled | rejected | order_status; ValueError otherwise."""
    kind = _EXEC_TYPES.get(message.get(wire.EXEC_TYPE) or "")
    if kind is None:
        raise ValueError(f"unknown ExecType {message.get(wire.EXEC_TYPE)!r}")
    return kind


def parse_to_report(venue: str, message: Message) -> ExecutionReportV1:
    """The evt.venue.execution.report.v1 payload for one ExecutionReport (as SIM's)."""
    kind = exec_type(message)
    if kind == "order_status":
        raise ValueError("an order status answer is not a report")
    exec_id = message.get(wire.EXEC_ID) or ""
    if not exec_id:
        raise ValueError("ExecutionReport without ExecID")
    order_id, attempt_id = split_client_order_id(message.get(wire.CL_ORD_ID) or "")
    fill = kind == "trade"
    fields = {
        "venue": venue,
        "exec_id": exec_id,
        "order_id": order_id,
        "attempt_id": attempt_id,
        "exec_type": kind,
        "cum_quantity": display(_decimal(message, wire.CUM_QTY)),
        "leaves_quantity": display(_decimal(message, wire.LEAVES_QTY)),
        "last_quantity": display(_decimal(message, wire.LAST_QTY)),
        "last_price": display(_decimal(message, wire.LAST_PX)),
        "fee": display(_decimal(message, wire.COMMISSION)),
        "fee_asset": (message.get(wire.COMM_CURRENCY) or "") if fill else "",
        "venue_fill_id": message.get(wire.TRD_MATCH_ID) if fill else None,
        "reason": message.get(wire.TEXT),
        "transact_time": wire.iso_time(message.get(wire.TRANSACT_TIME)),
        "raw": {"fix": str(message)},
    }
    try:  # the contract's own checks, as ingest will decode it
        return msgspec.convert(fields, ExecutionReportV1)
    except msgspec.ValidationError as error:
        raise ValueError(f"ExecutionReport breaks its contract: {error}") from None


def status_body(answers: list[Message]) -> tuple[int, dict[str, Any]]:
    """An OrderStatusRequest's answers as the reconciler reads a venue order (PROTOCOL.md's
    GET body): (200, order with its fills) or (404, unknown order)."""
    last = answers[-1]
    if last.get(wire.ORD_REJ_REASON) == UNKNOWN_ORDER:
        return 404, {"error": last.get(wire.TEXT) or "unknown order"}
    fills = [
        {
            "venue_fill_id": answer.get(wire.TRD_MATCH_ID),
            "qty": answer.get(wire.LAST_QTY),
            "price": answer.get(wire.LAST_PX),
            "fee": answer.get(wire.COMMISSION) or "0",
            "fee_asset": answer.get(wire.COMM_CURRENCY) or "",
            "ts": wire.iso_time(answer.get(wire.TRANSACT_TIME)),
        }
        for answer in answers[:-1]
        if answer.get(wire.TRD_MATCH_ID)
    ]
    return 200, {
        "client_order_id": last.get(wire.CL_ORD_ID),
        "venue_order_id": last.get(wire.ORDER_ID),
        "quantity": last.get(wire.ORDER_QTY) or "0",
        "status": _ORD_STATUSES.get(last.get(wire.ORD_STATUS) or "", "unknown"),
        "cum_qty": last.get(wire.CUM_QTY) or "0",
        "leaves_qty": last.get(wire.LEAVES_QTY) or "0",
        "fills": fills,
        "reason": last.get(wire.TEXT),
    }


def parse_to_quote(venue: str, message: Message) -> VenueQuote:
    """A MarketDataSnapshotFullRefresh (entries best first per side) as the router's quote,
    with up to QUOTE_DEPTH_LEVELS levels a side for the split strategy."""
    instrument = message.get(wire.SYMBOL) or ""
    levels: dict[str, list[tuple[Decimal, Decimal]]] = {"0": [], "1": []}
    entry_type: str | None = None
    price: Decimal | None = None
    for tag, value in message.pairs:
        if tag == wire.MD_ENTRY_TYPE:
            entry_type, price = value, None
        elif tag == wire.MD_ENTRY_PX:
            price = Decimal(value)
        elif tag == wire.MD_ENTRY_SIZE and entry_type in levels and price is not None:
            side = levels[entry_type]
            if len(side) < QUOTE_DEPTH_LEVELS:
                side.append((price, Decimal(value)))
    bids, asks = levels["0"], levels["1"]
    return VenueQuote(
        venue=venue,
        instrument=instrument,
        best_bid=bids[0][0] if bids else None,
        bid_size=bids[0][1] if bids else Decimal(0),
        best_ask=asks[0][0] if asks else None,
        ask_size=asks[0][1] if asks else Decimal(0),
        version=message.seq,
        asks=tuple(asks),
        bids=tuple(bids),
    )
