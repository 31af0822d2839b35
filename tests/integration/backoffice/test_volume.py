"""Trading volume for finance's unit costs, counted by the projection from the platform's own
order and fill events: once per order and per fill, whatever is delivered twice or rebuilt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from django.test import Client

from backoffice import events as ev
from backoffice import selectors
from backoffice.finance import services
from backoffice.finance.models import TradingVolume
from backoffice.projection import project
from backoffice.rebuild import read_models_rebuild
from infra.store.api import run
from tests.integration.backoffice.conftest import Seed, place, user_in
from tests.support.reports import NOW, report
from trading.services.execution import apply_execution_report
from trading.snapshots import fill_event, order_delta


def events_of(db) -> list[ev.Event]:
    """The order and fill events trading-core published for what the store holds."""
    found: list[ev.Event] = []
    for item in selectors.store_orders(db):
        order = item.order
        found.append(ev.order_event(order_delta(order), order.created_at))
        for fill in item.fills:
            event = fill_event(
                fill, instrument=order.instrument, side=order.side.value, trader_id=order.trader_id
            )
            found.append(ev.fill_event(event, item.booked_at[fill.fill_id]))
    return found


def volume() -> dict:
    return {v.day: (v.orders, v.fills) for v in TradingVolume.objects.all()}


def test_each_order_and_fill_counts_once_on_its_day(seed: Seed):
    read_models_rebuild(seed.db)  # projects every order and fill through project()
    assert volume() == {NOW.date(): (1, 2)}  # the seed's order, filled in two fills
    project(events_of(seed.db))  # the same events delivered again
    assert volume() == {NOW.date(): (1, 2)}
    read_models_rebuild(seed.db)  # a rebuild projects everything again from an empty table
    assert volume() == {NOW.date(): (1, 2)}


def test_unit_costs_fill_in_from_the_platforms_own_orders_and_fills(seed: Seed):
    services.seed_costs(days=30)
    now = datetime.now(UTC)
    order_id = place(seed.db, seed.trader.trader_id, quantity="0.5")
    for step in (
        report(order_id, "EA-1", "SIM-A", "new", leaves="0.5"),
        report(order_id, "EA-1", "SIM-A", "trade", cum="0.5", qty="0.5", price="9980"),
    ):
        run(seed.db, partial(apply_execution_report, report=step, now=now))
    read_models_rebuild(seed.db)
    client = Client()
    client.force_login(user_in("finance"))
    answer = client.get("/finance/")
    unit = answer.context["board"].unit_costs
    # The new order's fill was booked today; the orders (and the seed's fills) on NOW's day
    # count while that day is inside the last 30 days.
    recent = NOW.date() > now.date() - timedelta(days=30)
    assert (unit.orders, unit.fills) == ((2, 3) if recent else (0, 1))
    assert unit.per_fill == unit.cost / unit.fills
    assert b"no trading volume yet" not in answer.content
