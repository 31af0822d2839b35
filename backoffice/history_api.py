"""edge-api, one order's state history: the store says whose order it is, the read model its past.

The store keeps only an order's latest state; the projector keeps every delta it applied
(`OrderStateChange`), so the history is read from Django's database, after the store has
answered that the order is the trader's (404 otherwise, as GET /orders/{order_id}).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.models import OrderStateChange
from contracts.values import time_text
from infra.store import database
from infra.store.api import run
from kernel.edge import pagination
from kernel.edge.views import ERROR_404, READ_ERRORS, EdgeAPIView, Wire
from kernel.money import display
from trading.api import selectors
from trading.api.views import ORDER_ID, checked_order_id

# An order has a few dozen deltas at most (one per attempt's change): always one page.
MAX_ROWS = 1000


class StateChangeSerializer(serializers.Serializer[Wire]):
    seq = serializers.IntegerField(help_text="the order's seq after this change")
    state = serializers.CharField()
    filled_quantity = serializers.CharField(help_text="decimal as a string")
    updated_at = serializers.DateTimeField()


class StateChangePageSerializer(serializers.Serializer[Wire]):
    results = StateChangeSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="always null: one page")


def history(order_id: str) -> list[dict[str, Any]]:
    """The order's projected state changes, oldest (lowest seq) first."""
    rows = OrderStateChange.objects.filter(order_id=order_id).order_by("seq")[:MAX_ROWS]
    return [
        {
            "seq": row.seq,
            "state": row.state,
            "filled_quantity": display(row.filled_quantity),
            "updated_at": time_text(row.updated_at),
        }
        for row in rows
    ]


class OrderHistoryView(EdgeAPIView):
    @extend_schema(
        operation_id="orders_history",
        tags=["orders"],
        summary="The order's changes of state, in seq order",
        description="As the back office projected them: a change made a moment ago may be "
        "missing for a fraction of a second (the order's snapshot is always current).",
        parameters=[ORDER_ID],
        responses={200: StateChangePageSerializer, 404: ERROR_404, **READ_ERRORS},
    )
    def get(self, request: Request, order_id: str) -> Response:
        order_id, trader_id = checked_order_id(order_id), self.trader_id()
        run(database(), lambda tr: selectors.order(tr, trader_id, order_id))  # 404 if not theirs
        return Response(pagination.whole(history(order_id)))
