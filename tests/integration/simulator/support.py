"""Helpers for the simulator's integration tests: the real process, orders, the stream."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from infra.bus.local_broker import free_port
from tests.support.platform import eventually
from tests.support.processes import stop

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 20
MESSAGE_TIMEOUT_S = 5
VENUES = ("SIM-A", "SIM-B")


@contextlib.contextmanager
def running_simulator(log_dir: Path, *args: str) -> Iterator[str]:
    """`python -m venues.simulator --port <free> *args`, up when /control/health answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = log_dir / f"simulator-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "venues.simulator", "--port", str(port), *args],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:

            def healthy() -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"the simulator exited: {log_path.read_text()}")
                try:
                    return httpx.get(f"{url}/control/health", timeout=1).json() == {"status": "ok"}
                except httpx.TransportError:
                    return False

            eventually(healthy, START_TIMEOUT_S, what="the simulator to answer /control/health")
            yield url
        finally:
            stop(process)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()


def coid(tag: str = "O") -> str:
    """A client order id of the platform's form, new each call."""
    return f"{tag}-{uuid.uuid4().hex[:12]}:EA-1"


def order(
    client_order_id: str,
    quantity: str = "3.0",
    price: str | None = "10000",
    *,
    side: str = "buy",
    tif: str = "IOC",
    instrument: str = "BTC-USD",
) -> dict[str, Any]:
    return {
        "client_order_id": client_order_id,
        "instrument": instrument,
        "side": side,
        "quantity": quantity,
        "type": "market" if price is None else "limit",
        "price": price,
        "time_in_force": tif,
    }


def put_book(http: httpx.Client, venue: str, asks: list, bids: list | None = None) -> None:
    answer = http.put(f"/control/books/{venue}/BTC-USD", json={"asks": asks, "bids": bids or []})
    assert answer.status_code == 200, answer.text


class Stream:
    """A venue's websocket stream, read with deadlines (never a blind sleep)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    def next(self, timeout_s: float = MESSAGE_TIMEOUT_S) -> dict[str, Any]:
        message = json.loads(self.ws.recv(timeout=timeout_s))
        self.seen.append(message)
        return message

    def until(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float = MESSAGE_TIMEOUT_S
    ) -> list[dict[str, Any]]:
        """Read until `done(messages read so far)`; fail after `timeout_s`."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout_s
        while not done(got):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"not within {timeout_s} s; read: {got}")
            got.append(self.next(left))
        return got

    def reports(self, client_order_id: str, count: int) -> list[dict[str, Any]]:
        """The next `count` execution reports of one order (other messages are skipped)."""
        mine: list[dict[str, Any]] = []

        def enough(got: list[dict[str, Any]]) -> bool:
            if got and got[-1].get("client_order_id") == client_order_id:
                mine.append(got[-1])
            return len(mine) >= count

        self.until(enough)
        return mine


@contextlib.contextmanager
def stream(simulator: str, venue: str, since: int | None = None) -> Iterator[Stream]:
    """Open the stream. With no `since`, only live messages: hello and the snapshots are read."""
    url = f"{simulator.replace('http://', 'ws://')}/venues/{venue}/stream"
    live = since is None
    with connect(f"{url}?since={10**15 if live else since}", open_timeout=5) as ws:
        opened = Stream(ws)
        if live:
            hello = opened.next()
            assert hello["type"] == "hello"
            snapshots = opened.until(lambda got: len(got) == len(hello["instruments"]))
            assert all(m["type"] == "book" and m["snapshot"] for m in snapshots)
        yield opened
