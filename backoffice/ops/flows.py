"""The platform's other queues: the outbox publisher and the Kafka consumers (ingest, the
back-office projector, the ws fanout), each with its backlog and, where known, its age."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backoffice import projector
from infra.store import database
from infra.store.api import run
from trading import outbox

BACKLOG_SCAN_LIMIT = 10_000


@dataclass
class Flow:
    name: str  # the part's name, as in var/run/pids.json
    kind: str  # what it reads: "outbox" or "kafka"
    source: str  # the outbox, or the topics
    depth: int | None = None  # messages waiting (outbox rows, or Kafka lag)
    oldest_age_s: float | None = None
    running: bool | None = None  # None: not supervised here (another machine, or tests)
    error: str = ""


def flows() -> list[Flow]:
    """The publisher, ingest, projector and ws fanout, read now (store, Kafka offsets)."""
    found = [
        Flow("publisher", "outbox", "the store's outbox"),
        Flow("ingest", "kafka", outbox.EXECUTION_REPORTS),
        Flow("projector", "kafka", ", ".join(projector.TOPICS)),
        Flow("ws fanout", "kafka", f"{outbox.ORDER_EVENTS} (in the web process)"),
    ]
    _read(found[0], _publisher)
    _read(found[1], lambda f: _group_lag(f, "trading-ingest", [outbox.EXECUTION_REPORTS]))
    _read(found[2], lambda f: _group_lag(f, projector.GROUP_ID, list(projector.TOPICS)))
    _read(found[3], _fanout_lag)
    alive = _alive_parts()
    for flow in found:
        part = "web" if flow.name == "ws fanout" else flow.name
        flow.running = alive.get(part)
    return found


def _read(flow: Flow, reader: Any) -> None:
    try:
        reader(flow)
    except Exception as error:  # noqa: BLE001 - one part away must not hide the others
        flow.error = f"not readable now: {error}"


def _publisher(flow: Flow) -> None:
    def read(tr: Any) -> tuple[int, datetime | None]:
        rows = outbox.read_after(tr, outbox.cursor(tr, "outbox"), BACKLOG_SCAN_LIMIT)
        return len(rows), rows[0][1].created_at if rows else None

    flow.depth, oldest = run(database(), read)
    flow.oldest_age_s = (datetime.now(UTC) - oldest).total_seconds() if oldest else None


def _group_lag(flow: Flow, group_id: str, topics: list[str]) -> None:
    from confluent_kafka import TopicPartition

    from infra.bus import kafka

    probe = kafka.consumer(group_id)  # reads the group's committed offsets; never joins it
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in range(kafka.PARTITIONS)]
        lag = 0
        for committed in probe.committed(partitions, timeout=2):
            low, high = probe.get_watermark_offsets(committed, timeout=2)
            lag += max(0, high - (committed.offset if committed.offset >= 0 else low))
        flow.depth = lag
    finally:
        probe.close()


def _fanout_lag(flow: Flow) -> None:
    """The fanout of this process (the web process), against the topic's end."""
    from confluent_kafka import TopicPartition

    from infra.bus import kafka
    from realtime import fanout

    current = fanout._fanout  # noqa: SLF001 - read only; None until a websocket connected
    if current is None:
        flow.error = "idle: no websocket client connected yet"
        return
    probe = kafka.consumer("ops-fanout-probe")
    try:
        lag = 0
        for number, offset in dict(current._next_offsets).items():  # noqa: SLF001
            _, high = probe.get_watermark_offsets(
                TopicPartition(outbox.ORDER_EVENTS, number), timeout=2
            )
            lag += max(0, high - offset)
        flow.depth = lag
    finally:
        probe.close()


def _alive_parts() -> dict[str, bool]:
    """Part -> running, from the supervisor's var/run/pids.json (empty when there is none)."""
    path = Path(os.environ.get("VAR_DIR", "var")) / "run" / "pids.json"
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    alive = {}
    for name, pid in pids.items():
        try:
            os.kill(int(pid), 0)
            alive[name] = True
        except (ProcessLookupError, PermissionError, ValueError):
            alive[name] = False
    return alive
