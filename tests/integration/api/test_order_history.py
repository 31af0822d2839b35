"""GET /api/v1/orders/{order_id}/history: the own order's projected deltas, in seq order."""

from __future__ import annotations

from rest_framework.test import APIClient

from backoffice import events as ev
from backoffice import projector
from infra.store.api import Database, run
from tests.support.api import SEED_ORDER, fill_seed_order, place
from trading import outbox


def project_outbox(db: Database) -> None:
    """trading-core's events as the projector applies them (the broker left out here)."""
    rows = run(db, lambda tr: outbox.read_after(tr, None, 10_000))
    events = [
        ev.Event(m.message_id, m.topic, m.created_at, m.payload)
        for _, m in rows
        if isinstance(m.payload, ev.OrderDelta | ev.FillEvent | ev.EntryEvent)
    ]
    projector.apply_events(events)


def test_the_own_order_history_in_seq_order(api, store):
    order_id = place(api, **SEED_ORDER)["order_id"]
    fill_seed_order(store, order_id)
    project_outbox(store)
    project_outbox(store)  # at least once: nothing twice

    answer = api.get(f"/api/v1/orders/{order_id}/history")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["next"] is None
    steps = body["results"]
    assert [s["seq"] for s in steps] == [1, 2, 3, 4, 5, 6]
    assert steps[-1]["state"] == "filled"
    assert steps[-1]["filled_quantity"] == "3"
    assert steps[0]["filled_quantity"] == "0"
    assert len({s["state"] for s in steps}) > 1
    assert set(steps[0]) == {"seq", "state", "filled_quantity", "updated_at"}
    snapshot = api.get(f"/api/v1/orders/{order_id}").json()
    assert (snapshot["seq"], snapshot["updated_at"]) == (6, steps[-1]["updated_at"])


def test_an_order_not_yet_projected_has_an_empty_history(api):
    order_id = place(api, **SEED_ORDER)["order_id"]
    answer = api.get(f"/api/v1/orders/{order_id}/history")
    assert answer.status_code == 200
    assert answer.json() == {"results": [], "next": None}


def test_another_traders_order_and_an_unknown_id_are_404(api, other_trader, store):
    order_id = place(api, **SEED_ORDER)["order_id"]
    project_outbox(store)
    assert other_trader.client().get(f"/api/v1/orders/{order_id}/history").status_code == 404
    assert api.get("/api/v1/orders/O-nothing/history").status_code == 404
    assert api.get(f"/api/v1/orders/{'x' * 500}/history").status_code == 404


def test_without_a_token_it_is_401(api, store):
    order_id = place(api, **SEED_ORDER)["order_id"]
    assert APIClient().get(f"/api/v1/orders/{order_id}/history").status_code == 401
