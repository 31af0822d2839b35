"""Chaos drills: the platform as `make run` starts it, a burst of orders, and mid-burst one
fault: kill -9 of each part in turn, a graceful stop and start, a power cut and a start on the
same VAR_DIR. After each, within a bound, the platform has healed by itself: every order is
terminal, no funds are held, no fill twice, filled = sum of fills, the read models equal the
store and `check_invariants` passes. One platform serves every case, in order."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.platform import RunningPlatform, eventually, start_platform

pytestmark = pytest.mark.slow

BURST = 200
KILL_AFTER = 80  # orders accepted before the fault
RECOVERY_S = 90
DEEP = {"asks": [["10000", "100000"]], "bids": [["9990", "100000"]]}
PARTS = ["ingest", "publisher", "venue-SIM-A", "venue-SIM-B", "web", "projector"]
PARTS += ["simulator", "kafka"]
# The broker's case last: the memory-only broker loses everything, the hardest fault to heal,
# so a failure there must not leave the cases after it a broken platform to start from.
CASES = [*PARTS[:-1], "graceful-stop-start", "power-cut", "kafka"]
STARTED = ["kafka", "simulator", "projector", "publisher", "ingest", "venue-SIM-A"]
STARTED += ["venue-SIM-B", "venue-SIM-F", "web"]  # platform_parts' order


class Drill:
    """The one platform the cases share; a restart case replaces it."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.platform = start_platform(var_dir)
        self.failed: BaseException | None = None  # a fault that could not be carried out

    def restart(self) -> None:
        self.platform = start_platform(self.var_dir, again=self.platform)


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory):
    drill = Drill(tmp_path_factory.mktemp("chaos") / "platform")
    try:
        yield drill
    finally:
        drill.platform.stop()


def deepen_books(platform: RunningPlatform) -> None:
    """Books deep enough that every order of the burst fills (a restarted venue has its own)."""
    for venue in ("SIM-A", "SIM-B"):
        httpx.put(
            f"{platform.simulator_url}/control/books/{venue}/BTC-USD", json=DEEP, timeout=10
        ).raise_for_status()


def new_trader(platform: RunningPlatform, name: str) -> dict[str, str]:
    """A funded trader of its own: an earlier case's leftovers never blur this case's checks."""
    code = f"from tests.support.audit import new_trader; new_trader({name!r})"
    done = platform.manage("shell", "-c", code)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def place(drill: Drill, token: str, n: int, accepted: list[str]) -> None:
    """One marketable IOC order of the demo trader; retried with its id while the web is down."""
    body = {
        "client_order_id": f"chaos-{uuid.uuid4().hex[:12]}",
        "instrument": "BTC-USD",
        "side": "buy" if n % 2 else "sell",
        "quantity": "0.01",
        "limit_price": "10010" if n % 2 else "9980",
        "time_in_force": "IOC",
    }
    deadline = time.monotonic() + 3 * RECOVERY_S  # a stop and start can come in between
    while time.monotonic() < deadline and drill.failed is None:
        platform = drill.platform
        try:
            answer = httpx.post(
                f"{platform.url}/api/v1/orders",
                json=body,
                headers={"Authorization": f"Token {token}"},
                timeout=10,
            )
        except httpx.HTTPError:
            time.sleep(0.5)
            continue
        if answer.status_code in (200, 201):
            accepted.append(answer.json()["order_id"])
            return
        if answer.status_code < 500:  # refused (e.g. no venue quoted yet): not accepted
            return
        time.sleep(0.5)


def burst(drill: Drill, token: str, fault) -> tuple[list[str], float]:
    """Send BURST orders, 8 at a time; call `fault` once KILL_AFTER are accepted."""
    accepted: list[str] = []
    faulted: list[float] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        place(drill, token, n, accepted)
        with lock:
            if len(accepted) >= KILL_AFTER and not faulted:
                faulted.append(time.monotonic())
                try:
                    fault()
                except BaseException as error:  # e.g. the platform did not start again
                    drill.failed = error

    drill.failed = None
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(BURST)))
    if drill.failed is not None:
        raise drill.failed
    assert faulted, f"only {len(accepted)} of {BURST} orders were accepted before the fault"
    return accepted, faulted[0]


