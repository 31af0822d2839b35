"""Each venue stream thread's heartbeat in the store, read by /healthz."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from infra.store import database
from infra.store.api import Transaction, run
from infra.store.keys import Subspace

HEARTBEAT = Subspace(("venues", "stream_heartbeat"))  # (venue) -> ISO time of the last beat
STALE_S = float(os.environ.get("STREAM_STALE_S", "30"))
# A web process that just started may see the beats of a run that was killed: the pools of
# this run are given this long to beat before a stale beat counts as a dead stream.
STARTUP_GRACE_S = float(os.environ.get("STREAM_HEALTH_GRACE_S", "120"))
_STARTED = time.monotonic()


def beat(tr: Transaction, venue: str, now: datetime) -> None:
    tr.set(HEARTBEAT.pack((venue,)), now.isoformat().encode())


def forget(tr: Transaction, venue: str) -> None:
    """A pool that stops on purpose no longer claims a stream."""
    tr.clear(HEARTBEAT.pack((venue,)))


def beats(tr: Transaction) -> dict[str, datetime]:
    rng = HEARTBEAT.range()
    return {
        HEARTBEAT.unpack(k)[0]: datetime.fromisoformat(v.decode())
        for k, v in tr.get_range(rng.start, rng.stop)
    }


def dead_streams(
    seen: dict[str, datetime], now: datetime, up_s: float, stale_s: float = STALE_S
) -> list[str]:
    """The venues whose stream thread stopped beating (none while this process starts up)."""
    if up_s < STARTUP_GRACE_S:
        return []
    return sorted(v for v, at in seen.items() if (now - at).total_seconds() > stale_s)


def check_venue_streams() -> None:
    """The /healthz check: raises naming the venues whose stream is dead."""
    seen = run(database(), beats)
    dead = dead_streams(seen, datetime.now(UTC), time.monotonic() - _STARTED)
    if dead:
        raise RuntimeError(f"venue stream not running: {', '.join(dead)}")
