"""/reports/venue-vs-store: attempts whose state at the venue differs from the store's."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backoffice.report_views import reader
from infra.store import database
from infra.store.api import run
from trading.repository import Repository
from venues import runtime
from venues.recovery.drift import venue_vs_store


@reader
def venue_vs_store_page(request: HttpRequest) -> HttpResponse:
    venues = [v.name for v in run(database(), lambda tr: Repository(tr).venues())]
    compared, drifts = venue_vs_store(database(), runtime.client, venues)
    context = {
        "active": "venue-vs-store",
        "venues": venues,
        "compared": compared,
        "drifts": drifts,
    }
    return render(request, "backoffice/reports/venue_vs_store.html", context)
