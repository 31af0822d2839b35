"""The venue's stream: execution reports to Kafka, book updates to the router's quotes.

Delivery: at least once. The stream cursor (the venue's seq) is stored only after Kafka
acknowledged the reports before it, and a reconnect asks the venue to resend from there;
ingest drops what it has seen. While the stream is up the venue's circuit is closed.
What has arrived is handled as one batch: its reports emitted, one Kafka flush, then its
newest book per instrument and the cursor in one store transaction (a book superseded within
the batch would only be overwritten).
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
from trading.domain.routing import VenueQuote
from venues.adapters.core import CoreCalls, installed
from venues.adapters.sim.parse import decode_book, decode_report, parse_to_quote, parse_to_report
from venues.recovery.heartbeat import beat

log = logging.getLogger(__name__)

CURSOR = Subspace(("venues", "stream_cursor"))  # (venue) -> "session:last seq handled"
RECONNECT_DELAY_S = 0.5
MAX_RECONNECT_DELAY_S = 5.0
HEARTBEAT_EVERY_S = 2.0
BATCH_MAX = 200  # messages read off the socket before they are handled together


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
                texts: list[str | bytes] = []
                try:
                    texts.append(ws.recv(timeout=0.5))
                    while len(texts) < BATCH_MAX:
                        texts.append(ws.recv(timeout=0))  # only what is already here
                except TimeoutError:
                    if not texts:
                        continue
                self.handle_batch([t if isinstance(t, str) else t.decode() for t in texts])

    def handle(self, text: str) -> None:
        self.handle_batch([text])

    def handle_batch(self, texts: list[str]) -> None:
        """Emit the batch's reports, flush once, then keep its books and cursor in one txn."""
        quotes: dict[str, VenueQuote] = {}  # instrument -> the newest book's quote
        emitted, last_seq = False, 0
        for text in texts:
            raw = msgspec.json.decode(text)  # parsed once; the venue structs convert from it
            kind = raw.get("type") if isinstance(raw, dict) else None
            if kind == "hello":
                self._settle(emitted, quotes, last_seq)  # what came before, under its session
                emitted, last_seq = False, 0
                quotes = {}
                self._hello(raw["session"])
            elif kind == "execution_report":
                report = decode_report(raw)
                try:
                    self.emit(parse_to_report(report, raw))
                    emitted = True
                except ValueError as error:
                    log.warning(
                        "%s: report %s not for the platform: %s", self.venue, report.exec_id, error
                    )
                last_seq = max(last_seq, report.seq)
            elif kind == "book":
                book = decode_book(raw)
                quotes[book.instrument] = parse_to_quote(book)
                last_seq = max(last_seq, book.seq)
        self._settle(emitted, quotes, last_seq)

    def _hello(self, session: str) -> None:
        if session != self.session:
            run(self.db, lambda tr: _set_cursor(tr, self.venue, session, 0))
            if self.session:  # we asked from another run's cursor: ask again from 0
                raise NewSession(session)
            self.session = session

    def _settle(self, emitted: bool, quotes: dict[str, VenueQuote], last_seq: int) -> None:
        """Kafka's acknowledgement first: the cursor never passes a report not delivered."""
        if emitted:
            self.flush()
        if not quotes and not last_seq:
            return
        now = datetime.now(UTC)

        def keep(tr: Transaction) -> None:
            for quote in quotes.values():
                self.core.record_quote(tr, quote, now)
            if last_seq:
                self._advance_in(tr, last_seq)

        run(self.db, keep)

    def _advance_in(self, tr: Transaction, seq: int) -> None:
        session, current = stream_cursor(tr, self.venue)
        if session == self.session and seq > current:
            _set_cursor(tr, self.venue, session, seq)
