"""The simulator venue's wire payloads (venues/simulator/PROTOCOL.md); never leave the adapter."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class VenueExecutionReport(msgspec.Struct, forbid_unknown_fields=False):
    seq: int
    venue: str
    exec_id: str
    client_order_id: str
    exec_type: str
    order_status: str
    cum_qty: Decimal
    leaves_qty: Decimal
    last_qty: Decimal = Decimal(0)
    last_px: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    fee_asset: str = ""
    venue_fill_id: str | None = None
    reason: str | None = None
    transact_time: str | None = None
    venue_order_id: str | None = None
    instrument: str = ""
    side: str = ""


class VenueBook(msgspec.Struct, forbid_unknown_fields=False):
    seq: int
    venue: str
    instrument: str
    asks: list[tuple[Decimal, Decimal]] = []
    bids: list[tuple[Decimal, Decimal]] = []


class StreamMessage(msgspec.Struct, forbid_unknown_fields=False):
    type: str
