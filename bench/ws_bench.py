"""ws-gateway fanout: delivery latency to many websocket clients of one trader.

`bench_ws(url, token, produce)` opens `clients` websockets (default 1,000) on a running
gateway, subscribes each to every order, then calls `produce(order_id, seq)` at a steady rate
and records when each client receives each delta. Latency: the `produce` call -> a client has
the delta, over every (client, delta) pair; p50 and p99. Bounded: every phase has a deadline.

`run_local()` starts what it needs (a Tansu broker, the gateway as `make run` serves it, on a
temporary SQLite database, a trader) and runs it; `section()` is its lines for var/bench/report.md;
`python -m bench.ws_bench [clients]` prints the figures. The clients run in this process, on
one event loop: on a small machine they compete with the gateway for CPU, and part of the
latency is theirs (each reads its copy of a delta after the ones before it).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from infra.bus.local_broker import free_port
from tests.support.processes import listening, manage, stop
from wiring.web_server import web_argv

ROOT = Path(__file__).resolve().parents[1]
ORDER_EVENTS = "evt.trading.order.v1"
SUBSCRIBE = json.dumps({"action": "subscribe", "orders": "*"})
CONNECTING_AT_ONCE = 100
PHASE_TIMEOUT_S = 60

Produce = Callable[[str, int], None]


class _Clients:
    """`count` websocket clients on their own event loop (a thread); arrivals per client."""

    def __init__(self, url: str, count: int) -> None:
        self.url, self.count = url, count
        self.subscribed = 0
        self.arrivals: list[list[tuple[int, float]]] = [[] for _ in range(count)]
        self.close_codes: dict[int, int | None] = {}
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open_all(), self.loop).result(PHASE_TIMEOUT_S)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close_all(), self.loop).result(PHASE_TIMEOUT_S)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(PHASE_TIMEOUT_S)
        self.loop.close()

    def delivered(self) -> int:
        return sum(map(len, self.arrivals))

    async def _open_all(self) -> None:
        gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
        self._tasks = [asyncio.create_task(self._client(i, gate)) for i in range(self.count)]

    async def _close_all(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _client(self, index: int, gate: asyncio.Semaphore) -> None:
        arrivals = self.arrivals[index]
        async with gate:
            ws = await connect(self.url, open_timeout=PHASE_TIMEOUT_S, max_queue=None)
            await ws.send(SUBSCRIBE)
            assert json.loads(await ws.recv()) == {"type": "subscribed"}
        self.subscribed += 1
        try:
            async for text in ws:
                arrivals.append((json.loads(text)["seq"], time.perf_counter()))
        except ConnectionClosed:
            pass
        finally:
            self.close_codes[index] = ws.close_code
            await ws.close()


def _percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _wait(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def bench_ws(
    url: str,
    token: str,
    produce: Produce,
    clients: int = 1000,
    deltas: int = 20,
    rate_per_s: float = 2,
) -> dict[str, Any]:
    """Latency of `deltas` deltas (one order, seq 1..n) to `clients` subscribed clients.

    Every client is the same trader's, so each delta goes to all of them: the fan-out's worst
    case (2 deltas / s to 1,000 clients = 2,000 messages / s from one gateway process).
    """
    started = time.perf_counter()
    pool = _Clients(f"{url}?token={token}", clients)
    pool.start()
    try:
        _wait(lambda: pool.subscribed >= clients, PHASE_TIMEOUT_S)
        connect_s = time.perf_counter() - started
        order_id, sent = f"BENCH-{uuid.uuid4().hex[:10]}", {}
        for seq in range(1, deltas + 1):
            due = started + connect_s + (seq - 1) / rate_per_s
            time.sleep(max(0.0, due - time.perf_counter()))
            sent[seq] = time.perf_counter()
            produce(order_id, seq)
        expected = pool.subscribed * deltas
        _wait(lambda: pool.delivered() >= expected, PHASE_TIMEOUT_S)
    finally:
        pool.stop()
    latencies_ms = sorted(
        (at - sent[seq]) * 1000 for arrivals in pool.arrivals for seq, at in arrivals
    )
    return {
        "clients": clients,
        "subscribed": pool.subscribed,
        "deltas": deltas,
        "rate_per_s": rate_per_s,
        "messages_per_s": pool.subscribed * rate_per_s,
        "expected": expected,
        "delivered": len(latencies_ms),
        "closed_by_server": sum(
            1 for code in pool.close_codes.values() if code not in (None, 1000)
        ),
        "connect_s": connect_s,
        "latency_ms_p50": _percentile(latencies_ms, 50),
        "latency_ms_p99": _percentile(latencies_ms, 99),
        "latency_ms_max": latencies_ms[-1] if latencies_ms else float("nan"),
        "elapsed_s": time.perf_counter() - started,
    }


class KafkaDeltas:
    """`produce(order_id, seq)`: one order delta of `trader_id`, as the outbox publisher writes."""

    def __init__(self, bootstrap: str, trader_id: str) -> None:
        self.trader_id = trader_id
        self.producer = Producer(
            {"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 0}
        )

    def __call__(self, order_id: str, seq: int) -> None:
        from contracts.registry import build
        from contracts.trading import OrderDeltaV1
        from trading.outbox import OutboxMessage
        from trading.publisher import envelope

        now = datetime.now(UTC)
        payload = {
            "type": "order.delta",
            "order_id": order_id,
            "trader_id": self.trader_id,
            "seq": seq,
            "state": "working",
            "instrument": "BTC-USD",
            "quantity": "3",
            "filled_quantity": "0",
            "remaining_quantity": "3",
            "average_price": None,
            "attempts": [],
            "updated_at": now.isoformat(),
        }
        delta = build(OrderDeltaV1, payload)
        message = OutboxMessage(uuid.uuid4().hex, ORDER_EVENTS, order_id, delta, now)
        self.producer.produce(ORDER_EVENTS, key=order_id.encode(), value=envelope(message))
        self.producer.poll(0)

    def close(self) -> None:
        self.producer.flush(10)
        self.producer.close()


# --- run_local: everything the bench needs, on free ports, in a temporary directory ---


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    with open(log, "wb") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield
    finally:
        stop(process)


def run_local(clients: int = 1000, **options: Any) -> dict[str, Any]:
    from infra.bus import local_broker

    with tempfile.TemporaryDirectory(prefix="ws-bench-") as folder:
        var = Path(folder)
        kafka_port, web_port = free_port(), free_port()
        bootstrap = f"127.0.0.1:{kafka_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}",
            STORE_PATH=str(var / "store.sqlite3"),
            VAR_DIR=str(var),
            KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        )
        manage("migrate", "--noinput", env=env, check=True)
        created = manage("shell", "-c", _CREATE_TRADER, env=env, check=True).stdout
        token, trader_id = created.split()[-2:]
        with open(var / "broker.log", "wb") as broker_log:
            broker = local_broker.start(kafka_port, log=broker_log)
            try:
                server = web_argv("127.0.0.1", web_port)  # the web tier `make run` serves
                with _process(server, env, var / "web.log"):
                    if not _wait(lambda: listening(web_port), PHASE_TIMEOUT_S):
                        raise RuntimeError((var / "web.log").read_text()[-2000:])
                    url = f"ws://127.0.0.1:{web_port}/ws/v1/stream"
                    deltas = KafkaDeltas(bootstrap, trader_id)
                    try:
                        return bench_ws(url, token, deltas, clients, **options)
                    finally:
                        deltas.close()
            finally:
                broker.terminate()
                broker.wait(10)


_CREATE_TRADER = (
    "from django.contrib.auth.models import User; "
    "from trading.tokens.models import issue; "
    "from kernel.ids import trader_id_for; "
    "u = User.objects.create_user('ws-bench'); "
    "print(issue(u).key, trader_id_for(u))"
)


def section() -> list[str]:
    """Lines for var/bench/report.md."""
    from bench import report

    figures = run_local()
    report.add(
        "ws_1000_clients_delivery_p99_ms",
        figures["latency_ms_p99"],
        "ms",
        100,
        "lower",
        note=f"{figures['subscribed']} clients, {figures['rate_per_s']:.0f} deltas/s each",
    )
    report.add("ws_1000_clients_delivery_p50_ms", figures["latency_ms_p50"], "ms", None, "lower")
    return [
        "## ws-gateway fanout (the web tier of `make run`, one trader's clients)",
        "",
        "| figure | value |",
        "| --- | ---: |",
        f"| clients subscribed | {figures['subscribed']:,} of {figures['clients']:,} |",
        f"| deltas / s produced (messages / s pushed) | {figures['rate_per_s']:.0f} ({figures['messages_per_s']:,.0f}) |",
        f"| delivered / expected | {figures['delivered']:,} / {figures['expected']:,} |",
        f"| closed by the server (too slow) | {figures['closed_by_server']} |",
        f"| produce -> client, p50 | {figures['latency_ms_p50']:.1f} ms |",
        f"| produce -> client, p99 | {figures['latency_ms_p99']:.1f} ms |",
        f"| connect + subscribe all | {figures['connect_s']:.1f} s |",
        "",
    ]


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiring.settings")
    import django

    django.setup()
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(json.dumps(run_local(count), indent=2))
