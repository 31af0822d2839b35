"""The edge's shared cache (Redis, or this process's memory) and the throttle counted in it.

The cache is an optimisation, never a dependency: a store that does not answer lets the
request through the throttle (trading.api.edge_cache reads the token from the database).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

log = logging.getLogger(__name__)


class LocalStore:
    """The same operations in this process's memory (tests; no Redis configured)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, bytes | int]] = {}  # a value, or a count

    def _live(self, key: str) -> bytes | int | None:
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        return item[1]

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._live(key)
            return value if isinstance(value, bytes) else None

    def mget(self, keys: list[str]) -> list[bytes | None]:
        """Values as bytes, counts as their decimal digits (what Redis answers)."""
        with self._lock:
            found = [self._live(key) for key in keys]
        return [str(v).encode() if isinstance(v, int) else v for v in found]

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + ttl_s, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def incr(self, key: str, ttl_s: int) -> int:
        with self._lock:
            count = int(self._live(key) or 0) + 1
            expires = self._items[key][0] if count > 1 else time.monotonic() + ttl_s
            self._items[key] = (expires, count)
            return count


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)

    def get(self, key: str) -> bytes | None:
        value = self._redis.get(key)  # bytes or None: the client does not decode
        return value if isinstance(value, bytes) else None

    def mget(self, keys: list[str]) -> list[bytes | None]:
        return [v if isinstance(v, bytes) else None for v in self._redis.mget(keys)]

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        self._redis.set(key, value, ex=ttl_s)

    def delete(self, key: str) -> None:
        self._redis.delete(key)

    def incr(self, key: str, ttl_s: int) -> int:
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, ttl_s, nx=True)
        return int(pipe.execute()[0])


_store: LocalStore | RedisStore | None = None
_store_lock = threading.Lock()


def store() -> LocalStore | RedisStore:
    """The process's store, made on first use (after a fork, in the worker)."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                url = getattr(settings, "EDGE_CACHE_URL", "")
                ok = url.startswith(("redis://", "rediss://", "unix://"))
                _store = RedisStore(url) if ok else LocalStore()
    return _store


def prefixed(key: str) -> str:
    """`key` under this deployment's prefix (settings.EDGE_CACHE_PREFIX)."""
    return getattr(settings, "EDGE_CACHE_PREFIX", "edge:") + key


class WindowRateThrottle(BaseThrottle):
    """`rate` requests per user per fixed window, counted with one atomic incr in `edge`."""

    scope = "edge-api"
    rate = "6000/min"
    _PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    def get_rate(self) -> str:
        return self.rate

    def parse(self) -> tuple[int, int]:
        count, _, period = self.get_rate().partition("/")
        return int(count), self._PERIODS[period[0]]

    def allow_request(self, request: Request, view: APIView) -> bool:
        user = request.user
        ident = f"user:{user.pk}" if user.is_authenticated else f"ip:{self.get_ident(request)}"
        limit, period = self.parse()
        now = time.time()
        window = int(now // period)
        self._retry_after = period - (now % period)
        key = prefixed(f"throttle:{self.scope}:{period}:{window}:{ident}")
        try:
            return store().incr(key, period + 1) <= limit
        except Exception as problem:  # noqa: BLE001 - never refuse because the cache is away
            log.warning("edge throttle: %s", problem)
            return True

    def wait(self) -> float | None:
        return getattr(self, "_retry_after", None)
