"""/finance/: the environment cost dashboard and its CSV (finance role and superusers only)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from backoffice.finance import charts, formatting, selectors
from infra.environments import CostCategory
from kernel import roles

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


MAX_WINDOW_DAYS = 366


def _window(request: HttpRequest, today: date) -> tuple[selectors.Window, str]:
    """The date range asked for (`?from=&to=`, ISO days), or the last 30 days and why not."""
    default = selectors.Window.ending(today)
    text_from, text_to = request.GET.get("from", ""), request.GET.get("to", "")
    if not text_from and not text_to:
        return default, ""
    try:
        day_from = date.fromisoformat(text_from) if text_from else default.day_from
        day_to = date.fromisoformat(text_to) if text_to else today
    except ValueError:
        return default, "Dates are written like 2026-11-01: showing the last 30 days."
    if day_from > day_to:
        return default, "The start is after the end: showing the last 30 days."
    if day_to > today:
        return default, f"The end is after today ({today:%Y-%m-%d}): showing the last 30 days."
    if (day_to - day_from).days >= MAX_WINDOW_DAYS:
        return default, f"At most {MAX_WINDOW_DAYS} days at once: showing the last 30 days."
    return selectors.Window(day_from, day_to), ""


def _records_url(window: selectors.Window, environment: str = "", category: str = "") -> str:
    query = {"from": window.day_from.isoformat(), "to": window.day_to.isoformat()}
    if environment:
        query["environment"] = environment
    if category:
        query["category"] = category
    return f"{reverse('finance-records')}?{urlencode(query)}"


@require_safe
@finance_only
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    window, range_error = _window(request, today)
    board = selectors.dashboard(today=today, window=window)
    context = {
        "board": board,
        "categories": [(name, color) for name, color in CATEGORY_COLORS.items()],
        "can_import": request.user.is_staff,
        "range_error": range_error,
        "is_default_window": window == selectors.Window.ending(today),
        "records_url": _records_url(window),
    }
    if board.has_costs:
        context["breakdown_svg"] = mark_safe(_breakdown_chart(board))  # noqa: S308 - escaped
        context["trend_svg"] = mark_safe(_trend_chart(board))  # noqa: S308 - escaped
    return render(request, "finance/dashboard.html", context)


@require_safe
@finance_only
def cost_records(request: HttpRequest) -> HttpResponse:
    """The cost records behind a figure: an environment and/or a category over the range."""
    window, range_error = _window(request, timezone.localdate())
    environment = request.GET.get("environment", "")
    category = request.GET.get("category", "")
    found = selectors.records(window=window, environment=environment, category=category)
    context = {
        "window": window,
        "range_error": range_error,
        "environment": environment,
        "category": category,
        "records": found,
        "total": sum((r.billed_cost for r in found), Decimal(0)),
        "back_url": f"{reverse('finance-dashboard')}?"
        + urlencode({"from": window.day_from.isoformat(), "to": window.day_to.isoformat()}),
    }
    return render(request, "finance/records.html", context)


@require_safe
@finance_only
def costs_csv(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    board = selectors.dashboard(today=today, window=_window(request, today)[0])
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
        title=f"Daily cost by category (average, {_span(board.window)})",
        money=formatting.compact_usd,
        link=lambda env, category: _records_url(board.window, env, category),
    )


def _trend_chart(board: selectors.Dashboard) -> str:
    return charts.trend_lines(
        [
            charts.Line(env.name, ENVIRONMENT_COLORS.get(env.slug, OTHER_COLOR), env.trend)
            for env in board.environments
        ],
        board.window.days,
        chart_id="trend-chart",
        title=f"Daily cost per environment, {_span(board.window)}",
        money=formatting.compact_usd,
        link=lambda env, day: _records_url(selectors.Window(day, day), env),
    )


def _span(window: selectors.Window) -> str:
    return f"{window.day_from:%d %b} – {window.day_to:%d %b %Y}"
