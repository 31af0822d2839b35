"""SIM-F's application messages: FIX fields to the venue's requests, its reports to FIX.

Pure translation, no I/O. ExecutionReports always carry the order's own ClOrdID (11), its
ExecID (17), and on trades LastQty/LastPx (32/31), the venue fill id as TrdMatchID (880) and
the fee as Commission (12, CommType 3 = absolute, in CommCurrency 479).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from venues.adapters.fix import wire
from venues.adapters.fix.wire import Message
from venues.simulator.decimals import fee_text, plain
from venues.simulator.orders import BadOrder, ChildOrder, OrderRequest

Fields = list[tuple[int, str]]

_SIDES = wire.reverse(wire.SIDES)
_TIF = wire.reverse(wire.TIMES_IN_FORCE)
_ORD_TYPES = wire.reverse(wire.ORD_TYPES)
UNKNOWN_ORDER = "5"  # OrdRejReason
DUPLICATE_ORDER = "6"  # OrdRejReason


def order_request(message: Message) -> OrderRequest:
    """A NewOrderSingle as the venue's request; BadOrder names the FIX field."""
    kind = _ORD_TYPES.get(message.get(wire.ORD_TYPE) or "")
    if kind is None:
        raise BadOrder("OrdType (40) must be 1 (market) or 2 (limit)")
    side = _SIDES.get(message.get(wire.SIDE) or "")
    if side is None:
        raise BadOrder("Side (54) must be 1 (buy) or 2 (sell)")
    tif = _TIF.get(message.get(wire.TIME_IN_FORCE) or "3")
    if tif is None:
        raise BadOrder("TimeInForce (59) must be 1 (GTC) or 3 (IOC)")
    return OrderRequest.parse(
        {
            "client_order_id": message.get(wire.CL_ORD_ID),
            "instrument": message.get(wire.SYMBOL),
            "side": side,
            "quantity": message.get(wire.ORDER_QTY),
            "type": kind,
            "price": message.get(wire.PRICE),
            "time_in_force": tif,
        }
    )


def _avg_px(order: ChildOrder) -> str:
    if not order.fills or not order.cum_qty:
        return "0"
    notional = sum((fill.quantity * fill.price for fill in order.fills), start=Decimal(0))
    return plain(notional / order.cum_qty)


def report_fields(report: dict[str, Any], order: ChildOrder) -> Fields:
    """The venue's execution_report (venue.py) as an ExecutionReport body."""
    fields: Fields = [
        (wire.ORDER_ID, report["venue_order_id"]),
        (wire.CL_ORD_ID, report["client_order_id"]),
        (wire.EXEC_ID, report["exec_id"]),
        (wire.EXEC_TYPE, wire.EXEC_TYPES[report["exec_type"]]),
        (wire.ORD_STATUS, wire.ORD_STATUSES[report["order_status"]]),
        (wire.SYMBOL, report["instrument"]),
        (wire.SIDE, wire.SIDES[report["side"]]),
        (wire.ORDER_QTY, plain(order.request.quantity)),
        (wire.LAST_QTY, report["last_qty"]),
        (wire.LAST_PX, report["last_px"]),
        (wire.LEAVES_QTY, report["leaves_qty"]),
        (wire.CUM_QTY, report["cum_qty"]),
        (wire.AVG_PX, _avg_px(order)),
        (wire.TRANSACT_TIME, wire.fix_time(_parse_iso(report["transact_time"]))),
    ]
    if report["venue_fill_id"]:
        fields += [
            (wire.TRD_MATCH_ID, report["venue_fill_id"]),
            (wire.COMMISSION, report["fee"]),
            (wire.COMM_TYPE, "3"),
            (wire.COMM_CURRENCY, report["fee_asset"]),
        ]
    if report["reason"]:
        fields.append((wire.TEXT, report["reason"]))
    return fields


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def status_answer(order: ChildOrder, request_id: str, exec_id: str) -> list[Fields]:
    """The answer to an OrderStatusRequest: one ExecType I report per fill (its TrdMatchID,
    LastQty, LastPx, Commission), then one with the order as it stands, LastRptRequested Y."""
    request = order.request
    common: Fields = [
        (wire.ORDER_ID, order.venue_order_id),
        (wire.CL_ORD_ID, order.client_order_id),
        (wire.EXEC_TYPE, wire.EXEC_TYPES["order_status"]),
        (wire.ORD_STATUS, wire.ORD_STATUSES[order.status.value]),
        (wire.SYMBOL, request.instrument),
        (wire.SIDE, wire.SIDES[request.side]),
        (wire.ORDER_QTY, plain(request.quantity)),
        (wire.ORD_STATUS_REQ_ID, request_id),
    ]
    answers: list[Fields] = []
    for n, fill in enumerate(order.fills, start=1):
        answers.append(
            [
                *common,
                (wire.EXEC_ID, f"{exec_id}-{n}"),
                (wire.LAST_QTY, plain(fill.quantity)),
                (wire.LAST_PX, plain(fill.price)),
                (wire.LEAVES_QTY, plain(order.leaves_qty)),
                (wire.CUM_QTY, plain(order.cum_qty)),
                (wire.AVG_PX, _avg_px(order)),
                (wire.TRD_MATCH_ID, fill.venue_fill_id),
                (wire.COMMISSION, fee_text(fill.fee)),
                (wire.COMM_TYPE, "3"),
                (wire.COMM_CURRENCY, fill.fee_asset),
                (wire.TRANSACT_TIME, wire.fix_time(_parse_iso(fill.ts))),
                (wire.LAST_RPT_REQUESTED, "N"),
            ]
        )
    last: Fields = [
        *common,
        (wire.EXEC_ID, f"{exec_id}-0"),
        (wire.LAST_QTY, "0"),
        (wire.LAST_PX, "0"),
        (wire.LEAVES_QTY, plain(order.leaves_qty)),
        (wire.CUM_QTY, plain(order.cum_qty)),
        (wire.AVG_PX, _avg_px(order)),
        (wire.LAST_RPT_REQUESTED, "Y"),
    ]
    if order.reason:
        last.append((wire.TEXT, order.reason))
    return [*answers, last]


