"""FIX 4.4 on the wire, shared by the adapter's session and the simulator's acceptor.

Encoding and field parsing are simplefix's; this module adds what simplefix leaves out: the
frame check (BodyLength and CheckSum, which simplefix does not verify on parse), the standard
header every message of a session carries, and the one rule both sides apply to an incoming
MsgSeqNum. Pure: it imports only simplefix, so the simulator may use it without importing
anything of the platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import simplefix

BEGIN_STRING = "FIX.4.4"
MAX_MESSAGE_BYTES = 64 * 1024  # a frame announcing more is garbage: the session ends

# Tags by name (FIX 4.4), only those the two sides use.
AVG_PX, BEGIN_SEQ_NO, CL_ORD_ID, COMMISSION, CUM_QTY = 6, 7, 11, 12, 14
COMM_TYPE, END_SEQ_NO, EXEC_ID, EXEC_REF_ID = 13, 16, 17, 19
LAST_PX, LAST_QTY, MSG_SEQ_NUM, MSG_TYPE = 31, 32, 34, 35
NEW_SEQ_NO, ORDER_ID, ORDER_QTY, ORD_STATUS, ORD_TYPE = 36, 37, 38, 39, 40
ORIG_CL_ORD_ID, POSS_DUP_FLAG, PRICE, REF_SEQ_NUM = 41, 43, 44, 45
SENDER_COMP_ID, SENDING_TIME, SIDE, SYMBOL, TARGET_COMP_ID = 49, 52, 54, 55, 56
TEXT, TIME_IN_FORCE, TRANSACT_TIME = 58, 59, 60
ENCRYPT_METHOD, HEART_BT_INT, TEST_REQ_ID = 98, 108, 112
ORD_REJ_REASON, ORIG_SENDING_TIME, GAP_FILL_FLAG = 103, 122, 123
RESET_SEQ_NUM_FLAG, EXEC_TYPE, LEAVES_QTY = 141, 150, 151
MD_REQ_ID, SUBSCRIPTION_REQUEST_TYPE, MARKET_DEPTH = 262, 263, 264
NO_MD_ENTRY_TYPES, NO_MD_ENTRIES, MD_ENTRY_TYPE, MD_ENTRY_PX, MD_ENTRY_SIZE = (
    267,
    268,
    269,
    270,
    271,
)
NO_RELATED_SYM, CXL_REJ_REASON, CXL_REJ_RESPONSE_TO = 146, 102, 434
REF_MSG_TYPE, SESSION_REJECT_REASON = 372, 373
COMM_CURRENCY, ORD_STATUS_REQ_ID, TRD_MATCH_ID, LAST_RPT_REQUESTED = 479, 790, 880, 912


class MsgType(StrEnum):
    HEARTBEAT = "0"
    TEST_REQUEST = "1"
    RESEND_REQUEST = "2"
    REJECT = "3"
    SEQUENCE_RESET = "4"
    LOGOUT = "5"
    EXECUTION_REPORT = "8"
    ORDER_CANCEL_REJECT = "9"
    LOGON = "A"
    NEW_ORDER_SINGLE = "D"
    ORDER_CANCEL_REQUEST = "F"
    ORDER_STATUS_REQUEST = "H"
    MARKET_DATA_REQUEST = "V"
    MARKET_DATA_SNAPSHOT = "W"


# Session-level (admin) messages: never resent, always gap-filled.
ADMIN = frozenset(
    {
        MsgType.HEARTBEAT,
        MsgType.TEST_REQUEST,
        MsgType.RESEND_REQUEST,
        MsgType.REJECT,
        MsgType.SEQUENCE_RESET,
        MsgType.LOGOUT,
        MsgType.LOGON,
    }
)

Fields = Iterable[tuple[int, str]]


class Garbled(ValueError):
    """Bytes that are not a FIX 4.4 frame: the connection cannot be trusted any more."""


def fix_time(moment: datetime | None = None) -> str:
    """UTCTimestamp with milliseconds: 20250102-03:04:05.123."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%d-%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def iso_time(fix: str | None) -> str | None:
    """A FIX UTCTimestamp as ISO 8601 in UTC (None stays None)."""
    if not fix:
        return None
    fmt = "%Y%m%d-%H:%M:%S.%f" if "." in fix else "%Y%m%d-%H:%M:%S"
    return datetime.strptime(fix, fmt).replace(tzinfo=UTC).isoformat()


def encode(
    msg_type: str,
    *,
    sender: str,
    target: str,
    seq: int,
    fields: Fields = (),
    poss_dup: bool = False,
    orig_sending_time: str | None = None,
    sending_time: str | None = None,
) -> bytes:
    """One message with the standard header; simplefix adds BodyLength and CheckSum."""
    message = simplefix.FixMessage()
    message.append_pair(8, BEGIN_STRING, header=True)
    message.append_pair(MSG_TYPE, msg_type, header=True)
    message.append_pair(SENDER_COMP_ID, sender, header=True)
    message.append_pair(TARGET_COMP_ID, target, header=True)
    message.append_pair(MSG_SEQ_NUM, str(seq), header=True)
    if poss_dup:
        message.append_pair(POSS_DUP_FLAG, "Y", header=True)
    message.append_pair(SENDING_TIME, sending_time or fix_time(), header=True)
    if orig_sending_time:
        message.append_pair(ORIG_SENDING_TIME, orig_sending_time, header=True)
    for tag, value in fields:
        message.append_pair(tag, value)
    return bytes(message.encode())


