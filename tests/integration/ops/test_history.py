"""The ops page's last hour lives in Redis: every web worker writes and reads the same chart, and
a restarted web process draws what the one before it kept (the machine's Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings

from backoffice.ops import views
from backoffice.ops.history import KEEP_S, SLOT_S, RedisHistory
from backoffice.ops.snapshot import Reading, Snapshot

ROOT = Path(__file__).resolve().parents[3]
QUEUE = "venue.SIM-A"

# Run in a process of its own, as another web worker (or the web before a restart) would:
# its ops reader keeps one reading of QUEUE, then the process ends.
CHILD = """
import os, sys, time
from types import SimpleNamespace
import django
django.setup()
from backoffice.ops.snapshot import Reading, Snapshot
pool = SimpleNamespace(queue=sys.argv[1], depth=int(sys.argv[2]), oldest_age_s=float(sys.argv[3]))
Snapshot()._keep(Reading(pools=[pool], flows=[], taken_at=float(sys.argv[4])))
"""


@pytest.fixture
def prefix(settings) -> Iterator[str]:
    """This test's own keys, as `make run` keeps its own under its Celery prefix."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("the shared history needs the Redis broker")
    value = f"test-history-{uuid.uuid4().hex[:8]}:"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "global_keyprefix": value,
    }
    yield value
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.scan_iter(f"{value}*"):
        client.delete(key)


def client() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)


def keep_in_another_process(prefix: str, depth: int, age_s: float, at: float) -> None:
    env = {**os.environ, "CELERY_KEY_PREFIX": prefix, "DJANGO_SETTINGS_MODULE": "wiring.settings"}
    subprocess.run(
        [sys.executable, "-c", CHILD, QUEUE, str(depth), str(age_s), str(at)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


def test_a_restarted_web_process_draws_what_the_last_one_kept(prefix, db, monkeypatch):
    now = time.time()
    keep_in_another_process(prefix, 4, 1.5, now - 2 * SLOT_S)
    keep_in_another_process(prefix, 9, 3.0, now)
    fresh = Snapshot()  # this process's reader, as after a restart: nothing in its memory
    assert fresh.history.of_many([QUEUE]) == {
        QUEUE: [(round(now - 2 * SLOT_S, 3), 4, 1.5), (round(now, 3), 9, 3.0)]
    }

    pool = SimpleNamespace(queue=QUEUE, depth=9, oldest_age_s=3.0)
    monkeypatch.setattr(views.snapshot, "_history", None)  # the page's own, made on first use
    views._context(Reading(pools=[pool], flows=[], taken_at=now))  # what the page draws
    assert 'class="spark"' in pool.spark and "depth up to 9" in pool.spark


def test_two_workers_reading_in_the_same_slot_keep_one_point(prefix):
    first, second = RedisHistory(client(), prefix), RedisHistory(client(), prefix)
    at = (time.time() // SLOT_S) * SLOT_S + 0.5  # both inside one slot
    first.add(QUEUE, 3, 1.0, at)
    second.add(QUEUE, 3, 1.1, at + 1)
    assert first.of(QUEUE) == second.of(QUEUE) == [(at, 3, 1.0)]
    second.add(QUEUE, 5, 2.0, at + SLOT_S)  # the next slot: the second worker's reading
    assert first.of(QUEUE) == [(at, 3, 1.0), (at + SLOT_S, 5, 2.0)]


def test_the_shared_history_keeps_the_last_hour_only(prefix):
    history = RedisHistory(client(), prefix)
    old = time.time() - KEEP_S - 60
    history.add(QUEUE, 7, 9.0, old)
    history.add(QUEUE, 1, 0.5, old + KEEP_S + 30)  # an hour and a half minute later: old is out
    assert client().zcard(f"{prefix}ops:history:{QUEUE}") == 1
    assert history.of(QUEUE) == [(round(old + KEEP_S + 30, 3), 1, 0.5)]
    assert client().ttl(f"{prefix}ops:history:{QUEUE}") > KEEP_S - 5  # the key itself expires


def test_redis_away_loses_a_point_and_the_page_goes_on(prefix):
    away = RedisHistory(redis.Redis(host="127.0.0.1", port=1, socket_timeout=0.2), prefix)
    away.add(QUEUE, 1, 1.0, time.time())  # logged, not raised
    assert away.of_many([QUEUE]) == {QUEUE: []}
