"""The venue's stream: execution reports to Kafka, book updates to the router's quotes.

Delivery: at least once. The stream cursor (the venue's seq) is stored only after Kafka
acknowledged the reports before it, and a reconnect asks the venue to resend from there;
ingest drops what it has seen. While the stream is up the venue's circuit is closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from websockets.sync.client import connect

from contracts.venue import ExecutionReportV1
from infra.store.api import Database, Transaction, run
from infra.store.keys import Subspace
from venues.adapters.core import CoreCalls, installed
from venues.adapters.sim.parse import decode_book, decode_report, parse_to_quote, parse_to_report
from venues.recovery.heartbeat import beat

log = logging.getLogger(__name__)

CURSOR = Subspace(("venues", "stream_cursor"))  # (venue) -> "session:last seq handled"
RECONNECT_DELAY_S = 0.5
MAX_RECONNECT_DELAY_S = 5.0
HEARTBEAT_EVERY_S = 2.0


class NewSession(Exception):
    """The venue restarted: its sequence numbers start over, so must our cursor."""


def stream_cursor(tr: Transaction, venue: str) -> tuple[str, int]:
    data = tr.get(CURSOR.pack((venue,)))
    if not data:
        return "", 0
    session, _, seq = data.decode().rpartition(":")
    return session, int(seq)


def _set_cursor(tr: Transaction, venue: str, session: str, seq: int) -> None:
    tr.set(CURSOR.pack((venue,)), f"{session}:{seq}".encode())


class VenueStream:
    def __init__(
        self,
        db: Database,
        ws_url: str,
        venue: str,
        emit: Callable[[ExecutionReportV1], None],
        flush: Callable[[], None],
        core: CoreCalls | None = None,
    ) -> None:
        self.db, self.ws_url, self.venue = db, ws_url, venue
        self.emit, self.flush = emit, flush
        self.core = core or installed()
        self.session = ""
        self._last_beat = 0.0

    def run(self, stop: threading.Event) -> None:
        """Follow the stream until `stop`; every failure is logged, backed off and retried."""
        delay = RECONNECT_DELAY_S
        while not stop.is_set():
            self.heartbeat(force=True)
            try:
                self._session(stop)
                delay = RECONNECT_DELAY_S
            except NewSession:
                continue
            except Exception as error:  # noqa: BLE001 - the stream must never die silently
                log.warning(
                    "%s stream down (%s: %s), reconnecting in %.1f s",
                    self.venue,
                    type(error).__name__,
                    error,
                    delay,
                )
                self._open_circuit()
            stop.wait(delay)
            delay = min(delay * 2, MAX_RECONNECT_DELAY_S)

    def heartbeat(self, force: bool = False) -> None:
        """Tell /healthz this venue's stream thread is alive (at most every few seconds)."""
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_EVERY_S:
            try:
                run(self.db, lambda tr: beat(tr, self.venue, datetime.now(UTC)))
                self._last_beat = now
            except Exception as error:  # noqa: BLE001 - a missed beat is what health reports
                log.warning("%s stream heartbeat not written: %s", self.venue, error)

    def _open_circuit(self) -> None:
        try:
            run(self.db, lambda tr: self.core.open_circuit(tr, self.venue))
        except Exception as error:  # noqa: BLE001 - the store may be what failed
            log.warning("%s circuit not opened: %s", self.venue, error)

    def _session(self, stop: threading.Event) -> None:
        self.session, since = run(self.db, lambda tr: stream_cursor(tr, self.venue))
        with connect(
            f"{self.ws_url}/venues/{self.venue}/stream?since={since}", open_timeout=5
        ) as ws:
            run(self.db, lambda tr: self.core.reopen_venue(tr, self.venue, datetime.now(UTC)))
            while not stop.is_set():
                self.heartbeat()
                try:
                    text = ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
                self.handle(text if isinstance(text, str) else text.decode())

    def handle(self, text: str) -> None:
        raw = msgspec.json.decode(text)  # parsed once; the venue structs convert from it
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind == "hello":
            if raw["session"] != self.session:
                session = raw["session"]
                run(self.db, lambda tr: _set_cursor(tr, self.venue, session, 0))
                if self.session:  # we asked from another run's cursor: ask again from 0
                    raise NewSession(session)
                self.session = session
        elif kind == "execution_report":
            report = decode_report(raw)
            try:
                self.emit(parse_to_report(report, raw))
            except ValueError as error:
                log.warning(
                    "%s: report %s not for the platform: %s", self.venue, report.exec_id, error
                )
            self.flush()
            self._advance(report.seq)
        elif kind == "book":
            book = decode_book(raw)
            quote = parse_to_quote(book)
            now = datetime.now(UTC)

            def keep(tr: Transaction) -> None:
                self.core.record_quote(tr, quote, now)
                self._advance_in(tr, book.seq)

            run(self.db, keep)

    def _advance(self, seq: int) -> None:
        run(self.db, lambda tr: self._advance_in(tr, seq))

    def _advance_in(self, tr: Transaction, seq: int) -> None:
        session, current = stream_cursor(tr, self.venue)
        if session == self.session and seq > current:
            _set_cursor(tr, self.venue, session, seq)
