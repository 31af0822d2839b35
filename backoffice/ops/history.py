"""The last hour of each queue's depth and oldest age, kept by the ops reader, drawn small.

Kept in Redis beside the queues (`RedisHistory`): every web worker's reader writes to it and
every page reads it, so the chart is the same whichever worker answers and survives a web
restart. One point per `SLOT_S` per queue: the first worker to read in a slot writes it
(SET NX on the slot), so more workers do not mean more points. A broker that is not Redis
keeps the history in the process (`History`). Display only: Prometheus keeps the long history,
from the same figures on /metrics.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from html import escape
from typing import Any, Protocol

log = logging.getLogger(__name__)
KEEP_S = 3600.0
SLOT_S = 5.0  # one point per queue per 5 s: 720 an hour
Point = tuple[float, int, float]  # (epoch s, depth, oldest age s)


class Keeper(Protocol):
    def add(self, queue: str, depth: int | None, age_s: float | None, at: float) -> None: ...

    def of_many(self, queues: list[str], now: float | None = None) -> dict[str, list[Point]]: ...


class History:
    """In this process only (a broker that is not Redis; unit tests)."""

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self.points: dict[str, deque[Point]] = {}

    def add(self, queue: str, depth: int | None, age_s: float | None, at: float) -> None:
        """One reading of `queue` (depth and oldest age; None counts as 0)."""
        line = self.points.setdefault(queue, deque())
        line.append((at, depth or 0, age_s or 0.0))
        while line and line[0][0] < at - self.keep_s:
            line.popleft()

    def of(self, queue: str) -> list[Point]:
        return list(self.points.get(queue, ()))

    def of_many(self, queues: list[str], now: float | None = None) -> dict[str, list[Point]]:
        return {q: self.of(q) for q in queues}


class RedisHistory:
    """In Redis: a sorted set per queue (score = reading time), trimmed to the last hour.

    Redis away: a reading is not kept and the chart is empty; the page itself goes on.
    """

    def __init__(
        self, client: Any, prefix: str = "", keep_s: float = KEEP_S, slot_s: float = SLOT_S
    ) -> None:
        self.client, self.prefix = client, prefix
        self.keep_s, self.slot_s = keep_s, slot_s

    def _key(self, queue: str) -> str:
        return f"{self.prefix}ops:history:{queue}"

    def add(self, queue: str, depth: int | None, age_s: float | None, at: float) -> None:
        """Keep one reading of `queue`, unless another reader kept one in this slot already."""
        key, slot = self._key(queue), int(at // self.slot_s)
        try:
            if not self.client.set(f"{key}:slot:{slot}", b"", nx=True, ex=int(self.slot_s * 2) + 1):
                return
            member = f"{at:.3f}|{depth or 0}|{age_s or 0.0:.3f}"
            pipe = self.client.pipeline(transaction=False)
            pipe.zadd(key, {member: at})
            pipe.zremrangebyscore(key, "-inf", f"({at - self.keep_s}")
            pipe.expire(key, int(self.keep_s) + 60)
            pipe.execute()
        except Exception as error:  # noqa: BLE001 - display only: a Redis away loses a point
            log.warning("ops history not kept: %s", error)

    def of_many(self, queues: list[str], now: float | None = None) -> dict[str, list[Point]]:
        """The last hour of each queue, oldest first (one round trip for all of them)."""
        since = (now if now is not None else time.time()) - self.keep_s
        try:
            pipe = self.client.pipeline(transaction=False)
            for queue in queues:
                pipe.zrangebyscore(self._key(queue), since, "+inf")
            answers = pipe.execute()
        except Exception as error:  # noqa: BLE001 - the page shows "collecting" instead
            log.warning("ops history not read: %s", error)
            return {q: [] for q in queues}
        return {q: [_point(m) for m in members] for q, members in zip(queues, answers, strict=True)}

    def of(self, queue: str) -> list[Point]:
        return self.of_many([queue])[queue]


def _point(member: bytes | str) -> Point:
    text = member.decode() if isinstance(member, bytes) else member
    at, depth, age = text.split("|")
    return float(at), int(depth), float(age)


def shared() -> Keeper:
    """The history every web worker shares: in the broker's Redis, under the Celery prefix."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return History()
    import redis

    prefix = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", ""))
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
    return RedisHistory(client, prefix)


def sparkline(points: list[Point], *, width: int = 140, height: int = 30) -> str:
    """Depth (solid) and oldest age (dashed) over the last hour, each on its own scale."""
    if len(points) < 2:
        return '<span class="muted">collecting…</span>'
    start, end = points[0][0], max(points[-1][0], points[0][0] + 1)
    max_depth = max(p[1] for p in points) or 1
    max_age = max(p[2] for p in points) or 1.0

    def line(values: list[float], top: float) -> str:
        return " ".join(
            f"{(t - start) / (end - start) * (width - 2) + 1:.1f},"
            f"{height - 2 - v / top * (height - 4):.1f}"
            for t, v in zip((p[0] for p in points), values, strict=True)
        )

    minutes = (end - start) / 60
    title = (
        f"last {minutes:.0f} min: depth up to {max_depth:,}, oldest up to {max_age:.1f} s"
        f" (now {points[-1][1]:,}, {points[-1][2]:.1f} s)"
    )
    depth = line([p[1] for p in points], max_depth)
    age = line([p[2] for p in points], max_age)
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<polyline class="spark-depth" fill="none" points="{depth}"/>'
        f'<polyline class="spark-age" fill="none" points="{age}"/>'
        "</svg>"
    )
