"""The FIX 4.4 session between the platform's adapter and SIM-F: the real simulator process,
real TCP on 127.0.0.1, the real store keeping the session's sequence numbers.

Logon, an order filled with ExecID and LastQty/LastPx, reconciliation's OrderStatusRequest,
a gap in our own numbers filled, and a worker that died mid-session: its successor logs on
with the stored numbers and asks for the resend of what was sent while it was away.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx
import msgspec
import pytest

from contracts.venue import ExecutionReportV1, PlaceAttemptV1
from infra.bus.local_broker import free_port
from infra.store.api import Database, run
from tests.integration.simulator.support import ROOT, running_simulator
from tests.support.platform import eventually
from trading.repository import Repository
from venues.adapters.fix.adapter import FixAdapter
from venues.adapters.fix.session import SEQ, stored_seqs
from venues.adapters.fix.wiring import make_fix_adapter


def as_sent(report: ExecutionReportV1) -> dict[str, Any]:
    """A report as its fields, and the envelope's id it goes out with."""
    return {**msgspec.to_builtins(report), "message_id": report.message_id}


@dataclass
class Venue:
    url: str
    fix_port: int

    def sessions(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}/control/fix/SIM-F/sessions", timeout=5)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def put_book(self, asks: list[list[str]], bids: list[list[str]]) -> None:
        httpx.put(
            f"{self.url}/control/books/SIM-F/BTC-USD", json={"asks": asks, "bids": bids}, timeout=5
        ).raise_for_status()


@dataclass
class Worker:
    """One venue worker's session: the adapter, its reader thread, what it sent to Kafka."""

    adapter: FixAdapter
    thread: threading.Thread
    stop: threading.Event
    reports: list[dict[str, Any]] = field(default_factory=list)

    def reports_of(self, coid: str) -> list[dict[str, Any]]:
        order_id, _, attempt = coid.rpartition(":")
        return [
            r for r in list(self.reports) if (r["order_id"], r["attempt_id"]) == (order_id, attempt)
        ]

    def die(self) -> None:
        """kill -9 of the worker: the link drops, no Logout, nothing more is read."""
        self.adapter.session.drop()
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def venue(tmp_path) -> Iterator[Venue]:
    port = free_port()
    with running_simulator(tmp_path, "--seed-books", "--fix-port", str(port)) as url:
        venue = Venue(url, port)
        venue.put_book(asks=[["9990", "5"]], bids=[["9960", "5"]])  # before any session
        yield venue


@pytest.fixture
def comp() -> str:
    return f"TEST-{uuid.uuid4().hex[:8]}"


def start_worker(db: Database, venue: Venue, comp: str) -> Worker:
    reports: list[dict[str, Any]] = []
    adapter = make_fix_adapter(
        db,
        "SIM-F",
        ("127.0.0.1", venue.fix_port),
        comp,
        lambda report: reports.append(as_sent(report)),
        lambda: None,
        lambda r: None,
    )
    stop = threading.Event()
    thread = threading.Thread(target=adapter.session.run, args=(stop,), daemon=True)
    thread.start()
    eventually(adapter.session.logged_on.is_set, 15, what="the FIX logon")
    return Worker(adapter, thread, stop, reports)


@pytest.fixture
def worker(seeded_db, venue, comp) -> Iterator[Worker]:
    running = start_worker(seeded_db, venue, comp)
    yield running
    running.stop.set()
    running.thread.join(10)


def place(
    worker: Worker, quantity: str, price: str, tif: Literal["IOC", "GTC", "DAY"] = "IOC"
) -> tuple[str, str]:
    order_id, attempt_id = f"O-fix-{uuid.uuid4().hex[:10]}", "EA-1"
    coid = f"{order_id}:{attempt_id}"
    command = PlaceAttemptV1(
        order_id, attempt_id, coid, "SIM-F", "BTC-USD", "buy", quantity, "limit", price, tif
    )
    return coid, worker.adapter.place(command)


def in_step(db: Database, venue: Venue, comp: str) -> bool:
    """Both sides agree on both numbers: what we send next is what it expects, and back."""
    seqs = run(db, lambda tr: stored_seqs(tr, "SIM-F", comp))
    session = venue.sessions().get(comp)
    return bool(seqs and session and (session["next_in"], session["next_out"]) == seqs)


def test_logon_quotes_and_an_order_filled_with_exec_ids_and_last_qty_px(
    seeded_db, venue, comp, worker
):
    quote = eventually(
        lambda: run(seeded_db, lambda tr: Repository(tr).quote("SIM-F", "BTC-USD")),
        what="SIM-F's book as a quote, from its market data",
    )
    assert (quote.best_ask, quote.ask_size, quote.best_bid) == (Decimal(9990), 5, Decimal(9960))

    coid, outcome = place(worker, "2", "10000")
    assert outcome == "sent"
    reports = eventually(
        lambda: (r := worker.reports_of(coid)) and r[-1]["exec_type"] == "trade" and r,
        what="the fill's report",
    )
    assert [r["exec_type"] for r in reports] == ["new", "trade"]
    trade = reports[-1]
    assert (trade["last_quantity"], trade["last_price"], trade["cum_quantity"]) == (
        "2",
        "9990",
        "2",
    )
    assert trade["fee"] == "19.98" and trade["fee_asset"] == "USD"
    assert trade["venue_fill_id"].startswith("SIM-F-F-")
    assert len({r["exec_id"] for r in reports}) == 2
    assert all(r["message_id"] == f"SIM-F:{r['exec_id']}" for r in reports)

    # Reconciliation's question, over the session: the order with every fill.
    answer = worker.adapter.query(coid)
    assert answer.status == 200
    assert answer.body["status"] == "filled"
    assert [f["venue_fill_id"] for f in answer.body["fills"]] == [trade["venue_fill_id"]]
    assert worker.adapter.query(f"O-never-{uuid.uuid4().hex[:6]}:EA-1").status == 404
    eventually(lambda: in_step(seeded_db, venue, comp), what="both sides' numbers in step")


