"""Reads and writes of trading-core's records inside one transaction; hides the key layout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from infra.store.api import Transaction
from infra.store.keys import versionstamp
from kernel import codec
from kernel.errors import InvalidField
from kernel.money import from_minor, to_minor
from trading import keys
from trading.domain.errors import UnknownOrder
from trading.domain.instruments import Instrument, Venue
from trading.domain.orders import Fill, Order, RoutingStrategy
from trading.domain.positions import Position
from trading.domain.risk import exposure_minor
from trading.domain.routing import VenueQuote, VenueStatus

_EMPTY = b""
# The most keys one paged read returns: a page must fit one short transaction.
PAGE_LIMIT = 1_000


def _bounded(limit: int) -> int:
    if not 0 < limit <= PAGE_LIMIT:
        raise ValueError(f"a page is 1-{PAGE_LIMIT} records, not {limit}")
    return limit


@dataclass(frozen=True)
class Trader:
    trader_id: str
    name: str
    halted: bool = False
    strategy: RoutingStrategy = RoutingStrategy.BEST  # for an order that names none


@dataclass(frozen=True)
class VenueRecord:
    name: str
    taker_fee_rate: Decimal
    halted: bool = False
    circuit_open: bool = False

    @property
    def status(self) -> VenueStatus:
        return VenueStatus(self.name, self.taker_fee_rate, not (self.halted or self.circuit_open))


FILL_RATIO_SLOT_S = 300
FILL_RATIO_SLOTS = 12  # one hour of 5-minute slots: a venue's recent fill ratio


def _fill_slot(now: datetime) -> int:
    return int(now.timestamp()) // FILL_RATIO_SLOT_S


class Repository:
    """Trading-core's records in one transaction. No caching across transactions."""

    def __init__(self, tr: Transaction) -> None:
        self.tr = tr
        self._loaded_states: dict[str, str] = {}  # order id -> state when read, for counters
        # order id -> (open quantity, open notional) in minor units when read: risk's counters
        self._loaded_exposure: dict[str, tuple[int, int]] = {}

    # --- orders ---------------------------------------------------------------------------
    def find_order(self, order_id: str) -> Order | None:
        data = self.tr.get(keys.ORDER.pack((order_id,)))
        if data is None:
            return None
        order = codec.decode(data, Order)
        self._loaded_states[order_id] = order.state.value
        self._loaded_exposure[order_id] = exposure_minor(order)
        return order

    def order(self, order_id: str, *, trader_id: str | None = None) -> Order:
        """The order, or UnknownOrder (also when it belongs to another trader)."""
        order = self.find_order(order_id)
        if order is None or (trader_id is not None and order.trader_id != trader_id):
            raise UnknownOrder(f"no order {order_id}")
        return order

    def save_order(self, order: Order, *, new: bool = False) -> None:
        """Write the order and its indexes; the per-state counters move with its state."""
        key = keys.ORDER.pack((order.order_id,))
        before = self._loaded_states.get(order.order_id)
        if before is None and not new:  # read elsewhere: count from what is stored
            stored = self._stored(key)
            if stored is not None:
                before = stored.state.value
                self._loaded_exposure[order.order_id] = exposure_minor(stored)
        self.tr.set(key, codec.encode(order))
        if before != order.state.value:
            if before is not None:
                self.tr.add(keys.COUNTER.pack(("orders", before)), -1)
            self.tr.add(keys.COUNTER.pack(("orders", order.state.value)), 1)
            self._loaded_states[order.order_id] = order.state.value
        if new:
            self.tr.set(keys.ORDER_BY_TRADER.pack((order.trader_id, order.order_id)), _EMPTY)
            if order.client_order_id:
                self.tr.set(
                    keys.CLIENT_ORDER_ID.pack((order.trader_id, order.client_order_id)),
                    order.order_id.encode(),
                )
        self._count_exposure(order)
        self._index_live_attempts(order)
        resting = keys.RESTING.pack((order.instrument, order.order_id))
        if not order.ended and not order.active_attempts:
            self.tr.set(resting, _EMPTY)
        else:
            self.tr.clear(resting)

    def _stored(self, key: bytes) -> Order | None:
        data = self.tr.get(key)
        return None if data is None else codec.decode(data, Order)

    def _count_exposure(self, order: Order) -> None:
        """Move the open quantity / notional counters of the order's side by its change."""
        before = self._loaded_exposure.get(order.order_id, (0, 0))
        after = exposure_minor(order)
        for what, old, new in zip(("quantity", "notional"), before, after, strict=True):
            if new != old:
                key = keys.EXPOSURE.pack(
                    (order.trader_id, order.instrument, order.side.value, what)
                )
                self.tr.add(key, new - old)
        self._loaded_exposure[order.order_id] = after

    def _index_live_attempts(self, order: Order) -> None:
        for attempt in order.attempts:
            key = keys.LIVE_ATTEMPT.pack((attempt.venue, order.order_id, attempt.attempt_id))
            if attempt.ended:
                self.tr.clear(key)
            else:
                self.tr.set(key, attempt.created_at.isoformat().encode())

    def live_attempts(
        self, venue: str, *, after: tuple[str, str] | None = None, limit: int = 500
    ) -> list[tuple[str, str, str]]:
        """One page of (order_id, attempt_id, created_at ISO) of the venue's live attempts."""
        rng = keys.LIVE_ATTEMPT.range((venue,))
        start = keys.LIVE_ATTEMPT.pack((venue, *after)) + b"\x00" if after else rng.start
        rows = self.tr.get_range(start, rng.stop, limit=limit)
        return [(*keys.LIVE_ATTEMPT.unpack(k)[1:], v.decode()) for k, v in rows]

    def order_id_for_client_id(self, trader_id: str, client_order_id: str) -> str | None:
        data = self.tr.get(keys.CLIENT_ORDER_ID.pack((trader_id, client_order_id)))
        return None if data is None else data.decode()

    def trader_order_ids(
        self, trader_id: str, *, before: str | None = None, limit: int = 0
    ) -> list[str]:
        """The trader's order ids, newest first, strictly before `before` when given."""
        rng = keys.ORDER_BY_TRADER.range((trader_id,))
        end = keys.ORDER_BY_TRADER.pack((trader_id, before)) if before else rng.stop
        rows = self.tr.get_range(rng.start, end, limit=limit, reverse=True)
        return [keys.ORDER_BY_TRADER.unpack(k)[1] for k, _ in rows]

    def all_order_ids(self, *, after: str | None = None, limit: int = PAGE_LIMIT) -> list[str]:
        """One page of order ids in id order, strictly after `after`: a full page (`limit`
        ids) may have a next one. Walk the store a page per transaction, never in one."""
        rng = keys.ORDER.range()
        start = keys.ORDER.pack((after,)) + b"\x00" if after else rng.start
        rows = self.tr.get_range(start, rng.stop, limit=_bounded(limit))
        return [keys.ORDER.unpack(k)[0] for k, _ in rows]

    def resting_order_ids(
        self, instrument: str, *, after: str | None = None, limit: int = PAGE_LIMIT
    ) -> list[str]:
        """One page of the instrument's resting orders (working at the platform, no attempt)."""
        rng = keys.RESTING.range((instrument,))
        start = keys.RESTING.pack((instrument, after)) + b"\x00" if after else rng.start
        rows = self.tr.get_range(start, rng.stop, limit=_bounded(limit))
        return [keys.RESTING.unpack(k)[1] for k, _ in rows]

    # --- fills ----------------------------------------------------------------------------
    def fill_seen(self, venue: str, venue_fill_id: str) -> bool:
        return self.tr.get(keys.VENUE_FILL.pack((venue, venue_fill_id))) is not None

    def save_fill(self, trader_id: str, fill: Fill) -> None:
        self.tr.set(keys.FILL.pack((fill.order_id, fill.fill_id)), codec.encode(fill))
        self.tr.add(keys.COUNTER.pack(("fills", fill.venue)), 1)
        self.tr.set(keys.VENUE_FILL.pack((fill.venue, fill.venue_fill_id)), fill.fill_id.encode())
        self.tr.set_versionstamped_key(
            keys.FILL_BY_TRADER.pack_with_versionstamp((trader_id, versionstamp(self.tr))),
            codec.encode([fill.order_id, fill.fill_id]),
        )

    def order_fills(self, order_id: str) -> list[Fill]:
        rng = keys.FILL.range((order_id,))
        return [codec.decode(v, Fill) for _, v in self.tr.get_range(rng.start, rng.stop)]

    def trader_fills(
        self, trader_id: str, *, before: bytes | None = None, limit: int = 0
    ) -> list[tuple[bytes, Fill]]:
        """(cursor key, fill) newest first; pass the last cursor as `before` for the next page."""
        rng = keys.FILL_BY_TRADER.range((trader_id,))
        end = min(max(before, rng.start), rng.stop) if before else rng.stop  # never past the trader
        rows = self.tr.get_range(rng.start, end, limit=limit, reverse=True)
        result = []
        for key, value in rows:
            order_id, fill_id = codec.decode(value, list[str])
            data = self.tr.get(keys.FILL.pack((order_id, fill_id)))
            if data is not None:
                result.append((key, codec.decode(data, Fill)))
        return result

    # --- reports --------------------------------------------------------------------------
    def report_outcome(self, venue: str, exec_id: str) -> str | None:
        data = self.tr.get(keys.REPORT.pack((venue, exec_id)))
        return None if data is None else data.decode()

    def record_report(
        self, venue: str, exec_id: str, order_id: str, record: dict[str, object]
    ) -> None:
        self.tr.set(keys.REPORT.pack((venue, exec_id)), str(record["outcome"]).encode())
        self.tr.set(keys.RAW_REPORT.pack((order_id, venue, exec_id)), codec.encode(record))

    def quarantine(self, record: dict[str, object]) -> None:
        self.tr.set_versionstamped_key(
            keys.QUARANTINE.pack_with_versionstamp((versionstamp(self.tr),)), codec.encode(record)
        )

    def raw_reports(self, order_id: str) -> list[dict[str, object]]:
        rng = keys.RAW_REPORT.range((order_id,))
        return [
            codec.decode(v, dict[str, object]) for _, v in self.tr.get_range(rng.start, rng.stop)
        ]

    def quarantined(self, limit: int = 0) -> list[dict[str, object]]:
        rng = keys.QUARANTINE.range()
        rows = self.tr.get_range(rng.start, rng.stop, limit=limit, reverse=True)
        return [codec.decode(v, dict[str, object]) for _, v in rows]

    # --- positions ------------------------------------------------------------------------
    def position(self, trader_id: str, instrument: str) -> Position:
        data = self.tr.get(keys.POSITION.pack((trader_id, instrument)))
        return Position(trader_id, instrument) if data is None else codec.decode(data, Position)

    def save_position(self, position: Position) -> None:
        key = keys.POSITION.pack((position.trader_id, position.instrument))
        self.tr.set(key, codec.encode(position))

    def positions(self, trader_id: str | None = None) -> list[Position]:
        rng = keys.POSITION.range((trader_id,) if trader_id else ())
        return [codec.decode(v, Position) for _, v in self.tr.get_range(rng.start, rng.stop)]

    # --- reference data -------------------------------------------------------------------
    def instrument(self, symbol: object) -> Instrument:
        data = (
            self.tr.get(keys.INSTRUMENT.pack((str(symbol),))) if isinstance(symbol, str) else None
        )
        if data is None:
            raise InvalidField(f"unknown instrument {symbol!r}", field="instrument")
        return codec.decode(data, Instrument)

    def instruments(self) -> list[Instrument]:
        rng = keys.INSTRUMENT.range()
        return [codec.decode(v, Instrument) for _, v in self.tr.get_range(rng.start, rng.stop)]

    def save_instrument(self, instrument: Instrument) -> None:
        self.tr.set(keys.INSTRUMENT.pack((instrument.symbol,)), codec.encode(instrument))

    def venues(self) -> list[VenueRecord]:
        rng = keys.VENUE.range()
        return [codec.decode(v, VenueRecord) for _, v in self.tr.get_range(rng.start, rng.stop)]

    def venue(self, name: str) -> VenueRecord | None:
        data = self.tr.get(keys.VENUE.pack((name,)))
        return None if data is None else codec.decode(data, VenueRecord)

    def save_venue(self, venue: VenueRecord | Venue) -> None:
        record = (
            venue
            if isinstance(venue, VenueRecord)
            else VenueRecord(venue.name, venue.taker_fee_rate, venue.halted)
        )
        self.tr.set(keys.VENUE.pack((record.name,)), codec.encode(record))

    def trader(self, trader_id: str) -> Trader | None:
        data = self.tr.get(keys.TRADER.pack((trader_id,)))
        return None if data is None else codec.decode(data, Trader)

    def save_trader(self, trader: Trader) -> None:
        self.tr.set(keys.TRADER.pack((trader.trader_id,)), codec.encode(trader))

    def traders(self) -> list[Trader]:
        rng = keys.TRADER.range()
        return [codec.decode(v, Trader) for _, v in self.tr.get_range(rng.start, rng.stop)]

    # --- quotes ---------------------------------------------------------------------------
    def quotes(self, instrument: str) -> list[VenueQuote]:
        result = []
        for venue in self.venues():
            data = self.tr.get(keys.QUOTE.pack((venue.name, instrument)))
            if data is not None:
                result.append(codec.decode(data, VenueQuote))
        return result

    def quote(self, venue: str, instrument: str) -> VenueQuote | None:
        data = self.tr.get(keys.QUOTE.pack((venue, instrument)))
        return None if data is None else codec.decode(data, VenueQuote)

    def save_quote(self, quote: VenueQuote) -> None:
        self.tr.set(keys.QUOTE.pack((quote.venue, quote.instrument)), codec.encode(quote))

    # --- venue fill ratios -----------------------------------------------------------------
    def record_attempt_end(
        self, venue: str, instrument: str, expected: Decimal, filled: Decimal, now: datetime
    ) -> None:
        """Count one ended attempt in the venue's fill ratio (atomic adds: no conflicts)."""
        slot = _fill_slot(now)
        for name, amount in (("attempts", 1), ("expected", to_minor(expected))):
            self.tr.add(keys.VENUE_FILLS.pack((venue, instrument, slot, name)), amount)
        counted = to_minor(min(filled, expected))
        self.tr.add(keys.VENUE_FILLS.pack((venue, instrument, slot, "filled")), counted)
        # Slots past the window are dropped here, by a blind clear that reads nothing.
        old = keys.VENUE_FILLS.range((venue, instrument))
        self.tr.clear_range(
            old.start, keys.VENUE_FILLS.pack((venue, instrument, slot - FILL_RATIO_SLOTS))
        )

    def venue_fills(
        self, instrument: str, now: datetime
    ) -> dict[str, tuple[int, Decimal, Decimal]]:
        """venue -> (attempts, expected, filled) over the last hour, for one instrument."""
        first = _fill_slot(now) - FILL_RATIO_SLOTS + 1
        totals: dict[str, list[int]] = {}
        for venue in self.venues():
            rng = keys.VENUE_FILLS.range((venue.name, instrument))
            start = keys.VENUE_FILLS.pack((venue.name, instrument, first))
            for key, value in self.tr.get_range(start, rng.stop):
                name = keys.VENUE_FILLS.unpack(key)[3]
                row = totals.setdefault(venue.name, [0, 0, 0])
                row[("attempts", "expected", "filled").index(name)] += int.from_bytes(
                    value, "little", signed=True
                )
        return {v: (n, from_minor(e), from_minor(f)) for v, (n, e, f) in totals.items()}

    # --- counters -------------------------------------------------------------------------
    def counters(self) -> dict[tuple[str, str], int]:
        """(name, label) -> value: orders by state, fills by venue."""
        rng = keys.COUNTER.range()
        return {
            keys.COUNTER.unpack(k): int.from_bytes(v, "little", signed=True)
            for k, v in self.tr.get_range(rng.start, rng.stop)
        }
