"""/reports/...: each report as a page and as a CSV file (staff and finance)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backoffice import reports, trader_names
from backoffice.permissions import can_read_reports

View = Callable[[HttpRequest], HttpResponse]


POSITIONS_HEADER = [
    "trader_id",
    "trader_name",
    "instrument",
    "quantity",
    "average_cost",
    "realized_pnl",
    "mark_price",
    "unrealized_pnl",
]


def reader(view: View) -> View:
    """Signed in (else the login page), and staff or finance (else 403)."""

    @login_required
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if not can_read_reports(request.user):
            raise PermissionDenied("reports are for back-office staff and finance")
        return view(request)

    return checked


def _csv(name: str, header: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return response


@reader
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/reports/index.html", {"active": "index"})


@reader
def trial_balance(request: HttpRequest) -> HttpResponse:
    assets = reports.trial_balance()
    context = {
        "active": "trial-balance",
        "assets": assets,
        "balanced": all(a.balanced for a in assets),
        "trader_names": trader_names.names_in(a.account for s in assets for a in s.accounts),
    }
    return render(request, "backoffice/reports/trial_balance.html", context)


@reader
def trial_balance_csv(request: HttpRequest) -> HttpResponse:
    rows: list[list[str]] = []
    assets = reports.trial_balance()
    names = trader_names.names_in(a.account for s in assets for a in s.accounts)
    for asset in assets:
        rows += [
            [asset.asset, a.account, a.amount, _name_in(a.account, names)] for a in asset.accounts
        ]
        rows.append([asset.asset, "TOTAL", asset.total, ""])
    return _csv("trial-balance", ["asset", "account", "balance", "trader_name"], rows)


def _name_in(text: str, names: dict[str, str]) -> str:
    """The name of the trader `text` names ("" if none): the CSVs' trader_name column."""
    return ", ".join(names[i] for i in trader_names.ids_in(text) if i in names)


@reader
def positions(request: HttpRequest) -> HttpResponse:
    lines = reports.positions()
    names = trader_names.names_of(p.trader_id for p in lines)
    context = {"active": "positions", "lines": lines, "trader_names": names}
    return render(request, "backoffice/reports/positions.html", context)


@reader
def positions_csv(request: HttpRequest) -> HttpResponse:
    n = reports.number
    lines = reports.positions()
    names = trader_names.names_of(p.trader_id for p in lines)
    rows = [
        [
            p.trader_id,
            names.get(p.trader_id, ""),
            p.instrument,
            n(p.quantity),
            n(p.average_cost),
            n(p.realized_pnl),
            n(p.mark),
            n(p.unrealized_pnl),
        ]
        for p in lines
    ]
    return _csv("positions", POSITIONS_HEADER, rows)


@reader
def fills(request: HttpRequest) -> HttpResponse:
    context = {"active": "fills", "days": reports.fills_by_venue_and_day()}
    return render(request, "backoffice/reports/fills.html", context)


@reader
def fills_csv(request: HttpRequest) -> HttpResponse:
    n = reports.number
    rows = [
        [
            d.day.isoformat(),
            d.venue,
            d.instrument,
            d.fills,
            n(d.quantity),
            n(d.notional),
            n(d.fees),
            d.fee_asset,
        ]
        for d in reports.fills_by_venue_and_day()
    ]
    header = ["day", "venue", "instrument", "fills", "quantity", "notional", "fees", "fee_asset"]
    return _csv("fills-by-venue-and-day", header, rows)


@reader
def reconciliation(request: HttpRequest) -> HttpResponse:
    result = reports.reconciliation()
    names = trader_names.names_in(f.subject for f in result.findings)
    context = {"active": "reconciliation", "result": result, "trader_names": names}
    return render(request, "backoffice/reports/reconciliation.html", context)


@reader
def reconciliation_csv(request: HttpRequest) -> HttpResponse:
    result = reports.reconciliation()
    rows = [[f.check, f.subject, f.problem, f.store, f.read_model] for f in result.findings]
    return _csv("reconciliation", ["check", "subject", "problem", "store", "read_model"], rows)
