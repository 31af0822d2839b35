"""The platform's side of a FIX 4.4 session (the initiator): logon, heartbeats and test
requests, sequence numbers kept in the store, resend request and gap fill, logout.

One TCP connection, read by the thread that runs `run()`; any thread may `send()`. The next
MsgSeqNum to send is taken in the store before the message is written (a crash never reuses
a number; the venue's ResendRequest for one we never wrote is answered with a gap fill). The
next MsgSeqNum expected is stored only after the message was handled (its report acknowledged
by Kafka), so a restarted worker logs on where it stopped and asks for a resend of what it
missed. Application messages are never sent again: a ResendRequest from the venue is answered
with one SequenceReset-GapFill (an order whose message was lost is settled by asking the venue,
never by placing it twice).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable

from infra.store.api import Database, Transaction, run
from infra.store.keys import Subspace
from venues.adapters.fix import wire
from venues.adapters.fix.wire import Framer, Message, MsgType, SeqVerdict, check_seq

log = logging.getLogger(__name__)

# (venue, sender comp id, "out" | "in") -> the next MsgSeqNum to send / expected, as digits
SEQ = Subspace(("venues", "fix_seq"))
CONNECT_TIMEOUT_S = 5.0
LOGON_TIMEOUT_S = 10.0
RECONNECT_DELAY_S = 0.5
MAX_RECONNECT_DELAY_S = 5.0
READ_SLICE_S = 0.5  # how often the reader looks up from the socket (heartbeats, stop)


class NotLoggedOn(Exception):
    """The session is not up: nothing was sent."""


class SessionBroken(Exception):
    """The venue ended the session or broke its rules: reconnect."""


def stored_seqs(tr: Transaction, venue: str, sender: str) -> tuple[int, int] | None:
    """(next out, next in) as kept, or None for a session never started."""
    out = tr.get(SEQ.pack((venue, sender, "out")))
    expected = tr.get(SEQ.pack((venue, sender, "in")))
    if out is None or expected is None:
        return None
    return int(bytes(out)), int(bytes(expected))


def _set(tr: Transaction, venue: str, sender: str, which: str, value: int) -> None:
    tr.set(SEQ.pack((venue, sender, which)), str(value).encode())


def _take_out(tr: Transaction, venue: str, sender: str) -> int:
    seqs = stored_seqs(tr, venue, sender)
    seq = seqs[0] if seqs else 1
    _set(tr, venue, sender, "out", seq + 1)
    return seq


Handler = Callable[[Message], None]


class FixSession:
    def __init__(
        self,
        db: Database,
        address: tuple[str, int],
        venue: str,
        sender: str,
        on_message: Handler,
        on_up: Callable[[], None] = lambda: None,
        on_down: Callable[[str], None] = lambda reason: None,
        on_tick: Callable[[], None] = lambda: None,
        heart_bt_int_s: int = 10,
    ) -> None:
        self.db, self.address, self.venue, self.sender = db, address, venue, sender
        self.on_message, self.on_up, self.on_down, self.on_tick = (
            on_message,
            on_up,
            on_down,
            on_tick,
        )
        self.heart_bt_int_s = heart_bt_int_s
        self.logged_on = threading.Event()
        self._lock = threading.Lock()  # one writer at a time, and seq taken + written together
        self._sock: socket.socket | None = None
        self._expected = 1
        self._resend_pending = False
        self._test_request_at: float | None = None
        self._last_sent = self._last_received = time.monotonic()

    # --- the connection loop --------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Keep the session up until `stop`; each failure is logged, backed off and retried."""
        delay = RECONNECT_DELAY_S
        while not stop.is_set():
            self.on_tick()
            try:
                self._connect_and_serve(stop)
                delay = RECONNECT_DELAY_S
            except Exception as error:  # noqa: BLE001 - the session must never die silently
                log.warning(
                    "%s FIX session down (%s: %s), reconnecting in %.1f s",
                    self.venue,
                    type(error).__name__,
                    error,
                    delay,
                )
                self.on_down(str(error))
            finally:
                self._close()
            stop.wait(delay)
            delay = min(delay * 2, MAX_RECONNECT_DELAY_S)

    def _connect_and_serve(self, stop: threading.Event) -> None:
        sock = socket.create_connection(self.address, timeout=CONNECT_TIMEOUT_S)
        sock.settimeout(READ_SLICE_S)
        self._sock, framer = sock, Framer()
        kept = run(self.db, lambda tr: stored_seqs(tr, self.venue, self.sender))
        reset = kept is None
        if reset:  # never logged on from this store: both sides start at 1
            run(self.db, self._reset_seqs)
        self._expected = 1 if kept is None else kept[1]
        self._resend_pending, self._test_request_at = False, None
        fields = [(wire.ENCRYPT_METHOD, "0"), (wire.HEART_BT_INT, str(self.heart_bt_int_s))]
        self._send(MsgType.LOGON, fields + ([(wire.RESET_SEQ_NUM_FLAG, "Y")] if reset else []))
        logon_by = time.monotonic() + LOGON_TIMEOUT_S
        while not stop.is_set():
            if not self.logged_on.is_set() and time.monotonic() > logon_by:
                raise SessionBroken("no Logon answer")
            self._keep_alive()
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise SessionBroken("the venue closed the connection")
            self._last_received = time.monotonic()
            for message in framer.feed(data):
                self._handle(message)
        self.logout("stopping")

    def _reset_seqs(self, tr: Transaction) -> None:
        _set(tr, self.venue, self.sender, "out", 1)
        _set(tr, self.venue, self.sender, "in", 1)

    def _keep_alive(self) -> None:
        """A Heartbeat when we were quiet, a TestRequest when the venue was, and the
        connection dropped when a TestRequest got no answer within the interval."""
        self.on_tick()
        if not self.logged_on.is_set():
            return
        now, interval = time.monotonic(), self.heart_bt_int_s
        if self._test_request_at is not None and now - self._test_request_at > interval:
            raise SessionBroken("no answer to our TestRequest")
        if now - self._last_sent >= interval:
            self._send(MsgType.HEARTBEAT, [])
        if self._test_request_at is None and now - self._last_received > interval * 1.2:
            self._test_request_at = now
            self._send(MsgType.TEST_REQUEST, [(wire.TEST_REQ_ID, f"T{int(now)}")])

    def _close(self) -> None:
        self.logged_on.clear()
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def drop(self) -> None:
        """Cut the connection without a Logout (tests, drills: the link failed)."""
        sock = self._sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    # --- sending --------------------------------------------------------------------------

    def send(self, msg_type: str, fields: wire.Fields) -> int:
        """Send one application message now; its MsgSeqNum. NotLoggedOn: nothing was sent.
        An OSError: it may or may not have left."""
        if not self.logged_on.is_set():
            raise NotLoggedOn(f"{self.venue} FIX session is not logged on")
        return self._send(msg_type, fields)

    def _send(self, msg_type: str, fields: wire.Fields) -> int:
        with self._lock:
            sock = self._sock
            if sock is None:
                raise NotLoggedOn(f"{self.venue} FIX session is not connected")
            seq = run(self.db, lambda tr: _take_out(tr, self.venue, self.sender))
            data = wire.encode(
                msg_type, sender=self.sender, target=self.venue, seq=seq, fields=fields
            )
            sock.sendall(data)
            self._last_sent = time.monotonic()
            return seq

    def _gap_fill(self, begin: int) -> None:
        """Answer a ResendRequest: nothing is sent again, the next number is announced."""
        with self._lock:
            sock = self._sock
            if sock is None:
                return
            seqs = run(self.db, lambda tr: stored_seqs(tr, self.venue, self.sender))
            next_out = seqs[0] if seqs else 1
            data = wire.encode(
                MsgType.SEQUENCE_RESET,
                sender=self.sender,
                target=self.venue,
                seq=begin,
                fields=wire.gap_fill_fields(next_out),
                poss_dup=True,
            )
            sock.sendall(data)
            self._last_sent = time.monotonic()

    def logout(self, reason: str) -> None:
        """A polite end: Logout, then the connection closes (the venue answers Logout too)."""
        try:
            if self._sock is not None:
                self._send(MsgType.LOGOUT, [(wire.TEXT, reason)])
        except OSError as error:
            log.info("%s: logout not sent: %s", self.venue, error)

    # --- receiving ------------------------------------------------------------------------

    def _expect(self, value: int) -> None:
        self._expected = value
        run(self.db, lambda tr: _set(tr, self.venue, self.sender, "in", value))

    def _handle(self, message: Message) -> None:
        comps = (message.get(wire.SENDER_COMP_ID), message.get(wire.TARGET_COMP_ID))
        if comps != (self.venue, self.sender):
            raise SessionBroken(f"a message for another session: {comps}")
        if message.msg_type == MsgType.SEQUENCE_RESET:
            new = int(message.get(wire.NEW_SEQ_NO) or 0)
            if message.get(wire.GAP_FILL_FLAG) != "Y" or new > self._expected:
                self._expect(new)
                self._resend_pending = False
            return
        verdict = check_seq(message.seq, self._expected, message.poss_dup)
        if verdict is SeqVerdict.TOO_LOW and message.msg_type == MsgType.LOGON:
            # The venue started its numbers again (its state is new): nothing it sent before
            # can be asked for; reconciliation settles what that leaves open.
            log.warning(
                "%s restarted its MsgSeqNum at %d (we expected %d)",
                self.venue,
                message.seq,
                self._expected,
            )
            self._expected, verdict = message.seq, SeqVerdict.IN_ORDER
        if verdict is SeqVerdict.TOO_LOW:
            text = f"MsgSeqNum too low, expecting {self._expected} but received {message.seq}"
            self.logout(text)
            raise SessionBroken(text)
        if verdict is SeqVerdict.DUPLICATE:
            return
        if verdict is SeqVerdict.GAP and not self._resend_pending:
            self._resend_pending = True
            log.info(
                "%s: gap %d-%d, asking for a resend", self.venue, self._expected, message.seq - 1
            )
            fields = [(wire.BEGIN_SEQ_NO, str(self._expected)), (wire.END_SEQ_NO, "0")]
            self._send(MsgType.RESEND_REQUEST, fields)
        # Handled now even past a gap (the resend brings it again: handling is idempotent);
        # only an in-order message moves the number we keep.
        self._dispatch(message)
        if verdict is SeqVerdict.IN_ORDER:
            self._expect(message.seq + 1)

    def _dispatch(self, message: Message) -> None:
        kind = message.msg_type
        if kind == MsgType.LOGON:
            if not self.logged_on.is_set():
                self.logged_on.set()
                log.info("%s FIX session logged on as %s", self.venue, self.sender)
                self.on_up()
        elif kind == MsgType.HEARTBEAT:
            self._test_request_at = None
        elif kind == MsgType.TEST_REQUEST:
            self._send(MsgType.HEARTBEAT, [(wire.TEST_REQ_ID, message.get(wire.TEST_REQ_ID) or "")])
        elif kind == MsgType.RESEND_REQUEST:
            self._gap_fill(int(message.get(wire.BEGIN_SEQ_NO) or 1))
        elif kind == MsgType.REJECT:
            log.warning(
                "%s rejected our message %s: %s",
                self.venue,
                message.get(wire.REF_SEQ_NUM),
                message.get(wire.TEXT),
            )
        elif kind == MsgType.LOGOUT:
            raise SessionBroken(f"the venue logged out: {message.get(wire.TEXT)}")
        else:
            self.on_message(message)