def audit(platform: RunningPlatform, trader_id: str) -> dict:
    code = f"from tests.support.audit import main; main({trader_id!r})"
    done = platform.manage("shell", "-c", code)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def settled(found: dict) -> bool:
    return not found["open"] and not found["holds"] and not found["read_model_drift"]


def heal(platform: RunningPlatform, trader_id: str, case: str) -> dict:
    """Audit every few seconds until nothing is left to settle; fail with the last audit."""
    deadline = time.monotonic() + RECOVERY_S
    found: dict = {}
    while time.monotonic() < deadline:
        try:
            found = audit(platform, trader_id)
        except (AssertionError, ValueError) as error:  # the store or the DB is still away
            found = {"audit failed": str(error)[-500:]}
        if "open" in found and settled(found):
            return found
        time.sleep(2)
    raise AssertionError(f"not healed within {RECOVERY_S} s after {case}: {found}")


def kill_part(drill: Drill, part: str) -> int:
    pid = drill.platform.pids()[part]
    os.kill(pid, signal.SIGKILL)
    return pid


@pytest.mark.parametrize("case", CASES)
def test_the_platform_heals_after(drill: Drill, case: str) -> None:
    deepen_books(drill.platform)
    trader = new_trader(drill.platform, f"chaos-{case}")
    killed: dict[str, int] = {}

    def fault() -> None:
        if case in PARTS:
            killed[case] = kill_part(drill, case)
        elif case == "graceful-stop-start":
            assert drill.platform.stop() == 0
            drill.restart()
            deepen_books(drill.platform)
        else:
            drill.platform.kill_everything()
            drill.restart()
            deepen_books(drill.platform)

    accepted, faulted_at = burst(drill, trader["token"], fault)
    platform = drill.platform
    if case == "simulator":  # the restarted venue's books are its own; the rest must still work
        eventually(lambda: _answers(platform.simulator_url), RECOVERY_S, 0.5, "the simulator")
    found = heal(platform, trader["trader_id"], case)
    recovery_s = time.monotonic() - faulted_at
    print(f"\n{case}: {len(accepted)} accepted, healed {recovery_s:.1f} s after the fault, {found}")
    assert found["orders"] >= len(accepted)
    assert not found["venue_fills_twice"] and not found["fill_ids_twice"]
    assert not found["filled_not_sum_of_fills"]
    assert found["fills"] > 0
    assert found["store_integrity"] == "ok"
    check = platform.manage("check_invariants")
    assert check.returncode == 0, check.stderr
    if case in PARTS:  # supervisord restarted the part, and the platform counted it
        assert platform.pids()[case] not in (0, killed[case])
        assert found["restarts"].get(case, 0) >= 1
        ops = {
            "Authorization": f"Bearer {(platform.var_dir / 'metrics-token').read_text().strip()}"
        }
        health = httpx.get(f"{platform.url}/healthz", headers=ops, timeout=10).json()
        assert health["restarts"][case] == found["restarts"][case]
        metrics = httpx.get(f"{platform.url}/metrics", headers=ops, timeout=10).text
        count = float(found["restarts"][case])
        assert f'platform_part_restarts_total{{part="{case}"}} {count}' in metrics
    if case == "graceful-stop-start":  # intake stopped first, the broker last
        stopped = [
            line.split("stopped: ")[1].split()[0]
            for line in (platform.var_dir / "log" / "supervisord.log").read_text().splitlines()
            if "stopped: " in line
        ]
        assert stopped == [*reversed(STARTED)], stopped


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/control/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
