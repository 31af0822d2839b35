"""The trading and control APIs of the real simulator process, over HTTP and its stream."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.simulator.support import (
    coid,
    order,
    put_book,
    running_simulator,
    stream,
)


def test_the_seed_market_and_the_seeds_order_across_both_venues(tmp_path):
    with (
        running_simulator(tmp_path, "--seed-books") as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        books = {
            (venue, instrument): http.get(f"/control/books/{venue}/{instrument}").json()
            for venue in ("SIM-A", "SIM-B")
            for instrument in ("BTC-USD", "ETH-USD")
        }
        assert books["SIM-A", "BTC-USD"]["asks"] == [["9980", "1.2"]]
        assert books["SIM-B", "BTC-USD"]["asks"] == [["9985", "5"]]
        assert books["SIM-A", "ETH-USD"]["asks"] == [["2000", "10"]]
        assert books["SIM-B", "ETH-USD"]["asks"] == [["2001", "20"]]
        for book in books.values():
            assert book["bids"] and book["bids"][0][0] < book["asks"][0][0]

        # EA-1: 3.0 at SIM-A takes 1.2 @ 9980, the rest expires at the venue.
        ack = http.post("/venues/SIM-A/orders", json=order("O1:EA-1", "3.0", "10000"))
        assert ack.status_code == 200
        assert ack.json()["status"] == "new" and ack.json()["venue_order_id"]
        with stream(url, "SIM-A", since=0) as sim_a:
            hello = sim_a.next()
            assert hello["type"] == "hello" and hello["session"]
            reports = sim_a.reports("O1:EA-1", 3)
        assert [(r["exec_type"], r["order_status"]) for r in reports] == [
            ("new", "new"),
            ("trade", "partially_filled"),
            ("expired", "expired"),
        ]
        trade = reports[1]
        assert (trade["last_qty"], trade["last_px"], trade["fee"], trade["fee_asset"]) == (
            "1.2",
            "9980",
            "11.97600000",
            "USD",
        )
        assert (reports[2]["cum_qty"], reports[2]["leaves_qty"]) == ("1.2", "0")
        assert http.get("/control/books/SIM-A/BTC-USD").json()["asks"] == []

        # EA-2: the 1.8 left goes to SIM-B and fills @ 9985.
        http.post("/venues/SIM-B/orders", json=order("O1:EA-2", "1.8", "10000"))
        state = http.get("/venues/SIM-B/orders/O1:EA-2").json()
        assert (state["status"], state["cum_qty"], state["leaves_qty"]) == ("filled", "1.8", "0")
        assert [(f["qty"], f["price"], f["fee"]) for f in state["fills"]] == [
            ("1.8", "9985", "17.97300000")
        ]
        assert http.get("/control/books/SIM-B/BTC-USD").json()["asks"] == [["9985", "3.2"]]


def test_the_same_client_order_id_is_never_executed_twice(http, simulator):
    put_book(http, "SIM-A", [["9980", "10"]])
    first = coid()
    assert http.post("/venues/SIM-A/orders", json=order(first, "1")).status_code == 200
    with stream(simulator, "SIM-A") as live:
        again = http.post("/venues/SIM-A/orders", json=order(first, "1"))
        other_body = http.post("/venues/SIM-A/orders", json=order(first, "5"))
        marker = coid("marker")  # a later order: its report proves nothing came before it
        http.post("/venues/SIM-A/orders", json=order(marker, "1", "1"))
        seen = live.until(lambda got: any(m.get("client_order_id") == marker for m in got))
    assert again.status_code == other_body.status_code == 409
    state = again.json()
    assert (state["client_order_id"], state["status"], state["cum_qty"]) == (first, "filled", "1")
    assert len(state["fills"]) == 1
    assert other_body.json() == state
    assert not [m for m in seen if m.get("client_order_id") == first]
    assert http.get("/control/books/SIM-A/BTC-USD").json()["asks"] == [["9980", "9"]]


def test_an_order_is_found_by_its_client_order_id(http):
    put_book(http, "SIM-B", [["9985", "0.5"], ["9990", "0.7"]])
    mine = coid()
    ack = http.post("/venues/SIM-B/orders", json=order(mine, "2", "9990")).json()
    state = http.get(f"/venues/SIM-B/orders/{mine}").json()
    assert state["venue_order_id"] == ack["venue_order_id"]
    assert {k: state[k] for k in ("instrument", "side", "quantity", "price", "type")} == {
        "instrument": "BTC-USD",
        "side": "buy",
        "quantity": "2",
        "price": "9990",
        "type": "limit",
    }
    assert (state["time_in_force"], state["status"], state["cum_qty"]) == ("IOC", "expired", "1.2")
    assert [(f["qty"], f["price"]) for f in state["fills"]] == [("0.5", "9985"), ("0.7", "9990")]
    assert len({f["venue_fill_id"] for f in state["fills"]}) == 2
    assert all(f["ts"].endswith("+00:00") for f in state["fills"])
    unknown = http.get("/venues/SIM-B/orders/never-sent")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "unknown order"})
    assert http.get(f"/venues/SIM-A/orders/{mine}").status_code == 404  # another venue's order
    assert http.get(f"/venues/SIM-Z/orders/{mine}").status_code == 404


def test_a_market_sell_hits_the_bids(http):
    put_book(http, "SIM-A", [["10010", "1"]], [["9970", "0.4"], ["9960", "1"]])
    mine = coid()
    http.post("/venues/SIM-A/orders", json=order(mine, "1", None, side="sell"))
    state = http.get(f"/venues/SIM-A/orders/{mine}").json()
    assert (state["type"], state["price"], state["status"]) == ("market", None, "filled")
    assert [(f["qty"], f["price"]) for f in state["fills"]] == [("0.4", "9970"), ("0.6", "9960")]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"client_order_id": "x"}, "instrument"),
        (order("bad id!"), "client_order_id"),
        (order("ok", quantity="0"), "quantity"),
        (order("ok", quantity="1.5x"), "quantity"),
        ({**order("ok"), "price": None}, "price"),
        ({**order("ok"), "side": "short"}, "side"),
        ({**order("ok"), "time_in_force": "FOK"}, "time_in_force"),
        ({**order("ok"), "instrument": "SOL-USD"}, "does not trade"),
    ],
)
def test_a_bad_order_is_refused_with_a_reason_and_leaves_no_trace(http, body, why):
    answer = http.post("/venues/SIM-A/orders", json=body)
    assert answer.status_code == 400
    assert why in answer.json()["error"]
    if isinstance(body.get("client_order_id"), str) and body["client_order_id"] != "bad id!":
        assert http.get(f"/venues/SIM-A/orders/{body['client_order_id']}").status_code == 404


def test_non_json_bodies_and_unknown_venues_are_refused(http):
    not_json = http.post("/venues/SIM-A/orders", content=b"{nope")
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]
    assert http.post("/venues/SIM-Z/orders", json=order(coid())).status_code == 404
    too_big = http.post("/venues/SIM-A/orders", content=b" " * 70_000)
    assert too_big.status_code == 413
    for garbage in (b"\xff\xfe{", b"[" * 60_000, b"[1, 2]", b'{"quantity": NaN}'):
        refused = http.post("/venues/SIM-A/orders", content=garbage)
        assert refused.status_code == 400, (garbage[:10], refused.text)
    assert http.put("/control/faults/SIM-A", content=b"[" * 60_000).status_code == 400


def test_a_gtc_order_rests_fills_on_a_book_put_and_is_canceled(http, simulator):
    put_book(http, "SIM-A", [["9990", "1"]])
    mine = coid("GTC")
    with stream(simulator, "SIM-A") as live:
        http.post("/venues/SIM-A/orders", json=order(mine, "2", "9985", tif="GTC"))
        assert http.get(f"/venues/SIM-A/orders/{mine}").json()["status"] == "new"
        assert http.get("/control/books/SIM-A/BTC-USD").json()["asks"] == [["9990", "1"]]
        put_book(http, "SIM-A", [["9984", "0.5"], ["9999", "3"]])
        state = http.get(f"/venues/SIM-A/orders/{mine}").json()
        assert (state["status"], state["cum_qty"], state["leaves_qty"]) == (
            "partially_filled",
            "0.5",
            "1.5",
        )
        canceled = http.delete(f"/venues/SIM-A/orders/{mine}")
        assert canceled.status_code == 200
        assert (canceled.json()["status"], canceled.json()["leaves_qty"]) == ("canceled", "0")
        reports = live.reports(mine, 3)
    assert [(r["exec_type"], r["cum_qty"], r["leaves_qty"]) for r in reports] == [
        ("new", "0", "2"),
        ("trade", "0.5", "1.5"),
        ("canceled", "0.5", "0"),
    ]
    again = http.delete(f"/venues/SIM-A/orders/{mine}")
    assert (again.status_code, again.json()["status"]) == (409, "canceled")
    assert http.delete("/venues/SIM-A/orders/never-sent").status_code == 404
    put_book(http, "SIM-A", [["9000", "5"]])
    assert http.get(f"/venues/SIM-A/orders/{mine}").json()["cum_qty"] == "0.5"


def test_canceling_an_ended_ioc_order_answers_409_with_its_state(http):
    put_book(http, "SIM-A", [["9980", "1"]])
    mine = coid()
    http.post("/venues/SIM-A/orders", json=order(mine, "1"))
    answer = http.delete(f"/venues/SIM-A/orders/{mine}")
    assert (answer.status_code, answer.json()["status"]) == (409, "filled")


def test_books_are_put_and_read_best_first_and_bad_ones_refused(http):
    put = http.put(
        "/control/books/SIM-B/ETH-USD",
        json={"asks": [["2002", "1"], ["2001.50", "2"]], "bids": [["1990", "3"], ["1995", "4"]]},
    )
    expected = {
        "venue": "SIM-B",
        "instrument": "ETH-USD",
        "asks": [["2001.5", "2"], ["2002", "1"]],
        "bids": [["1995", "4"], ["1990", "3"]],
    }
    assert put.json() == expected
    assert http.get("/control/books/SIM-B/ETH-USD").json() == expected
    for body, why in [
        ({"asks": [["-1", "1"]]}, "positive"),
        ({"asks": [["abc", "1"]]}, "decimal"),
        ({"asks": [["10", "1"]], "bids": [["11", "1"]]}, "crossed"),
        ({"asks": [["10"]]}, "pair"),
        ({"ask": []}, "unknown fields"),
    ]:
        refused = http.put("/control/books/SIM-B/ETH-USD", json=body)
        assert refused.status_code == 400 and why in refused.json()["error"], refused.text
    unknown_venue = http.put("/control/books/SIM-Z/BTC-USD", json={"asks": []})
    assert unknown_venue.status_code == 400 and "unknown venue" in unknown_venue.json()["error"]
    assert http.get("/control/books/SIM-Z/BTC-USD").status_code == 400
    assert http.get("/control/books/SIM-A/btc").status_code == 400
    assert http.get("/control/books/SIM-B/ETH-USD").json() == expected  # refusals changed nothing


def test_faults_are_put_read_back_and_cleared(http):
    full = {
        "latency_ms": 5,
        "reject_rate": "0.25",
        "drop_ack_rate": "0",
        "duplicate_report_rate": "0.5",
        "reorder_reports": True,
        "down": False,
        "drop_report_rate": "0",
    }
    assert http.put("/control/faults/SIM-B", json={**full, "reject_rate": 0.25}).json() == full
    assert http.get("/control/faults/SIM-B").json() == full
    assert http.get("/control/faults/SIM-A").json()["reject_rate"] == "0"  # per venue
    partial = http.put("/control/faults/SIM-B", json={"latency_ms": 7}).json()
    assert partial == {**full, "latency_ms": 7, "reject_rate": "0", "reorder_reports": False} | {
        "duplicate_report_rate": "0"
    }
    cleared = http.put("/control/faults/SIM-B", json={}).json()
    assert cleared == {
        **full,
        "latency_ms": 0,
        "reject_rate": "0",
        "duplicate_report_rate": "0",
    } | {"reorder_reports": False}
    for body in ({"reject_rate": 2}, {"down": "yes"}, {"latency_ms": -1}, {"typo": 1}):
        assert http.put("/control/faults/SIM-B", json=body).status_code == 400
    assert http.put("/control/faults/SIM-Z", json={}).status_code == 400
    assert http.get("/control/health").json() == {"status": "ok"}
