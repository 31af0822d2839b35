"""The venue simulator as a real process, over HTTP and its websocket stream."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from infra.bus.local_broker import free_port
from tests.support.platform import eventually

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def simulator():
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "venues.simulator",
            "--port",
            str(port),
            "--seed-books",
            "--seed",
            "1",
        ],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/control/health").status_code == 200
        except httpx.HTTPError:
            return False

    eventually(healthy, 15, what="the simulator to answer")
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def http(simulator):
    with httpx.Client(base_url=simulator, timeout=10) as client:
        for venue in ("SIM-A", "SIM-B"):
            client.put(f"/control/faults/{venue}", json={})
        client.put("/control/books/SIM-A/BTC-USD", json={"asks": [["9980", "1.2"]], "bids": []})
        yield client


def order(coid, quantity="3.0", price="10000", tif="IOC"):
    return {
        "client_order_id": coid,
        "instrument": "BTC-USD",
        "side": "buy",
        "quantity": quantity,
        "type": "limit",
        "price": price,
        "time_in_force": tif,
    }


def reports(simulator, venue, since, count):
    got = []
    with connect(f"{simulator.replace('http', 'ws')}/venues/{venue}/stream?since={since}") as ws:
        while len(got) < count:
            message = json.loads(ws.recv(timeout=5))
            if message["type"] == "execution_report":
                got.append(message)
    return got


def last_seq(simulator, venue):
    with connect(f"{simulator.replace('http', 'ws')}/venues/{venue}/stream?since=999999999") as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello"
        book = json.loads(ws.recv(timeout=5))
    return book, hello


def test_seed_ioc_fills_1_2_and_expires_the_rest_and_is_never_executed_twice(http, simulator):
    answer = http.post("/venues/SIM-A/orders", json=order("O1:EA-1"))
    assert answer.status_code == 200
    assert answer.json()["status"] == "new"
    state = http.get("/venues/SIM-A/orders/O1:EA-1").json()
    assert (state["status"], state["cum_qty"], state["leaves_qty"]) == ("expired", "1.2", "0")
    assert [(f["qty"], f["price"]) for f in state["fills"]] == [("1.2", "9980")]
    again = http.post("/venues/SIM-A/orders", json=order("O1:EA-1"))
    assert again.status_code == 409
    assert again.json()["cum_qty"] == "1.2"
    assert http.get("/control/books/SIM-A/BTC-USD").json()["asks"] == []
    stream = [r for r in reports(simulator, "SIM-A", 0, 3) if r["client_order_id"] == "O1:EA-1"]
    assert [r["exec_type"] for r in stream] == ["new", "trade", "expired"]
    assert stream[1]["venue_fill_id"] and stream[1]["fee"] == "11.97600000"
    assert stream[0]["seq"] < stream[1]["seq"] < stream[2]["seq"]


def test_unknown_orders_and_bad_bodies_are_refused(http):
    assert http.get("/venues/SIM-A/orders/nope").status_code == 404
    assert http.post("/venues/SIM-A/orders", json={"client_order_id": "x"}).status_code == 400
    assert http.put("/control/books/SIM-A/BTC-USD", json={"asks": [["-1", "1"]]}).status_code == 400
    assert http.put("/control/faults/SIM-A", json={"reject_rate": 2}).status_code == 400


def test_a_dropped_ack_leaves_the_order_in_and_queryable(http):
    http.put("/control/faults/SIM-A", json={"drop_ack_rate": 1.0})
    with pytest.raises(httpx.HTTPError):
        http.post("/venues/SIM-A/orders", json=order("O2:EA-1", quantity="1"))
    assert http.get("/venues/SIM-A/orders/O2:EA-1").json()["status"] == "filled"


def live_reports(simulator, venue, action, coid, count):
    """Reports for `coid` on a live stream opened before `action` runs."""
    got = []
    with connect(f"{simulator.replace('http', 'ws')}/venues/{venue}/stream?since=999999999") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        action()
        while len(got) < count:
            message = json.loads(ws.recv(timeout=5))
            if message.get("client_order_id") == coid:
                got.append(message)
    return got


def test_rejects_duplicates_and_reorders(http, simulator):
    http.put("/control/books/SIM-A/BTC-USD", json={"asks": [["9980", "10"]]})
    http.put("/control/faults/SIM-A", json={"reject_rate": 1.0})
    assert (
        http.post("/venues/SIM-A/orders", json=order("O3:EA-1", "1")).json()["status"] == "rejected"
    )
    http.put("/control/faults/SIM-A", json={"duplicate_report_rate": 1.0})
    twice = live_reports(
        simulator,
        "SIM-A",
        lambda: http.post("/venues/SIM-A/orders", json=order("O4:EA-1", "1")),
        "O4:EA-1",
        4,
    )
    assert [r["exec_type"] for r in twice] == ["new", "new", "trade", "trade"]
    assert twice[0]["exec_id"] == twice[1]["exec_id"]
    http.put("/control/faults/SIM-A", json={"reorder_reports": True})
    reordered = live_reports(
        simulator,
        "SIM-A",
        lambda: http.post("/venues/SIM-A/orders", json=order("O5:EA-1", "1")),
        "O5:EA-1",
        2,
    )
    assert [r["exec_type"] for r in reordered] == ["trade", "new"]  # held, then sent reversed


def test_down_means_503_and_closed_streams_until_cleared(http, simulator):
    http.put("/control/faults/SIM-B", json={"down": True})
    assert http.post("/venues/SIM-B/orders", json=order("O6:EA-1")).status_code == 503
    http.put("/control/faults/SIM-B", json={})
    assert http.post("/venues/SIM-B/orders", json=order("O6:EA-1", "1")).status_code == 200


def test_a_gtc_order_rests_fills_on_a_book_update_and_can_be_canceled(http):
    http.put("/control/books/SIM-A/BTC-USD", json={"asks": [["9990", "1"]]})
    http.post("/venues/SIM-A/orders", json=order("O7:EA-1", "2", "9985", "GTC"))
    assert http.get("/venues/SIM-A/orders/O7:EA-1").json()["status"] == "new"
    http.put("/control/books/SIM-A/BTC-USD", json={"asks": [["9984", "0.5"]]})
    assert http.get("/venues/SIM-A/orders/O7:EA-1").json()["cum_qty"] == "0.5"
    assert http.delete("/venues/SIM-A/orders/O7:EA-1").json()["status"] == "canceled"
    assert http.delete("/venues/SIM-A/orders/O7:EA-1").status_code == 409
