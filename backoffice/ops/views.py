"""/ops/pools: each Celery pool, and (ops role only) grow, shrink and autoscale."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from backoffice import roles
from backoffice.ops import selectors, services


def _ops_only(request: HttpRequest) -> None:
    if not roles.has_role(request.user, roles.OPS):
        raise PermissionDenied("the ops role runs the pools")


@login_required
def pool_list(request: HttpRequest) -> HttpResponse:
    _ops_only(request)
    return render(request, "ops/pools.html", {"pools": selectors.pools()})


@login_required
def pool_change(request: HttpRequest) -> HttpResponse:
    _ops_only(request)
    if request.method != "POST":
        return redirect("ops-pools")
    queue, action = request.POST.get("queue", ""), request.POST.get("action", "")
    try:
        if action in ("grow", "shrink"):
            services.pool_resize(queue=queue, by=1 if action == "grow" else -1, user=request.user)
        elif action == "autoscale":
            services.pool_autoscale(
                queue=queue,
                minimum=int(request.POST.get("min", "")),
                maximum=int(request.POST.get("max", "")),
                user=request.user,
            )
        else:
            raise services.PoolChangeRefused(f"unknown action {action!r}")
        messages.success(request, f"{queue}: {action} sent")
    except (services.PoolChangeRefused, ValueError) as error:
        messages.error(request, f"{queue}: {error}")
    return redirect("ops-pools")
