"""The trader's page at `/`: one template; the browser does the rest over the public contract.

The page talks only to the edge-api (`/api/v1/...`, session + CSRF) and the ws-gateway
(`/ws/v1/stream`, session); the view renders the shell, the venues the ticket may pin to,
and makes sure the CSRF cookie is set for the page's POSTs.
"""

from __future__ import annotations

from typing import get_args

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie

from contracts.trading import OrderState
from infra.store import database
from infra.store.api import Transaction, run
from kernel import roles
from trading.repository import Repository

API_ROOT = "/api/v1"
STREAM_PATH = "/ws/v1/stream"
# The contract's order states, for the blotter's filter.
ORDER_STATES: tuple[str, ...] = get_args(OrderState)


def venue_names(tr: Transaction) -> list[str]:
    """Every venue an order may be pinned to (halted ones too: the edge-api decides)."""
    return sorted(venue.name for venue in Repository(tr).venues())


@login_required
@ensure_csrf_cookie
def trader_page(request: HttpRequest) -> HttpResponse:
    is_trader = roles.has_role(request.user, roles.TRADER)
    home = roles.home(request.user)
    if not is_trader and home is not None:  # staff, finance and ops land on their own page
        return redirect(home)
    context = {
        "is_trader": is_trader,
        "venues": run(database(), venue_names) if is_trader else [],
        "api_root": API_ROOT,
        "order_states": ORDER_STATES,
        "stream_path": STREAM_PATH,
    }
    return render(request, "trading/trader.html", context)
