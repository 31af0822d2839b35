"""The venue adapters' calls into trading-core (venues/adapters/core.py), from its services."""

from __future__ import annotations

from infra.store.api import Transaction
from trading.repository import Repository
from trading.services.quotes import record_quote, reopen_venue
from trading.services.reference import set_venue_state
from venues.adapters.core import CoreCalls


def _open_circuit(tr: Transaction, venue: str) -> object:
    return set_venue_state(tr, venue, circuit_open=True)


def _symbols(tr: Transaction) -> list[str]:
    return sorted(instrument.symbol for instrument in Repository(tr).instruments())


def core_calls() -> CoreCalls:
    return CoreCalls(
        record_quote=record_quote,
        reopen_venue=reopen_venue,
        open_circuit=_open_circuit,
        symbols=_symbols,
    )
