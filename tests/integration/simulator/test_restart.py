"""A simulator killed (-9) and started again on the same state is a venue briefly down:
same session, its orders with their fills, its books, its log and seq; no id executed twice."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from infra.bus.local_broker import free_port
from tests.integration.simulator.support import ROOT, START_TIMEOUT_S, coid, order, put_book, stream
from tests.support.platform import eventually


@contextlib.contextmanager
def simulator_on(state_dir: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The real simulator process keeping its state in `state_dir`; killed -9 at the end."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "venues.simulator",
                "--port",
                str(port),
                "--seed-books",
                "--state-dir",
                str(state_dir),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def healthy() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return httpx.get(f"{url}/control/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        eventually(healthy, START_TIMEOUT_S, what="the simulator to answer")
        yield url, process
    finally:
        process.kill()  # no graceful stop: what was kept must be on disk already
        process.wait(10)


def hello_and_replay(url: str, venue: str) -> tuple[dict, list[dict]]:
    with stream(url, venue, since=0) as s:
        hello = s.next()
        replay = s.until(lambda got: len(got) == hello["last_seq"] - hello["first_seq"] + 1)
    return hello, replay


def test_a_restarted_simulator_keeps_orders_fills_books_log_and_seq(tmp_path):
    state, log = tmp_path / "state", tmp_path / "simulator.log"
    ioc, gtc, later = coid("IOC"), coid("GTC"), coid("NEW")
    with simulator_on(state, log) as (url, _):
        with httpx.Client(base_url=url, timeout=10) as http:
            put_book(http, "SIM-A", [["9980", "1.2"], ["9985", "1"]])
            assert http.post("/venues/SIM-A/orders", json=order(ioc, "2")).status_code == 200
            gtc_body = order(gtc, "1", "9000", tif="GTC")
            assert http.post("/venues/SIM-A/orders", json=gtc_body).status_code == 200
            before_ioc = http.get(f"/venues/SIM-A/orders/{ioc}").json()
            before_book = http.get("/control/books/SIM-A/BTC-USD").json()
            before_b = http.get("/control/books/SIM-B/BTC-USD").json()
        before_hello, before_log = hello_and_replay(url, "SIM-A")
    assert before_ioc["status"] == "filled" and len(before_ioc["fills"]) == 2

    with simulator_on(state, log) as (url, _), httpx.Client(base_url=url, timeout=10) as http:
        hello, replay = hello_and_replay(url, "SIM-A")
        assert hello["session"] == before_hello["session"]
        assert hello["last_seq"] == before_hello["last_seq"]
        assert replay == before_log  # `since` replays what the last run logged
        assert http.get(f"/venues/SIM-A/orders/{ioc}").json() == before_ioc
        assert http.get("/control/books/SIM-A/BTC-USD").json() == before_book
        assert http.get("/control/books/SIM-B/BTC-USD").json() == before_b  # not re-seeded
        # The same id again is never executed twice, whatever the body says.
        again = http.post("/venues/SIM-A/orders", json=order(ioc, "0.5", "99999"))
        assert again.status_code == 409 and again.json() == before_ioc
        # The resting GTC order still works, and ids and seqs go on where they were.
        with stream(url, "SIM-A") as live:
            put_book(http, "SIM-A", [["8990", "3"]])
            [fill] = live.reports(gtc, 1)
        assert fill["exec_type"] == "trade" and fill["seq"] > hello["last_seq"]
        assert http.get(f"/venues/SIM-A/orders/{gtc}").json()["status"] == "filled"
        assert http.post("/venues/SIM-A/orders", json=order(later, "1", "9000")).status_code == 200
        fill_ids = [
            f["venue_fill_id"]
            for c in (ioc, gtc, later)
            for f in http.get(f"/venues/SIM-A/orders/{c}").json()["fills"]
        ]
        assert len(fill_ids) == len(set(fill_ids)) == 4
        assert all(hello["session"] in fid for fid in fill_ids)
