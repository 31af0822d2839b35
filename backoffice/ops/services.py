"""Ops' changes to the Celery pools, through Celery's remote control; each one audited."""

from __future__ import annotations

from typing import Any

from celery import current_app as app  # the platform's: wiring.apps makes it current
from django.contrib.auth.models import User

from backoffice.audit.services import record
from backoffice.ops.models import PoolSetting
from backoffice.ops.selectors import INSPECT_TIMEOUT_S, pools

MAX_CONCURRENCY = 32


class PoolChangeRefused(ValueError):
    pass


def _workers(queue: str) -> list[Any]:
    pool = next((p for p in pools() if p.queue == queue), None)
    if pool is None or not pool.workers:
        raise PoolChangeRefused(f"no worker consumes {queue}")
    return pool.workers


def _reply(replies: list[dict[str, Any]] | None) -> list[str]:
    errors = [str(v.get("error")) for r in replies or [] for v in r.values() if "error" in v]
    if any("Autoscale not enabled" in error for error in errors):
        raise PoolChangeRefused(
            "this pool was started without autoscale (celery worker --autoscale MAX,MIN):"
            " grow or shrink it instead"
        )
    if errors:
        raise PoolChangeRefused("; ".join(errors))
    return [str(v.get("ok")) for r in replies or [] for v in r.values()]


def pool_resize(*, queue: str, by: int, user: User) -> None:
    """Grow (by > 0) or shrink (by < 0) every worker of `queue`, and remember the new size.

    An autoscaling pool moves its floor instead (the size it never goes below), growing or
    shrinking at once; its ceiling follows when the floor passes it.
    """
    workers = _workers(queue)
    scaled = next((w.autoscale for w in workers if w.autoscale), None)
    if scaled is not None:
        ceiling, floor = scaled
        if not 1 <= floor + by <= MAX_CONCURRENCY:
            raise PoolChangeRefused(f"the pool must keep between 1 and {MAX_CONCURRENCY} processes")
        pool_autoscale(queue=queue, minimum=floor + by, maximum=max(ceiling, floor + by), user=user)
        return
    target = workers[0].concurrency + by
    if not 1 <= target <= MAX_CONCURRENCY:
        raise PoolChangeRefused(f"the pool must keep between 1 and {MAX_CONCURRENCY} processes")
    command = app.control.pool_grow if by > 0 else app.control.pool_shrink
    names = [w.name for w in workers]
    _reply(command(abs(by), destination=names, reply=True, timeout=INSPECT_TIMEOUT_S))
    _remember(queue, user, "pool_resize", {"concurrency": target})


def pool_autoscale(*, queue: str, minimum: int, maximum: int, user: User) -> None:
    """Let every worker of `queue` run between `minimum` and `maximum` processes."""
    if not 1 <= minimum <= maximum <= MAX_CONCURRENCY:
        raise PoolChangeRefused(
            f"the smallest size must be at least 1, the largest at most {MAX_CONCURRENCY},"
            " and the smallest no larger than the largest"
        )
    names = [w.name for w in _workers(queue)]
    _reply(
        app.control.autoscale(
            maximum, minimum, destination=names, reply=True, timeout=INSPECT_TIMEOUT_S
        )
    )
    _remember(queue, user, "pool_autoscale", {"autoscale_min": minimum, "autoscale_max": maximum})


def _remember(queue: str, user: User, action: str, change: dict[str, int]) -> None:
    setting, _ = PoolSetting.objects.get_or_create(queue=queue)
    before = {k: getattr(setting, k) for k in change}
    for key, value in change.items():
        setattr(setting, key, value)
    setting.updated_by = user
    setting.save()
    record(user=user, action=action, target=f"pool {queue}", before=before, after=change)
