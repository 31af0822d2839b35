"""Reconciliation of one venue: every live attempt in the store is asked about at the venue.

Runs in the venue's worker when it starts and then every RECONCILE_INTERVAL_S, and on demand
(`manage.py reconcile_venues`). The store is read in pages through the live-attempt index,
one short transaction per page; what the venue says goes out as normal execution reports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from infra.store.api import Database, Transaction, run
from trading.repository import Repository
from venues.adapters.sim.client import Answer, OutcomeUnknown, VenueUnavailable
from venues.recovery.decide import LiveAttempt, VenueAnswer, decide
from venues.recovery.timing import NOT_PLACED_AFTER_S, RECONCILE_INTERVAL_S

log = logging.getLogger(__name__)

PAGE = 200
# Younger attempts are not asked about: their reports are most likely on their way, and
# feeding them again would only add duplicates for ingest to drop.
SETTLE_S = 2.0
MAX_SILENT = 3  # timeouts in a row: the venue is not answering, try again next round


class OrderStatusSource(Protocol):
    """What the reconciler asks: the SIM client's GET, or a FIX adapter's OrderStatusRequest."""

    @property
    def venue(self) -> str: ...

    def query(self, client_order_id: str) -> Answer: ...


@dataclass(frozen=True)
class Finding:
    client_order_id: str
    found: str
    reports: int


def live_page(
    tr: Transaction, venue: str, after: tuple[str, str] | None, now: datetime, limit: int = PAGE
) -> tuple[list[LiveAttempt], tuple[str, str] | None]:
    """One page of the venue's live attempts, and the cursor of the next (None: the last)."""
    repo = Repository(tr)
    rows = repo.live_attempts(venue, after=after, limit=limit)
    attempts = []
    for order_id, attempt_id, _created in rows:
        order = repo.find_order(order_id)
        attempt = order.attempt(attempt_id) if order else None
        if attempt is None or attempt.ended:
            continue
        attempts.append(
            LiveAttempt(
                venue=venue,
                order_id=order_id,
                attempt_id=attempt_id,
                state=attempt.state.value,
                filled_quantity=attempt.filled_quantity,
                age_s=(now - attempt.created_at).total_seconds(),
                end_known=attempt.final_exec_type is not None,
            )
        )
    cursor = (rows[-1][0], rows[-1][1]) if len(rows) == limit else None
    return attempts, cursor


class Reconciler:
    def __init__(
        self,
        db: Database,
        client: OrderStatusSource,
        emit: Callable[[dict[str, Any]], None],
        flush: Callable[[], None],
        not_placed_after_s: float = NOT_PLACED_AFTER_S,
    ) -> None:
        self.db, self.client, self.emit, self.flush = db, client, emit, flush
        self.not_placed_after_s = not_placed_after_s

    @property
    def venue(self) -> str:
        return self.client.venue

    def run_once(self) -> list[Finding]:
        """One pass over the venue's live attempts; stops early (skips) if the venue is down."""
        findings: list[Finding] = []
        after: tuple[str, str] | None = None
        silent = 0  # queries in a row without an answer
        while True:
            now = datetime.now(UTC)
            attempts, after = run(
                self.db, lambda tr, a=after, n=now: live_page(tr, self.venue, a, n)
            )
            for attempt in attempts:
                if attempt.age_s < min(SETTLE_S, self.not_placed_after_s):
                    findings.append(Finding(attempt.client_order_id, "young", 0))
                    continue
                try:
                    answer: VenueAnswer | None = self._ask(attempt.client_order_id)
                except VenueUnavailable as error:
                    log.info("%s down, reconciliation skipped this round: %s", self.venue, error)
                    findings.append(Finding(attempt.client_order_id, "venue-down", 0))
                    self.flush()
                    return findings
                silent = silent + 1 if answer is None else 0
                if silent >= MAX_SILENT:
                    log.info("%s not answering, reconciliation skipped this round", self.venue)
                    findings.append(Finding(attempt.client_order_id, "venue-silent", 0))
                    self.flush()
                    return findings
                found, reports = decide(attempt, answer, self.not_placed_after_s)
                for report in reports:
                    self.emit(report)
                if reports:
                    log.info(
                        "%s %s: %s, fed %d",
                        self.venue,
                        attempt.client_order_id,
                        found,
                        len(reports),
                    )
                findings.append(Finding(attempt.client_order_id, found, len(reports)))
            self.flush()  # the page's reports are acknowledged before the next page
            if after is None:
                return findings

    def _ask(self, client_order_id: str) -> VenueAnswer | None:
        try:
            answer = self.client.query(client_order_id)
        except OutcomeUnknown:
            return None
        return VenueAnswer(answer.status, answer.body)

    def run_forever(self, stop: threading.Event, interval_s: float = RECONCILE_INTERVAL_S) -> None:
        """At start, then every interval; a failed round is logged and the next one comes."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - a round that fails must not end the loop
                log.exception("%s reconciliation round failed", self.venue)
            stop.wait(interval_s)
