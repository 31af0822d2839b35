"""A FIX venue's adapter tied to the platform: its session's numbers in the store, reports to
Kafka, books to the router's quotes, the circuit open while the session is down, and the
stream heartbeat /healthz reads (as the SIM stream's)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from contracts.venue import ExecutionReportV1
from infra.store.api import Database, run
from venues.adapters.core import CoreCalls, installed
from venues.adapters.fix import wire
from venues.adapters.fix.adapter import FixAdapter
from venues.adapters.fix.parse import parse_to_quote
from venues.adapters.fix.session import FixSession
from venues.adapters.fix.wire import Message, MsgType
from venues.recovery.heartbeat import beat

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 2.0


def parse_address(address: str) -> tuple[str, int]:
    """ "127.0.0.1:8101" -> ("127.0.0.1", 8101)."""
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def make_fix_adapter(
    db: Database,
    venue: str,
    address: tuple[str, int],
    sender: str,
    emit: Callable[[ExecutionReportV1], None],
    flush: Callable[[], None],
    open_circuit: Callable[[str], None],
    core: CoreCalls | None = None,
) -> FixAdapter:
    """The adapter and its session (not connected: a worker thread runs `session.run`)."""
    calls = core or installed()
    last_beat = [0.0]

    def on_tick() -> None:
        now = time.monotonic()
        if now - last_beat[0] < HEARTBEAT_EVERY_S:
            return
        try:
            run(db, lambda tr: beat(tr, venue, datetime.now(UTC)))
            last_beat[0] = now
        except Exception as error:  # noqa: BLE001 - a missed beat is what health reports
            log.warning("%s session heartbeat not written: %s", venue, error)

    def on_quote(message: Message) -> None:
        quote = parse_to_quote(venue, message)
        run(db, lambda tr: calls.record_quote(tr, quote, datetime.now(UTC)))

    def build(adapter: FixAdapter) -> FixSession:
        def on_up() -> None:
            run(db, lambda tr: calls.reopen_venue(tr, venue, datetime.now(UTC)))
            symbols = run(db, calls.symbols)
            fields = [
                (wire.MD_REQ_ID, f"MD-{uuid.uuid4().hex[:8]}"),
                (wire.SUBSCRIPTION_REQUEST_TYPE, "1"),  # snapshot + updates
                (wire.MARKET_DEPTH, "0"),
                (wire.NO_MD_ENTRY_TYPES, "2"),
                (wire.MD_ENTRY_TYPE, "0"),
                (wire.MD_ENTRY_TYPE, "1"),
                (wire.NO_RELATED_SYM, str(len(symbols))),
                *[(wire.SYMBOL, symbol) for symbol in symbols],
            ]
            adapter.session.send(MsgType.MARKET_DATA_REQUEST, fields)

        return FixSession(
            db,
            address,
            venue,
            sender,
            on_message=adapter.on_message,
            on_up=on_up,
            on_down=open_circuit,
            on_tick=on_tick,
        )

    return FixAdapter(build, emit, flush, on_quote)
