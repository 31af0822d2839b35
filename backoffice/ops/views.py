"""/ops/pools: every queue and consumer of the platform; (ops role only) grow, shrink, autoscale.

The page shows the background reader's last reading (backoffice/ops/snapshot.py) and refreshes
its table itself (`?part=table`, every few seconds); after an action it reads again at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from backoffice.ops import services, slo
from backoffice.ops.history import sparkline
from backoffice.ops.models import PoolSetting
from backoffice.ops.snapshot import Reading, snapshot
from kernel import roles

REFRESH_S = 3


def _ops_only(request: HttpRequest) -> User:
    """The signed-in user of the ops role, or PermissionDenied."""
    user = request.user
    if not isinstance(user, User) or not roles.has_role(user, roles.OPS):
        raise PermissionDenied("the ops role runs the pools")
    return user


def _context(reading: Reading | None) -> dict[str, object]:
    if reading is None:
        return {"reading": None, "refresh_s": REFRESH_S}
    desired = {
        s.queue: s for s in PoolSetting.objects.filter(queue__in=[p.queue for p in reading.pools])
    }
    lines = snapshot.history.of_many(
        [p.queue for p in reading.pools] + [f.name for f in reading.flows]
    )
    for pool in reading.pools:
        pool.desired = desired.get(pool.queue)
        pool.objective = slo.age_objective(pool.queue, pool.oldest_age_s)
        pool.spark = mark_safe(sparkline(lines[pool.queue]))  # noqa: S308 - escaped
    for flow in reading.flows:
        flow.spark = mark_safe(sparkline(lines[flow.name]))  # noqa: S308 - escaped
        flow.objective = (
            slo.age_objective(flow.name, flow.oldest_age_s)
            if flow.kind == "outbox"
            else slo.lag_objective(flow.name, flow.depth)
        )
    return {"reading": reading, "refresh_s": REFRESH_S}


@login_required
def pool_list(request: HttpRequest) -> HttpResponse:
    _ops_only(request)
    context = _context(snapshot.latest())
    if request.GET.get("part") == "table":
        return render(request, "ops/_tables.html", context)
    return render(request, "ops/pools.html", context)


def _whole(text: str, name: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        shown = f'"{text}"' if text.strip() else "nothing"
        raise services.PoolChangeRefused(
            f"the {name} size must be a whole number of processes, like 2 (got {shown})"
        ) from None


@login_required
def pool_change(request: HttpRequest) -> HttpResponse:
    user = _ops_only(request)
    if request.method != "POST":
        return redirect("ops-pools")
    queue, action = request.POST.get("queue", ""), request.POST.get("action", "")
    try:
        if action in ("grow", "shrink"):
            services.pool_resize(queue=queue, by=1 if action == "grow" else -1, user=user)
            done = f"{queue}: {'grown' if action == 'grow' else 'shrunk'} by one process"
        elif action == "autoscale":
            low = _whole(request.POST.get("min", ""), "smallest")
            high = _whole(request.POST.get("max", ""), "largest")
            services.pool_autoscale(queue=queue, minimum=low, maximum=high, user=user)
            done = f"{queue}: autoscales between {low} and {high} processes"
        else:
            raise services.PoolChangeRefused(f"there is no action {action!r}")
        messages.success(request, done)
    except services.PoolChangeRefused as error:
        messages.error(request, f"{queue}: not changed: {error}")
    snapshot.refresh()  # the page after the action shows what it did
    return redirect("ops-pools")