def refusal(
    client_order_id: str, exec_id: str, reason: str, rej_reason: str, request_id: str | None = None
) -> Fields:
    """A rejected ExecutionReport for an order the venue did not take or does not know."""
    fields: Fields = [
        (wire.ORDER_ID, "NONE"),
        (wire.CL_ORD_ID, client_order_id),
        (wire.EXEC_ID, exec_id),
        (wire.EXEC_TYPE, wire.EXEC_TYPES["order_status" if request_id else "rejected"]),
        (wire.ORD_STATUS, wire.ORD_STATUSES["rejected"]),
        (wire.ORD_REJ_REASON, rej_reason),
        (wire.LEAVES_QTY, "0"),
        (wire.CUM_QTY, "0"),
        (wire.AVG_PX, "0"),
        (wire.TEXT, reason),
    ]
    if request_id is not None:
        fields += [(wire.ORD_STATUS_REQ_ID, request_id), (wire.LAST_RPT_REQUESTED, "Y")]
    return fields


def cancel_reject(
    client_order_id: str, orig_client_order_id: str, status: str, unknown: bool
) -> Fields:
    """OrderCancelReject: too late to cancel (1 = 0) or unknown order (102 = 1)."""
    return [
        (wire.ORDER_ID, "NONE"),
        (wire.CL_ORD_ID, client_order_id),
        (wire.ORIG_CL_ORD_ID, orig_client_order_id),
        (wire.ORD_STATUS, wire.ORD_STATUSES.get(status, "8")),
        (wire.CXL_REJ_RESPONSE_TO, "1"),
        (wire.CXL_REJ_REASON, "1" if unknown else "0"),
        (wire.TEXT, "unknown order" if unknown else f"order already {status}"),
    ]


def snapshot(request_id: str, instrument: str, book: dict[str, list[list[str]]]) -> Fields:
    """MarketDataSnapshotFullRefresh: bids (269 = 0) then offers (269 = 1), best first."""
    entries = [("0", level) for level in book["bids"]] + [("1", level) for level in book["asks"]]
    fields: Fields = [
        (wire.MD_REQ_ID, request_id),
        (wire.SYMBOL, instrument),
        (wire.NO_MD_ENTRIES, str(len(entries))),
    ]
    for entry_type, (price, size) in entries:
        fields += [
            (wire.MD_ENTRY_TYPE, entry_type),
            (wire.MD_ENTRY_PX, price),
            (wire.MD_ENTRY_SIZE, size),
        ]
    return fields
