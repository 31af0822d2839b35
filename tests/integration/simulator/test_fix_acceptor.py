"""SIM-F's FIX 4.4 acceptor byte for byte: a raw TCP client on 127.0.0.1 against the real
simulator process (PROTOCOL.md, "SIM-F")."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest

from infra.bus.local_broker import free_port
from tests.integration.simulator.support import order, running_simulator
from venues.adapters.fix import wire
from venues.adapters.fix.wire import Framer, Message


class RawSession:
    def __init__(self, port: int, comp: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.comp, self.seq, self.framer = comp, 1, Framer()
        self.pending: list[Message] = []

    def send(
        self,
        msg_type: str,
        fields: list[tuple[int, str]],
        *,
        seq: int | None = None,
        target: str = "SIM-F",
    ) -> None:
        number = self.seq if seq is None else seq
        self.sock.sendall(
            wire.encode(msg_type, sender=self.comp, target=target, seq=number, fields=fields)
        )
        self.seq = number + 1

    def next(self, *types: str) -> Message:
        """The next message of one of `types` (others, e.g. market data, are skipped)."""
        while True:
            while self.pending:
                message = self.pending.pop(0)
                if message.msg_type in types:
                    return message
            data = self.sock.recv(65536)
            assert data, "the acceptor closed the connection"
            self.pending += self.framer.feed(data)

    def logon(self, *, seq: int | None = None, target: str = "SIM-F") -> Message:
        fields = [(wire.ENCRYPT_METHOD, "0"), (wire.HEART_BT_INT, "30")]
        self.send("A", fields, seq=seq, target=target)
        return self.next("A", "5")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def venue(tmp_path_factory) -> Iterator[tuple[str, int]]:
    port = free_port()
    log_dir = tmp_path_factory.mktemp("fix-acceptor")
    with running_simulator(log_dir, "--seed-books", "--fix-port", str(port)) as url:
        yield url, port


@pytest.fixture
def session(venue) -> Iterator[RawSession]:
    raw = RawSession(venue[1], f"RAW-{uuid.uuid4().hex[:8]}")
    yield raw
    raw.close()


def test_sim_f_trades_over_fix_only(venue):
    url, _ = venue
    answer = httpx.post(f"{url}/venues/SIM-F/orders", json=order("O-x:EA-1"), timeout=5)
    assert answer.status_code == 404 and "FIX" in answer.json()["error"]
    book = httpx.get(f"{url}/control/books/SIM-F/BTC-USD", timeout=5).json()
    assert book["asks"] == [["10100", "5"]]  # never better than SIM-A's 9980 or SIM-B's 9985


def test_a_logon_to_another_comp_id_is_refused_with_a_logout(session):
    answer = session.logon(target="SIM-A")
    assert answer.msg_type == "5" and "TargetCompID" in (answer.get(wire.TEXT) or "")


def test_a_logon_below_the_expected_number_is_refused(venue, session):
    assert session.logon().msg_type == "A"
    session.send("5", [])
    session.next("5")
    session.close()
    again = RawSession(venue[1], session.comp)
    try:
        answer = again.logon(seq=1)  # we sent 1 and 2 already
        assert answer.msg_type == "5"
        assert answer.get(wire.TEXT) == "MsgSeqNum too low, expecting 3 but received 1"
    finally:
        again.close()


def test_session_messages_are_answered_as_fix_says(session):
    assert session.logon().msg_type == "A"
    session.send("1", [(wire.TEST_REQ_ID, "probe-7")])
    assert session.next("0").get(wire.TEST_REQ_ID) == "probe-7"
    session.send("Z", [])
    reject = session.next("3")
    assert (reject.get(wire.REF_MSG_TYPE), reject.get(wire.SESSION_REJECT_REASON)) == ("Z", "11")


def test_an_order_its_duplicate_and_cancels_over_the_session(session):
    assert session.logon().msg_type == "A"
    coid = f"O-raw-{uuid.uuid4().hex[:8]}:EA-1"
    new_order = [
        (wire.CL_ORD_ID, coid),
        (wire.SYMBOL, "BTC-USD"),
        (wire.SIDE, "1"),
        (wire.ORDER_QTY, "1"),
        (wire.ORD_TYPE, "2"),
        (wire.PRICE, "9000"),
        (wire.TIME_IN_FORCE, "1"),  # GTC: it rests, far below the ask
    ]
    session.send("D", new_order)
    new = session.next("8")
    assert (new.get(wire.EXEC_TYPE), new.get(wire.ORD_STATUS), new.get(wire.CL_ORD_ID)) == (
        "0",
        "0",
        coid,
    )
    assert new.get(wire.EXEC_ID) and (new.get(wire.ORDER_ID) or "").startswith("SIM-F-O-")

    session.send("D", new_order)  # the same ClOrdID again: not executed twice
    duplicate = session.next("8")
    assert (duplicate.get(wire.EXEC_TYPE), duplicate.get(wire.ORD_REJ_REASON)) == ("8", "6")

    cancel = [(wire.ORIG_CL_ORD_ID, coid), (wire.CL_ORD_ID, f"{coid}:c1")]
    session.send("F", cancel)
    canceled = session.next("8")
    assert (canceled.get(wire.EXEC_TYPE), canceled.get(wire.CL_ORD_ID)) == ("4", coid)
    session.send("F", [(wire.ORIG_CL_ORD_ID, coid), (wire.CL_ORD_ID, f"{coid}:c2")])
    too_late = session.next("9")
    assert (too_late.get(wire.CXL_REJ_REASON), too_late.get(wire.CL_ORD_ID)) == ("0", f"{coid}:c2")
    session.send("F", [(wire.ORIG_CL_ORD_ID, "O-none:EA-1"), (wire.CL_ORD_ID, "c3")])
    assert session.next("9").get(wire.CXL_REJ_REASON) == "1"

    session.send("H", [(wire.CL_ORD_ID, coid), (wire.ORD_STATUS_REQ_ID, "S1")])
    status = session.next("8")
    assert (status.get(wire.EXEC_TYPE), status.get(wire.ORD_STATUS)) == ("I", "4")
    assert (status.get(wire.ORD_STATUS_REQ_ID), status.get(wire.LAST_RPT_REQUESTED)) == ("S1", "Y")
