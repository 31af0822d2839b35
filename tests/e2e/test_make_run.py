"""The end-to-end proof: the platform as `make run` starts it, the seed's scenario over REST
and the websocket, the invariants, and a clean stop that leaves no process behind."""

import json
from decimal import Decimal

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.platform import SEED_ORDER, eventually, pid_alive, start_platform

pytestmark = pytest.mark.slow


def test_make_run_serves_the_seed_scenario_and_stops_cleanly(tmp_path):
    platform = start_platform(tmp_path / "platform")
    try:
        pids = platform.pids()
        assert set(pids) >= {
            "kafka",
            "simulator",
            "web",
            "venue-SIM-A",
            "venue-SIM-B",
            "publisher",
            "ingest",
        }
        assert "ready in" in (platform.var_dir / "run_platform.log").read_text()
        api = httpx.Client(
            base_url=platform.url, headers={"Authorization": f"Token {platform.token}"}, timeout=10
        )
        # SIM-B answers 1 s late, so the trader sees 1.2 / 3 before 3 / 3.
        httpx.put(
            f"{platform.simulator_url}/control/faults/SIM-B", json={"latency_ms": 1000}
        ).raise_for_status()
        ws = connect(
            f"ws://127.0.0.1:{platform.web_port}/ws/v1/stream?token={platform.token}",
            open_timeout=10,
        )
        with ws:
            ws.send(json.dumps({"action": "subscribe", "orders": "*"}))
            assert json.loads(ws.recv(timeout=10)) == {"type": "subscribed"}
            answer = api.post("/api/v1/orders", json=SEED_ORDER)
            assert answer.status_code == 201, answer.text
            order = answer.json()
            assert order["seq"] == 1
            deltas = []
            while not deltas or deltas[-1]["state"] != "filled":
                message = json.loads(ws.recv(timeout=30))
                if message.get("order_id") == order["order_id"]:
                    deltas.append(message)
        assert [d["seq"] for d in deltas] == list(range(1, 1 + len(deltas)))  # every seq, in order
        progress = [(Decimal(d["filled_quantity"]), Decimal(d["quantity"])) for d in deltas]
        assert (Decimal("1.2"), Decimal(3)) in progress
        assert progress[-1] == (Decimal(3), Decimal(3))
        assert Decimal(deltas[-1]["average_price"]) == Decimal("9983")
        snapshot = api.get(f"/api/v1/orders/{order['order_id']}").json()
        assert snapshot["seq"] == deltas[-1]["seq"]
        positions = {p["instrument"]: p for p in api.get("/api/v1/positions").json()["results"]}
        assert Decimal(positions["BTC-USD"]["quantity"]) == 3
        check = platform.manage("check_invariants")
        assert check.returncode == 0, check.stderr
        demo = platform.manage("demo", "--url", platform.url)
        assert demo.returncode == 0, demo.stderr
        assert "1.2 / 3 BTC filled" in demo.stdout
        assert "3 / 3 filled at 9983" in demo.stdout
    finally:
        code = platform.stop()
    assert code == 0
    eventually(
        lambda: not any(pid_alive(pid) for pid in pids.values()), 15, what="every process gone"
    )
