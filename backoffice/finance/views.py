"""/finance/: the environment cost dashboard and its CSV (finance role and superusers only)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from backoffice import roles
from backoffice.finance import charts, formatting, selectors
from infra.environments import CostCategory

View = Callable[[HttpRequest], HttpResponse]

CATEGORY_COLORS = {  # in the seed's order, as CATEGORIES; finance.css uses the same colours
    CostCategory.COMPUTE.value: "#2f5fd0",
    CostCategory.DATA.value: "#1a8a5a",
    CostCategory.NETWORK.value: "#e09a1a",
    CostCategory.OBSERVABILITY.value: "#8a5cc9",
}
ENVIRONMENT_COLORS = {"test": "#16a3a3", "dev": "#2f5fd0", "staging": "#e09a1a", "prod": "#d2433a"}
OTHER_COLOR = "#6b7785"


def finance_only(view: View) -> View:
    """Anonymous -> /login; signed in without the finance role -> 403."""

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest) -> HttpResponse:
        if not roles.has_role(request.user, roles.FINANCE):
            raise PermissionDenied("the finance role sees environment costs")
        return view(request)

    return guarded


@require_safe
@finance_only
def dashboard(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard(today=timezone.localdate())
    context = {
        "board": board,
        "categories": [(name, color) for name, color in CATEGORY_COLORS.items()],
        "can_import": request.user.is_staff,
    }
    if board.has_costs:
        context["breakdown_svg"] = mark_safe(_breakdown_chart(board))  # noqa: S308 - escaped
        context["trend_svg"] = mark_safe(_trend_chart(board))  # noqa: S308 - escaped
    return render(request, "finance/dashboard.html", context)


@require_safe
@finance_only
def costs_csv(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard(today=timezone.localdate())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="environment-costs-{board.today.isoformat()}.csv"'
    )
    writer = csv.writer(response, lineterminator="\r\n")
    for row in selectors.breakdown_rows(board):
        writer.writerow([_cell(value) for value in row])
    return response


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (names come from the admin)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _breakdown_chart(board: selectors.Dashboard) -> str:
    return charts.stacked_bars(
        [
            charts.Bar(env.name, tuple(cost for _, cost in env.by_category))
            for env in board.environments
        ],
        [charts.Segment(name, color) for name, color in CATEGORY_COLORS.items()],
        chart_id="breakdown-chart",
        title="Daily cost by category (average of the last 30 days)",
        money=formatting.compact_usd,
    )


def _trend_chart(board: selectors.Dashboard) -> str:
    return charts.trend_lines(
        [
            charts.Line(env.name, ENVIRONMENT_COLORS.get(env.slug, OTHER_COLOR), env.trend)
            for env in board.environments
        ],
        board.window.days,
        chart_id="trend-chart",
        title="Daily cost per environment, last 30 days",
        money=formatting.compact_usd,
    )