def test_a_gap_in_our_numbers_is_filled_when_the_venue_asks(seeded_db, venue, comp, worker):
    eventually(lambda: in_step(seeded_db, venue, comp), what="the session in step")
    worker.die()
    # Five numbers taken and never written (a crash between the two): the venue sees a gap.
    out, _ = run(seeded_db, lambda tr: stored_seqs(tr, "SIM-F", comp))
    run(seeded_db, lambda tr: tr.set(SEQ.pack(("SIM-F", comp, "out")), str(out + 5).encode()))

    successor = start_worker(seeded_db, venue, comp)
    try:
        eventually(lambda: in_step(seeded_db, venue, comp), what="the gap filled")
        assert venue.sessions()[comp]["next_in"] >= out + 5
        coid, outcome = place(successor, "1", "10000")
        assert outcome == "sent"  # the session goes on after the gap fill
    finally:
        successor.stop.set()
        successor.thread.join(10)


def test_a_worker_that_died_resumes_its_session_and_gets_what_it_missed_resent(
    seeded_db, venue, comp, worker
):
    coid, outcome = place(worker, "1", "9980", tif="GTC")  # below the ask: it rests
    assert outcome == "sent"
    eventually(lambda: [r["exec_type"] for r in worker.reports_of(coid)] == ["new"], what="new")
    _, expected_before = run(seeded_db, lambda tr: stored_seqs(tr, "SIM-F", comp))
    worker.die()
    eventually(lambda: not venue.sessions()[comp]["connected"], what="the venue to see it gone")

    venue.put_book(asks=[["9980", "3"]], bids=[["9960", "5"]])  # the resting order fills now
    assert venue.sessions()[comp]["next_out"] > expected_before  # sent while we were away

    successor = start_worker(seeded_db, venue, comp)
    try:
        [trade] = eventually(
            lambda: [r for r in successor.reports_of(coid) if r["exec_type"] == "trade"],
            what="the missed fill, resent",
        )
        assert "43=Y" in trade["raw"]["fix"]  # PossDupFlag: it came from the venue's resend
        assert (trade["last_quantity"], trade["last_price"]) == ("1", "9980")
        eventually(lambda: in_step(seeded_db, venue, comp), what="both sides' numbers in step")
        _, expected_after = run(seeded_db, lambda tr: stored_seqs(tr, "SIM-F", comp))
        assert expected_after > expected_before  # resumed, never reset to 1
    finally:
        successor.stop.set()
        successor.thread.join(10)


def test_the_venue_drops_the_link_and_the_session_comes_back_with_its_numbers(
    seeded_db, venue, comp, worker
):
    eventually(lambda: in_step(seeded_db, venue, comp), what="the session in step")
    out_before, _ = run(seeded_db, lambda tr: stored_seqs(tr, "SIM-F", comp))
    httpx.post(f"{venue.url}/control/fix/SIM-F/sessions/{comp}/drop", timeout=5).raise_for_status()
    eventually(
        lambda: (
            venue.sessions()[comp]["connected"]
            and worker.adapter.session.logged_on.is_set()
            and run(seeded_db, lambda tr: stored_seqs(tr, "SIM-F", comp))[0] > out_before
        ),
        15,
        what="the session logged on again",
    )
    coid, outcome = place(worker, "1", "10000")
    assert outcome == "sent"
    eventually(lambda: in_step(seeded_db, venue, comp), what="both sides' numbers in step")


@contextlib.contextmanager
def simulator_process(state_dir: Path, port: int, fix_port: int) -> Iterator[Venue]:
    """The simulator keeping its state in `state_dir`; killed -9 at the end (no Logout)."""
    log = state_dir.parent / f"simulator-{port}.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "venues.simulator",
                "--port",
                str(port),
                "--fix-port",
                str(fix_port),
                "--seed-books",
                "--state-dir",
                str(state_dir),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        venue = Venue(f"http://127.0.0.1:{port}", fix_port)

        def healthy() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return httpx.get(f"{venue.url}/control/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        eventually(healthy, 20, what="the simulator to answer")
        yield venue
    finally:
        process.kill()
        process.wait(10)


def test_a_simulator_killed_mid_session_resumes_it_from_its_state(seeded_db, tmp_path, comp):
    state, port, fix_port = tmp_path / "state", free_port(), free_port()
    with simulator_process(state, port, fix_port) as venue:
        worker = start_worker(seeded_db, venue, comp)
        coid, outcome = place(worker, "1", "9980", tif="GTC")
        assert outcome == "sent"
        eventually(lambda: in_step(seeded_db, venue, comp), what="the session in step")
        kept = venue.sessions()[comp]
    try:
        eventually(lambda: not worker.adapter.session.logged_on.is_set(), what="the link gone")
        with simulator_process(state, port, fix_port) as venue:
            eventually(worker.adapter.session.logged_on.is_set, 20, what="the logon again")
            again = venue.sessions()[comp]
            assert again["next_out"] > kept["next_out"]  # went on from its state, no reset
            venue.put_book(asks=[["9980", "3"]], bids=[["9960", "5"]])
            eventually(
                lambda: any(r["exec_type"] == "trade" for r in worker.reports_of(coid)),
                what="the resting order's fill after the restart",
            )
            eventually(lambda: in_step(seeded_db, venue, comp), what="both sides in step")
    finally:
        worker.stop.set()
        worker.thread.join(10)
