"""Venue payloads -> the platform's shapes: the normalized report (its contract,
contracts.venue.ExecutionReportV1) and the router's quote. Venue structs never leave here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from contracts.venue import ExecType, ExecutionReportV1
from kernel.money import display
from trading.domain.routing import VenueQuote
from venues.adapters.sim.schemas import VenueBook, VenueExecutionReport

_EXEC_TYPES = {"new", "trade", "expired", "canceled", "rejected"}


def split_client_order_id(client_order_id: str) -> tuple[str, str]:
    """ "<order_id>:<attempt_id>" -> (order_id, attempt_id)."""
    order_id, _, attempt_id = client_order_id.rpartition(":")
    if not order_id or not attempt_id:
        raise ValueError(f"not a platform client order id: {client_order_id!r}")
    return order_id, attempt_id


def parse_to_report(report: VenueExecutionReport, raw: dict[str, Any]) -> ExecutionReportV1:
    """The evt.venue.execution.report.v1 payload for one venue report (`raw`: what it sent)."""
    if report.exec_type not in _EXEC_TYPES:
        raise ValueError(f"unknown exec_type {report.exec_type!r}")
    order_id, attempt_id = split_client_order_id(report.client_order_id)
    return ExecutionReportV1(
        venue=report.venue,
        exec_id=report.exec_id,
        order_id=order_id,
        attempt_id=attempt_id,
        exec_type=report.exec_type,  # type: ignore[arg-type]  # checked above
        cum_quantity=_text(report.cum_qty),
        leaves_quantity=_text(report.leaves_qty),
        last_quantity=_text(report.last_qty),
        last_price=_text(report.last_px),
        fee=_text(report.fee),
        fee_asset=report.fee_asset,
        venue_fill_id=report.venue_fill_id,
        reason=report.reason,
        transact_time=report.transact_time,
        raw=raw,
    )


def synthetic_report(
    venue: str,
    client_order_id: str,
    exec_type: ExecType,
    reason: str,
    cum_quantity: Decimal = Decimal(0),
) -> ExecutionReportV1:
    """A report the adapter itself writes when the venue cannot (refused or unreachable)."""
    order_id, attempt_id = split_client_order_id(client_order_id)
    return ExecutionReportV1(
        venue=venue,
        exec_id=f"adapter:{client_order_id}:{exec_type}",
        order_id=order_id,
        attempt_id=attempt_id,
        exec_type=exec_type,
        cum_quantity=_text(cum_quantity),
        leaves_quantity="0",
        reason=reason,
        raw={"source": "adapter", "reason": reason},
    )


def _text(value: Decimal) -> str:
    return display(value) or "0"


# Levels of depth kept per side: enough for the split strategy to see past the touch,
# few enough that a quote stays a small value in the store.
QUOTE_DEPTH_LEVELS = 10


def parse_to_quote(book: VenueBook) -> VenueQuote:
    best_bid = book.bids[0] if book.bids else None
    best_ask = book.asks[0] if book.asks else None
    return VenueQuote(
        venue=book.venue,
        instrument=book.instrument,
        best_bid=best_bid[0] if best_bid else None,
        bid_size=best_bid[1] if best_bid else Decimal(0),
        best_ask=best_ask[0] if best_ask else None,
        ask_size=best_ask[1] if best_ask else Decimal(0),
        version=book.seq,
        asks=tuple((p, q) for p, q in book.asks[:QUOTE_DEPTH_LEVELS]),
        bids=tuple((p, q) for p, q in book.bids[:QUOTE_DEPTH_LEVELS]),
    )


def decode_report(raw: dict[str, Any]) -> VenueExecutionReport:
    """The venue's report in a stream message already parsed (the text is parsed once)."""
    return msgspec.convert(raw, VenueExecutionReport)


def decode_book(raw: dict[str, Any]) -> VenueBook:
    return msgspec.convert(raw, VenueBook)
