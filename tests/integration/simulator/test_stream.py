"""The stream: replay after `since`, snapshots, live messages, one rising seq per venue."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from tests.integration.simulator.support import coid, order, put_book, stream


def test_a_reconnect_with_since_gets_exactly_what_came_after_then_snapshots_then_live(
    http, simulator
):
    put_book(http, "SIM-A", [["9980", "10"]])
    first, second, third = coid("R1"), coid("R2"), coid("R3")
    with stream(simulator, "SIM-A") as live:
        http.post("/venues/SIM-A/orders", json=order(first, "1"))
        http.post("/venues/SIM-A/orders", json=order(second, "2"))
        seen = live.until(lambda got: len([m for m in got if m.get("type") == "book"]) == 2)
    cursor = seen[2]["seq"]  # first's book update: a client handled everything up to here
    assert seen[2]["type"] == "book" and seen[0]["client_order_id"] == first
    after = [m for m in seen if m["seq"] > cursor]

    with stream(simulator, "SIM-A", since=cursor) as again:
        hello = again.next()
        assert hello["type"] == "hello"
        assert hello["first_seq"] <= cursor < hello["last_seq"]
        replayed = again.until(lambda got: len(got) == hello["last_seq"] - cursor)
        assert replayed == after  # the gap, in order, nothing before it
        assert [m["client_order_id"] for m in replayed if m["type"] != "book"] == [second] * 2
        snapshots = again.until(lambda got: len(got) == len(hello["instruments"]))
        assert [(m["type"], m["seq"], m["instrument"]) for m in snapshots] == [
            ("book", 0, "BTC-USD"),
            ("book", 0, "ETH-USD"),
        ]
        assert snapshots[0]["asks"] == [["9980", "7"]]
        http.post("/venues/SIM-A/orders", json=order(third, "1"))
        live_reports = again.reports(third, 2)
    assert live_reports[0]["seq"] == hello["last_seq"] + 1  # live follows on without a gap
    assert [r["exec_type"] for r in live_reports] == ["new", "trade"]


def test_every_message_carries_one_rising_seq_and_book_updates_follow_changes(http, simulator):
    with stream(simulator, "SIM-B") as live:
        put_book(http, "SIM-B", [["9985", "1"]], [["9900", "1"]])
        mine = coid()
        http.post("/venues/SIM-B/orders", json=order(mine, "0.4"))
        seen = live.until(lambda got: len(got) == 4)
    assert [m["type"] for m in seen] == ["book", "execution_report", "execution_report", "book"]
    assert (seen[0]["asks"], seen[0]["bids"]) == ([["9985", "1"]], [["9900", "1"]])
    assert seen[3]["asks"] == [["9985", "0.6"]]
    assert [m["seq"] for m in seen] == list(range(seen[0]["seq"], seen[0]["seq"] + 4))
    report = seen[2]
    assert set(report) == {
        "type",
        "seq",
        "venue",
        "exec_id",
        "client_order_id",
        "venue_order_id",
        "instrument",
        "side",
        "exec_type",
        "order_status",
        "last_qty",
        "last_px",
        "cum_qty",
        "leaves_qty",
        "fee",
        "fee_asset",
        "venue_fill_id",
        "reason",
        "transact_time",
    }
    assert report["venue_fill_id"] and report["reason"] is None
    assert report["transact_time"].endswith("+00:00")
    assert seen[1]["venue_fill_id"] is None


def test_a_stream_from_zero_replays_the_whole_log(http, simulator):
    put_book(http, "SIM-A", [["9980", "1"]])
    with stream(simulator, "SIM-A", since=0) as full:
        hello = full.next()
        replayed = full.until(lambda got: len(got) == hello["last_seq"])
    assert [m["seq"] for m in replayed] == list(range(1, hello["last_seq"] + 1))


@pytest.mark.parametrize("since", ["-1", "x", "1.5"])
def test_a_bad_since_is_refused(simulator, since):
    with pytest.raises(InvalidStatus) as refused:
        with stream(simulator, "SIM-A", since=since):
            pass
    assert refused.value.response.status_code == 400
