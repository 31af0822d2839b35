"""What ops sees of the Celery pools: workers per queue, their concurrency, tasks, backlog."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from celery import current_app as app  # the platform's: wiring.apps makes it current
from django.conf import settings

if TYPE_CHECKING:  # models import this module's callers: no cycle at run time
    from backoffice.ops.models import PoolSetting

# Queues the platform runs pools for (the venue pools are found from the store's venues).
KNOWN_QUEUES = ("venue.SIM-A", "venue.SIM-B", "venue.SIM-F")
INSPECT_TIMEOUT_S = 1.0
# kombu's Redis transport keeps one list per priority step beside the queue's own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


@dataclass(frozen=True)
class Task:
    task_id: str
    name: str
    state: str  # "running" (active) or "reserved" (prefetched, waiting for a process)
    running_s: float | None  # since it started, for a running one


@dataclass
class Worker:
    name: str
    concurrency: int
    processes: int
    autoscale: tuple[int, int] | None
    active: int
    reserved: int
    tasks: list[Task] = field(default_factory=list)


@dataclass
class Pool:
    queue: str
    workers: list[Worker] = field(default_factory=list)
    depth: int | None = None
    oldest_age_s: float | None = None
    desired: PoolSetting | None = None

    @property
    def concurrency(self) -> int:
        return sum(w.concurrency for w in self.workers)


def pools() -> list[Pool]:
    """Every known queue's pool, with what its workers and its broker queue say now."""
    from backoffice.ops.models import PoolSetting

    inspect = app.control.inspect(timeout=INSPECT_TIMEOUT_S)
    # The workers' replies, as JSON from the wire: a worker that autoscales adds "autoscaler",
    # which celery-types' TypedDicts do not have, so they are read as mappings.
    stats: Mapping[str, Mapping[str, Any]] = inspect.stats() or {}
    queues = inspect.active_queues() or {}
    active: Mapping[str, Sequence[Mapping[str, Any]]] = inspect.active() or {}
    reserved: Mapping[str, Sequence[Mapping[str, Any]]] = inspect.reserved() or {}
    by_queue: dict[str, Pool] = {q: Pool(q) for q in KNOWN_QUEUES}
    for worker, consumed in queues.items():
        info = stats.get(worker, {}).get("pool", {})
        autoscaler = stats.get(worker, {}).get("autoscaler") or None
        processes = len(info.get("processes", []))
        entry = Worker(
            name=worker,
            # A grown prefork pool reports its processes; max-concurrency keeps the start size.
            concurrency=processes or int(info.get("max-concurrency", 0)),
            processes=processes,
            autoscale=(autoscaler["max"], autoscaler["min"]) if autoscaler else None,
            active=len(active.get(worker, [])),
            reserved=len(reserved.get(worker, [])),
            tasks=[_task(t, "running") for t in active.get(worker, [])]
            + [_task(t, "reserved") for t in reserved.get(worker, [])],
        )
        for queue in consumed:
            by_queue.setdefault(queue["name"], Pool(queue["name"])).workers.append(entry)
    desired = {s.queue: s for s in PoolSetting.objects.filter(queue__in=by_queue)}
    for pool in by_queue.values():
        pool.depth, pool.oldest_age_s = _backlog(pool.queue)
        pool.desired = desired.get(pool.queue)
    return sorted(by_queue.values(), key=lambda p: p.queue)


def _task(info: Mapping[str, Any], state: str) -> Task:
    started = info.get("time_start")
    return Task(
        task_id=str(info.get("id", "")),
        name=str(info.get("name", "")),
        state=state,
        running_s=time.time() - float(started) if started else None,
    )


def _backlog(queue: str) -> tuple[int | None, float | None]:
    """Messages waiting in the broker and the age of the oldest; None when not on Redis."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return None, None
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    # A plain client with the prefix written out: kombu's own client prefixes some commands
    # (LLEN) and not others (LINDEX), which would read two different keys.
    client = _redis()
    depth, oldest = 0, None
    for suffix in _PRIORITY_SUFFIXES:
        key = f"{prefix}{queue}{suffix}"
        depth += int(client.llen(key))
        raw = client.lindex(key, -1)  # LPUSH in, BRPOP out: the oldest is at the tail
        sent_at = _sent_at(raw)
        if sent_at is not None:
            oldest = sent_at if oldest is None else min(oldest, sent_at)
    return depth, (time.time() - oldest) if oldest is not None else None


@functools.cache
def _redis() -> Any:
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)


def _sent_at(raw: bytes | None) -> float | None:
    if not raw:
        return None
    try:
        return float(json.loads(raw)["headers"]["sent_at"])
    except (ValueError, KeyError, TypeError):
        return None
