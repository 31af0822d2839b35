"""Where trading-core keeps its records in the store: one subspace per kind of record."""

from __future__ import annotations

from infra.store.keys import Subspace

ROOT = Subspace(("trading",))

ORDER = ROOT["order"]  # (order_id) -> Order
ORDER_BY_TRADER = ROOT["order_by_trader"]  # (trader_id, order_id) -> b"" ; ids sort by time
CLIENT_ORDER_ID = ROOT["coid"]  # (trader_id, client_order_id) -> order_id
FILL = ROOT["fill"]  # (order_id, fill_id) -> Fill
FILL_BY_TRADER = ROOT["fill_by_trader"]  # (trader_id, versionstamp) -> (order_id, fill_id)
VENUE_FILL = ROOT["venue_fill"]  # (venue, venue_fill_id) -> fill_id: no venue fill twice
REPORT = ROOT["report"]  # (venue, exec_id) -> outcome: no report applied twice
RAW_REPORT = ROOT["raw_report"]  # (order_id, venue, exec_id) -> the report and its outcome
QUARANTINE = ROOT["quarantine"]  # (versionstamp) -> a refused report and why
POSITION = ROOT["position"]  # (trader_id, instrument) -> Position
TRADER = ROOT["trader"]  # (trader_id) -> Trader
INSTRUMENT = ROOT["instrument"]  # (symbol) -> Instrument
VENUE = ROOT["venue"]  # (name) -> VenueRecord
QUOTE = ROOT["quote"]  # (venue, instrument) -> VenueQuote
RESTING = ROOT["resting"]  # (instrument, order_id) -> b"" : open orders with nothing at a venue
# (venue, order_id, attempt_id) -> created_at ISO: attempts not ended, what reconciliation reads
LIVE_ATTEMPT = ROOT["live_attempt"]
# (venue, instrument, 5-minute slot, "attempts"|"expected"|"filled") -> int64 LE (minor units):
# what ended attempts were expected to fill and filled, the split strategy's fill ratio
VENUE_FILLS = ROOT["venue_fills"]
COUNTER = ROOT["counter"]  # (name, label) -> int64 LE: orders by state, fills (for metrics)
# Pre-trade risk (trading/services/risk.py).
RISK_LIMIT = ROOT["risk_limit"]  # (trader_id | "*", instrument | "*") -> Limits
# (trader_id, instrument, side, "quantity" | "notional") -> int64 LE minor units: open orders
EXPOSURE = ROOT["exposure"]
ORDER_RATE = ROOT["order_rate"]  # (trader_id, epoch second) -> int64 LE: orders accepted
