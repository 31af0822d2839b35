"""What a venue's adapter asks of trading-core, given at wiring: venues imports no service.

wiring/venue_calls.py builds the calls from trading's services and `install`s them when the
platform's Celery app loads (every Django process, every venue pool).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from infra.store.api import Transaction
from trading.domain.routing import VenueQuote


@dataclass(frozen=True)
class CoreCalls:
    """Each runs in the caller's transaction."""

    record_quote: Callable[[Transaction, VenueQuote, datetime], object]  # the router's quotes
    reopen_venue: Callable[[Transaction, str, datetime], object]  # the stream is up again
    open_circuit: Callable[[Transaction, str], object]  # the venue is unreachable
    symbols: Callable[[Transaction], list[str]]  # the instruments to subscribe to


_installed: CoreCalls | None = None


def install(calls: CoreCalls) -> None:
    global _installed
    _installed = calls


def installed() -> CoreCalls:
    """The calls wiring gave; a process that never loaded wiring.celery has none."""
    if _installed is None:
        raise RuntimeError("no CoreCalls: wiring.celery installs them (venues.adapters.core)")
    return _installed
