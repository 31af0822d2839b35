"""Each injected fault, as an adapter meets it over the network."""

from __future__ import annotations

import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.simulator.support import coid, order, put_book, running_simulator, stream


def test_duplicate_reports_arrive_twice_with_the_same_exec_id_and_seq(http, simulator):
    put_book(http, "SIM-A", [["9980", "1.2"]])
    http.put("/control/faults/SIM-A", json={"duplicate_report_rate": 1})
    mine = coid("DUP")
    with stream(simulator, "SIM-A") as live:
        http.post("/venues/SIM-A/orders", json=order(mine, "3.0"))
        reports = live.reports(mine, 6)
    assert [r["exec_type"] for r in reports] == [
        "new",
        "new",
        "trade",
        "trade",
        "expired",
        "expired",
    ]
    for first, second in zip(reports[::2], reports[1::2], strict=True):
        assert first == second  # the same message: same exec_id, same seq
    assert len({r["exec_id"] for r in reports}) == 3


def test_reordered_reports_come_last_first(http, simulator):
    put_book(http, "SIM-A", [["9980", "1.2"]])
    http.put("/control/faults/SIM-A", json={"reorder_reports": True})
    mine = coid("REORDER")
    with stream(simulator, "SIM-A") as live:
        http.post("/venues/SIM-A/orders", json=order(mine, "3.0"))
        reports = live.reports(mine, 3)
    assert [r["exec_type"] for r in reports] == ["expired", "trade", "new"]
    assert reports[0]["seq"] < reports[1]["seq"] < reports[2]["seq"]  # seq still rises


def test_a_dropped_ack_is_a_connection_error_but_the_order_filled(http, simulator):
    put_book(http, "SIM-B", [["9985", "5"]])
    http.put("/control/faults/SIM-B", json={"drop_ack_rate": 1})
    mine = coid("DROP")
    with stream(simulator, "SIM-B") as live:
        with pytest.raises(httpx.TransportError):
            http.post("/venues/SIM-B/orders", json=order(mine, "1.8"))
        reports = live.reports(mine, 2)
    assert [r["order_status"] for r in reports] == ["new", "filled"]
    state = http.get(f"/venues/SIM-B/orders/{mine}")  # how an adapter resolves it
    assert (state.status_code, state.json()["status"], state.json()["cum_qty"]) == (
        200,
        "filled",
        "1.8",
    )
    again = http.post("/venues/SIM-B/orders", json=order(mine, "1.8"))  # a blind resend is safe
    assert again.status_code == 409 and len(again.json()["fills"]) == 1


def test_rejected_orders_are_acked_rejected_with_a_reason_and_reported(http, simulator):
    http.put("/control/faults/SIM-A", json={"reject_rate": 1})
    mine = coid("REJ")
    with stream(simulator, "SIM-A") as live:
        ack = http.post("/venues/SIM-A/orders", json=order(mine, "1"))
        (report,) = live.reports(mine, 1)
    assert ack.status_code == 200
    assert ack.json()["status"] == "rejected" and ack.json()["reason"]
    assert (report["exec_type"], report["order_status"], report["reason"]) == (
        "rejected",
        "rejected",
        ack.json()["reason"],
    )
    state = http.get(f"/venues/SIM-A/orders/{mine}").json()
    assert (state["status"], state["cum_qty"], state["fills"]) == ("rejected", "0", [])


def test_down_answers_503_closes_streams_refuses_new_ones_and_recovers(http, simulator):
    put_book(http, "SIM-B", [["9985", "5"]])
    mine = coid("DOWN")
    with stream(simulator, "SIM-B") as live:
        http.put("/control/faults/SIM-B", json={"down": True}).raise_for_status()
        with pytest.raises(ConnectionClosed):
            live.until(lambda got: False)
    assert http.post("/venues/SIM-B/orders", json=order(mine, "1")).status_code == 503
    assert http.get(f"/venues/SIM-B/orders/{mine}").status_code == 503
    assert http.delete(f"/venues/SIM-B/orders/{mine}").status_code == 503
    with pytest.raises(InvalidStatus) as refused, stream(simulator, "SIM-B"):
        pass
    assert refused.value.response.status_code == 503
    assert http.get("/control/books/SIM-B/BTC-USD").status_code == 200  # control keeps working
    assert http.post("/venues/SIM-A/orders", json=order(coid(), "1", "1")).status_code == 200

    http.put("/control/faults/SIM-B", json={}).raise_for_status()
    with stream(simulator, "SIM-B") as live:
        assert http.post("/venues/SIM-B/orders", json=order(mine, "1")).status_code == 200
        assert [r["exec_type"] for r in live.reports(mine, 2)] == ["new", "trade"]


def test_latency_delays_answers_and_stream_messages_in_order(http, simulator):
    put_book(http, "SIM-A", [["9980", "5"]])
    latency_s = 0.3
    http.put("/control/faults/SIM-A", json={"latency_ms": int(latency_s * 1000)})
    mine = coid("SLOW")
    with stream(simulator, "SIM-A") as live:
        started = time.monotonic()
        ack = http.post("/venues/SIM-A/orders", json=order(mine, "1"))
        answered = time.monotonic() - started
        reports = live.reports(mine, 2)
        reported = time.monotonic() - started
    assert ack.status_code == 200
    assert answered >= latency_s
    assert reported >= latency_s
    assert [r["exec_type"] for r in reports] == ["new", "trade"]


def test_the_control_api_is_never_delayed(http):
    # At the longest latency a delayed answer would come after the client's 10 s timeout; the
    # control API answers at once, so these calls return (no clock read, no speed asserted).
    http.put("/control/faults/SIM-A", json={"latency_ms": 60_000}).raise_for_status()
    assert http.get("/control/health").status_code == 200
    assert http.put("/control/faults/SIM-A", json={}).status_code == 200


def test_the_same_seed_rolls_the_same_faults(tmp_path):
    def statuses() -> list[str]:
        with (
            running_simulator(tmp_path, "--seed", "3") as url,
            httpx.Client(base_url=url, timeout=10) as http,
        ):
            http.put("/control/faults/SIM-A", json={"reject_rate": 0.5}).raise_for_status()
            return [
                http.post("/venues/SIM-A/orders", json=order(f"S{n}:EA-1", "1")).json()["status"]
                for n in range(16)
            ]

    first = statuses()
    assert first == statuses()
    assert "new" in first and "rejected" in first


def test_a_dropped_report_is_never_streamed_but_the_order_is_at_the_venue(http, simulator):
    put_book(http, "SIM-A", [["9980", "5"]])
    lost, seen = coid("DROP"), coid("KEEP")
    with stream(simulator, "SIM-A") as live:
        http.put("/control/faults/SIM-A", json={"drop_report_rate": 1}).raise_for_status()
        assert http.post("/venues/SIM-A/orders", json=order(lost, "1")).status_code == 200
        http.put("/control/faults/SIM-A", json={}).raise_for_status()
        assert http.post("/venues/SIM-A/orders", json=order(seen, "1")).status_code == 200
        reports = live.reports(seen, 2)
    assert all(m.get("client_order_id") != lost for m in live.seen)
    assert [r["exec_type"] for r in reports] == ["new", "trade"]
    kept = http.get(f"/venues/SIM-A/orders/{lost}").json()
    assert kept["status"] == "filled" and len(kept["fills"]) == 1
