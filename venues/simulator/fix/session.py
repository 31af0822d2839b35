"""SIM-F's FIX 4.4 session layer, the acceptor's side: logon, heartbeats and test requests,
sequence numbers, resend and gap fill, reject, logout, over asyncio TCP.

One event loop runs it with the HTTP side. Every sequence number is taken, kept and committed
and the bytes written without an `await` in between, so messages leave in MsgSeqNum order and
none is ever sent that the state file does not hold. Application messages are handed to
`_application` (venues/simulator/fix/acceptor.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from venues.adapters.fix import wire
from venues.adapters.fix.wire import Framer, Garbled, Message, MsgType, SeqVerdict, check_seq
from venues.simulator.fix.store import FixStore
from venues.simulator.venue import Venue

log = logging.getLogger(__name__)

LOGON_TIMEOUT_S = 10.0
MAX_HEART_BT_INT_S = 300
KEPT = frozenset({MsgType.EXECUTION_REPORT, MsgType.ORDER_CANCEL_REJECT})  # resent, not filled


@dataclass
class Connection:
    comp: str
    writer: asyncio.StreamWriter
    heart_bt_int_s: int
    md_instruments: set[str] = field(default_factory=set)
    md_request_id: str = ""
    resend_pending: bool = False
    test_request_at: float | None = None
    last_received: float = field(default_factory=time.monotonic)
    last_sent: float = field(default_factory=time.monotonic)

    def write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)
            self.last_sent = time.monotonic()


class SessionLayer:
    def __init__(self, venue: Venue, store: FixStore) -> None:
        self.venue, self.store = venue, store
        self.connections: dict[str, Connection] = {}
        self._servers: list[asyncio.Server] = []

    # --- the server ---------------------------------------------------------------------

    async def start(self, host: str, port: int) -> None:
        self._servers.append(await asyncio.start_server(self._serve, host, port))
        log.info("%s FIX 4.4 acceptor on %s:%d", self.venue.name, host, port)

    async def stop(self) -> None:
        for conn in list(self.connections.values()):
            self._logout(conn, "simulator shutting down")
        for server in self._servers:
            server.close()
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        framer, conn = Framer(), None
        try:
            first = await asyncio.wait_for(self._read_one(reader, framer), LOGON_TIMEOUT_S)
            if first is None:
                return
            message, rest = first
            conn = self._logon(message, writer)
            if conn is None:
                return
            monitor = asyncio.create_task(self._monitor(conn))
            try:
                for message in rest:
                    self._on_message(conn, message)
                while not writer.is_closing():
                    data = await reader.read(65536)
                    if not data:
                        break
                    conn.last_received = time.monotonic()
                    for message in framer.feed(data):
                        self._on_message(conn, message)
                        if writer.is_closing():
                            break
            finally:
                monitor.cancel()
        except (TimeoutError, Garbled, ConnectionError) as error:
            log.info("%s FIX connection ended: %s", self.venue.name, error)
        finally:
            if conn is not None and self.connections.get(conn.comp) is conn:
                del self.connections[conn.comp]
                log.info("%s FIX session %s disconnected", self.venue.name, conn.comp)
            writer.close()

    async def _read_one(
        self, reader: asyncio.StreamReader, framer: Framer
    ) -> tuple[Message, list[Message]] | None:
        while True:
            data = await reader.read(65536)
            if not data:
                return None
            messages = framer.feed(data)
            if messages:
                return messages[0], messages[1:]

    async def _monitor(self, conn: Connection) -> None:
        """Heartbeats when quiet; a TestRequest when the other side is; close if it stays so.
        Also ends the session when the venue goes down (fault)."""
        while not conn.writer.is_closing():
            await asyncio.sleep(1.0)
            now, interval = time.monotonic(), conn.heart_bt_int_s
            if self.venue.faults.down:
                self._logout(conn, f"{self.venue.name} is down")
                return
            if now - conn.last_sent >= interval:
                self.send(conn.comp, MsgType.HEARTBEAT, [])
            if conn.test_request_at is not None and now - conn.test_request_at > interval:
                log.info("%s: %s did not answer a TestRequest", self.venue.name, conn.comp)
                conn.writer.close()
                return
            if conn.test_request_at is None and now - conn.last_received > interval * 1.2:
                conn.test_request_at = now
                self.send(conn.comp, MsgType.TEST_REQUEST, [(wire.TEST_REQ_ID, str(int(now)))])

    # --- sending ------------------------------------------------------------------------

    def _encode(self, comp: str, msg_type: str, fields: list[tuple[int, str]], keep: bool) -> bytes:
        seq, _ = self.store.seqs(comp)
        sending_time = wire.fix_time()
        data = wire.encode(
            msg_type,
            sender=self.venue.name,
            target=comp,
            seq=seq,
            fields=fields,
            sending_time=sending_time,
        )
        self.store.set_next_out(comp, seq + 1)
        if keep:
            self.store.keep_sent(comp, seq, msg_type, fields, sending_time)
        return data

    def send(self, comp: str, msg_type: str, fields: list[tuple[int, str]]) -> None:
        """Take the next MsgSeqNum, commit it (and the message, if it is kept), then write."""
        data = self._encode(comp, msg_type, fields, msg_type in KEPT)
        self.store.commit()
        conn = self.connections.get(comp)
        if conn is not None:
            conn.write(data)

    # --- the session layer ----------------------------------------------------------------

    def _logon(self, message: Message, writer: asyncio.StreamWriter) -> Connection | None:
        comp = message.get(wire.SENDER_COMP_ID) or ""
        if message.msg_type != MsgType.LOGON or not comp:
            log.info(
                "%s: first message not a Logon with a SenderCompID: %s", self.venue.name, message
            )
            writer.close()
            return None
        conn = Connection(comp, writer, _heart_bt_int(message.get(wire.HEART_BT_INT)))
        refusal = self._logon_refusal(message, comp)
        if refusal:
            log.info("%s: logon of %s refused: %s", self.venue.name, comp, refusal)
            # Not numbered in the session: it may be another connection's, logged on now.
            seq, _ = self.store.seqs(comp)
            fields = [(wire.TEXT, refusal)]
            conn.write(
                wire.encode(
                    MsgType.LOGOUT, sender=self.venue.name, target=comp, seq=seq, fields=fields
                )
            )
            writer.close()
            return None
        reset = message.get(wire.RESET_SEQ_NUM_FLAG) == "Y"
        if reset:
            self.store.reset(comp)
        _, expected = self.store.seqs(comp)
        self.connections[comp] = conn
        fields = [(wire.ENCRYPT_METHOD, "0"), (wire.HEART_BT_INT, str(conn.heart_bt_int_s))]
        self.send(comp, MsgType.LOGON, fields + ([(wire.RESET_SEQ_NUM_FLAG, "Y")] if reset else []))
        self._sequenced(conn, message, expected)
        self.store.commit()
        log.info(
            "%s: %s logged on (in %d, expected %d)", self.venue.name, comp, message.seq, expected
        )
        return conn

    def _logon_refusal(self, message: Message, comp: str) -> str | None:
        if message.get(wire.TARGET_COMP_ID) != self.venue.name:
            return f"TargetCompID must be {self.venue.name}"
        if self.venue.faults.down:
            return f"{self.venue.name} is down"
        if comp in self.connections:
            return f"{comp} is already logged on"
        if message.get(wire.RESET_SEQ_NUM_FLAG) == "Y":
            return None
        _, expected = self.store.seqs(comp)
        if check_seq(message.seq, expected, message.poss_dup) is SeqVerdict.TOO_LOW:
            return f"MsgSeqNum too low, expecting {expected} but received {message.seq}"
        return None

    def _sequenced(self, conn: Connection, message: Message, expected: int) -> bool:
        """Apply the MsgSeqNum rule; False if the message must not be handled."""
        verdict = check_seq(message.seq, expected, message.poss_dup)
        if verdict is SeqVerdict.IN_ORDER:
            self.store.set_next_in(conn.comp, expected + 1)
            return True
        if verdict is SeqVerdict.GAP:
            if not conn.resend_pending:
                conn.resend_pending = True
                fields = [(wire.BEGIN_SEQ_NO, str(expected)), (wire.END_SEQ_NO, "0")]
                self.send(conn.comp, MsgType.RESEND_REQUEST, fields)
            return True  # handled now; its number is filled in by the resend (never twice)
        if verdict is SeqVerdict.TOO_LOW:
            self._logout(
                conn, f"MsgSeqNum too low, expecting {expected} but received {message.seq}"
            )
        return False

    def _on_message(self, conn: Connection, message: Message) -> None:
        if message.get(wire.SENDER_COMP_ID) != conn.comp:
            self._logout(conn, "SenderCompID changed within the session")
            return
        if self.venue.faults.down:
            self._logout(conn, f"{self.venue.name} is down")
            return
        if message.msg_type == MsgType.SEQUENCE_RESET:
            self._sequence_reset(conn, message)
            return
        _, expected = self.store.seqs(conn.comp)
        if self._sequenced(conn, message, expected):
            self._dispatch(conn, message)
        self.store.commit()

    def _sequence_reset(self, conn: Connection, message: Message) -> None:
        new = int(message.get(wire.NEW_SEQ_NO) or 0)
        _, expected = self.store.seqs(conn.comp)
        if message.get(wire.GAP_FILL_FLAG) == "Y" and new <= expected:
            return  # a gap fill of what we have already
        self.store.set_next_in(conn.comp, new)
        self.store.commit()
        conn.resend_pending = False

    def _dispatch(self, conn: Connection, message: Message) -> None:
        kind = message.msg_type
        if kind == MsgType.HEARTBEAT:
            conn.test_request_at = None
        elif kind == MsgType.TEST_REQUEST:
            self.send(
                conn.comp,
                MsgType.HEARTBEAT,
                [(wire.TEST_REQ_ID, message.get(wire.TEST_REQ_ID) or "")],
            )
        elif kind == MsgType.RESEND_REQUEST:
            self._resend(
                conn,
                int(message.get(wire.BEGIN_SEQ_NO) or 1),
                int(message.get(wire.END_SEQ_NO) or 0),
            )
        elif kind == MsgType.LOGOUT:
            self._logout(conn, "logout acknowledged")
        elif kind == MsgType.REJECT:
            log.warning("%s: %s rejected our message: %s", self.venue.name, conn.comp, message)
        elif not self._application(conn, message):
            fields = [
                (wire.REF_SEQ_NUM, str(message.seq)),
                (wire.REF_MSG_TYPE, kind),
                (wire.SESSION_REJECT_REASON, "11"),  # invalid MsgType
                (wire.TEXT, f"{self.venue.name} does not take MsgType {kind!r}"),
            ]
            self.send(conn.comp, MsgType.REJECT, fields)

    def _resend(self, conn: Connection, begin: int, end: int) -> None:
        """Kept application messages again (PossDupFlag, OrigSendingTime); every other number
        in the range is one SequenceReset-GapFill per run."""
        next_out, _ = self.store.seqs(conn.comp)
        last = next_out - 1 if end == 0 or end >= next_out else end
        kept = self.store.sent(conn.comp, begin, last)
        log.info(
            "%s: resending %d-%d to %s (%d kept)",
            self.venue.name,
            begin,
            last,
            conn.comp,
            len(kept),
        )
        seq = begin
        while seq <= last:
            if seq in kept:
                body = kept[seq]
                conn.write(
                    wire.encode(
                        str(body["type"]),
                        sender=self.venue.name,
                        target=conn.comp,
                        seq=seq,
                        fields=[(int(t), str(v)) for t, v in body["fields"]],  # type: ignore[attr-defined]
                        poss_dup=True,
                        orig_sending_time=str(body["sending_time"]),
                    )
                )
                seq += 1
                continue
            after = next((s for s in kept if s > seq), last + 1)
            conn.write(
                wire.encode(
                    MsgType.SEQUENCE_RESET,
                    sender=self.venue.name,
                    target=conn.comp,
                    seq=seq,
                    fields=wire.gap_fill_fields(after),
                    poss_dup=True,
                )
            )
            seq = after

    def _logout(self, conn: Connection, reason: str) -> None:
        if not conn.writer.is_closing():
            self.send(conn.comp, MsgType.LOGOUT, [(wire.TEXT, reason)])
            conn.writer.close()
        if self.connections.get(conn.comp) is conn:
            del self.connections[conn.comp]

    def _application(self, conn: Connection, message: Message) -> bool:
        """Handle one application message; False: this MsgType is not taken (a Reject)."""
        return False

    # --- control ------------------------------------------------------------------------

    def sessions(self) -> dict[str, dict[str, object]]:
        """Per counterparty: next MsgSeqNum out and in, and whether it is logged on now."""
        info: dict[str, dict[str, object]] = {}
        for comp in self.store.sessions():
            next_out, next_in = self.store.seqs(comp)
            info[comp] = {
                "next_out": next_out,
                "next_in": next_in,
                "connected": comp in self.connections,
            }
        return info

    def drop(self, comp: str) -> bool:
        """Cut the TCP connection without a Logout (a drill: the link failed)."""
        conn = self.connections.get(comp)
        if conn is None:
            return False
        del self.connections[comp]
        conn.writer.transport.abort()
        return True


def _heart_bt_int(value: str | None) -> int:
    try:
        seconds = int(value or "30")
    except ValueError:
        seconds = 30
    return min(max(seconds, 1), MAX_HEART_BT_INT_S)