@dataclass(frozen=True)
class Message:
    """A received message: its fields in order (repeating groups keep their order)."""

    pairs: tuple[tuple[int, str], ...]
    raw: bytes

    @property
    def msg_type(self) -> str:
        return self.get(MSG_TYPE) or ""

    @property
    def seq(self) -> int:
        return int(self.get(MSG_SEQ_NUM) or 0)

    @property
    def poss_dup(self) -> bool:
        return self.get(POSS_DUP_FLAG) == "Y"

    def get(self, tag: int) -> str | None:
        for key, value in self.pairs:
            if key == tag:
                return value
        return None

    def all(self, tag: int) -> list[str]:
        return [value for key, value in self.pairs if key == tag]

    def __str__(self) -> str:
        return "|".join(f"{tag}={value}" for tag, value in self.pairs)


_PREFIX = b"8=FIX.4.4\x019="
_HEAD = re.compile(rb"8=FIX\.4\.4\x019=(\d{1,6})\x01")
_TRAILER = re.compile(rb"10=(\d{3})\x01")


class Framer:
    """Bytes from a socket in, whole checked messages out (a frame may come in pieces)."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages = []
        while True:
            message = self._next()
            if message is None:
                return messages
            messages.append(message)

    def _next(self) -> Message | None:
        if not self._buffer:
            return None
        head = _HEAD.match(self._buffer)
        if head is None:
            start, rest = self._buffer[: len(_PREFIX)], self._buffer[len(_PREFIX) :]
            if _PREFIX.startswith(start) and (not rest or (rest.isdigit() and len(rest) <= 6)):
                return None  # the header is still on its way
            raise Garbled(f"not a FIX 4.4 frame: {self._buffer[:40]!r}")
        body_length = int(head.group(1))
        if body_length > MAX_MESSAGE_BYTES:
            raise Garbled(f"BodyLength {body_length} over {MAX_MESSAGE_BYTES}")
        end_of_body = head.end() + body_length
        if len(self._buffer) < end_of_body + 7:
            return None
        trailer = _TRAILER.match(self._buffer, end_of_body)
        if trailer is None:
            raise Garbled("BodyLength does not end where CheckSum starts")
        frame, self._buffer = self._buffer[: trailer.end()], self._buffer[trailer.end() :]
        if sum(frame[:end_of_body]) % 256 != int(trailer.group(1)):
            raise Garbled("CheckSum does not match")
        parser = simplefix.FixParser()
        parser.append_buffer(frame)
        parsed = parser.get_message()
        if parsed is None:
            raise Garbled("simplefix found no message in a checked frame")
        pairs = tuple((int(tag), bytes(value).decode()) for tag, value in parsed.pairs)
        return Message(pairs, frame)


class SeqVerdict(StrEnum):
    IN_ORDER = "in_order"  # the one expected: handle it, expect the next
    GAP = "gap"  # later than expected: ask for a resend of what is missing
    DUPLICATE = "duplicate"  # older, flagged PossDup: seen already, drop it
    TOO_LOW = "too_low"  # older and not flagged: the session is broken, log out


def check_seq(seq: int, expected: int, poss_dup: bool) -> SeqVerdict:
    """The FIX rule for an incoming MsgSeqNum against the one expected."""
    if seq == expected:
        return SeqVerdict.IN_ORDER
    if seq > expected:
        return SeqVerdict.GAP
    return SeqVerdict.DUPLICATE if poss_dup else SeqVerdict.TOO_LOW


def gap_fill_fields(new_seq_no: int) -> list[tuple[int, str]]:
    """The body of a SequenceReset in gap-fill mode: the next message will carry new_seq_no."""
    return [(GAP_FILL_FLAG, "Y"), (NEW_SEQ_NO, str(new_seq_no))]


# Side, OrdStatus, ExecType and TimeInForce as FIX writes them, and back.
SIDES = {"buy": "1", "sell": "2"}
ORD_STATUSES = {
    "new": "0",
    "partially_filled": "1",
    "filled": "2",
    "canceled": "4",
    "rejected": "8",
    "expired": "C",
}
EXEC_TYPES = {
    "new": "0",
    "canceled": "4",
    "rejected": "8",
    "expired": "C",
    "trade": "F",
    "order_status": "I",
}
TIMES_IN_FORCE = {"GTC": "1", "IOC": "3"}
ORD_TYPES = {"market": "1", "limit": "2"}


def reverse(table: dict[str, str]) -> dict[str, str]:
    return {fix: name for name, fix in table.items()}
