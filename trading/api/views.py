"""edge-api, trading context: thin views (DESIGN.md "Public contract").

Each view parses with a serializer, then calls exactly one trading-core transaction function
or reads in one `run(database(), ...)` transaction (trading.api.selectors), and answers.
Refusals are typed trading-core errors mapped by trading.api.errors.exception_handler.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from infra.store import database
from infra.store.api import run
from kernel.edge import pagination
from kernel.edge.views import (
    ERROR_400,
    ERROR_404,
    ERROR_413,
    ERROR_415,
    READ_ERRORS,
    EdgeAPIView,
    Wire,
)
from trading.api import selectors
from trading.api import serializers as s
from trading.services.cancel import CancelOrder, OrderNotCancelable, cancel
from trading.services.place import PlaceOrder, new_order_id, submit_order
from trading.snapshots import order_snapshot
from trading.uow import execute


def parse(serializer_class: type[Serializer[Wire]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def limit_of(query: dict[str, Any]) -> int:
    return int(query.get("limit") or pagination.DEFAULT_LIMIT)


def checked_order_id(order_id: str) -> str:
    if len(order_id) > s.MAX_ORDER_ID_CHARS:
        raise NotFound(f"no order {order_id[:16]}...")
    return order_id


# --- OpenAPI pieces ------------------------------------------------------------------------

ORDER_ID = OpenApiParameter(
    "order_id",
    {"type": "string", "minLength": 1, "maxLength": s.MAX_ORDER_ID_CHARS},
    OpenApiParameter.PATH,
    description="The platform's order id (order_id of the snapshot).",
)


# --- views ---------------------------------------------------------------------------------


class InstrumentsView(EdgeAPIView):
    permission_classes = [permissions.IsAuthenticated]  # reference data: any signed-in user

    @extend_schema(
        operation_id="instruments_list",
        tags=["instruments"],
        summary="Instruments and their quantity step, price tick and minimum quantity",
        responses={200: s.InstrumentPageSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(pagination.whole(run(database(), selectors.instruments)))


class OrdersView(EdgeAPIView):
    @extend_schema(
        operation_id="orders_list",
        tags=["orders"],
        summary="The trader's orders, newest first",
        parameters=[s.OrderListQuerySerializer],
        description="`created_after` is inclusive, `created_before` exclusive (ISO 8601).",
        responses={200: s.OrderPageSerializer, 400: ERROR_400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = parse(s.OrderListQuerySerializer, request.query_params)
        trader_id = self.trader_id()
        cursor = query.get("cursor")
        before = pagination.read_order_cursor(cursor, trader_id) if cursor else None
        where = selectors.OrderFilter(
            state=query.get("state"),
            instrument=query.get("instrument"),
            client_order_id=query.get("client_order_id"),
            created_after=query.get("created_after"),
            created_before=query.get("created_before"),
        )
        found = run(
            database(),
            lambda tr: selectors.orders_page(
                tr, trader_id, where, before=before, limit=limit_of(query)
            ),
        )
        next_cursor = None
        if found.next_position is not None:
            next_cursor = pagination.order_cursor(trader_id, found.next_position)
        return Response(pagination.page(request, found.results, next_cursor))

    @extend_schema(
        operation_id="orders_create",
        tags=["orders"],
        summary="Place an order",
        request=s.PlaceOrderSerializer,
        examples=[
            OpenApiExample(
                "The seed's order: buy 3 BTC at up to 10000 USD",
                value={
                    "client_order_id": "seed-1",
                    "instrument": "BTC-USD",
                    "side": "buy",
                    "quantity": "3.0",
                    "limit_price": "10000",
                },
                request_only=True,
            ),
            OpenApiExample(
                "A market sell of 0.5 ETH",
                value={"instrument": "ETH-USD", "side": "sell", "quantity": "0.5"},
                request_only=True,
            ),
        ],
        responses={
            201: OpenApiResponse(s.OrderSnapshotSerializer, description="Accepted."),
            200: OpenApiResponse(
                s.OrderSnapshotSerializer,
                description="The same client_order_id and body again: the first order.",
            ),
            400: ERROR_400,
            409: OpenApiResponse(
                s.CONFLICT_SCHEMA,
                description="client_order_id already used for a different order.",
            ),
            413: ERROR_413,
            415: ERROR_415,
            **READ_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        body = parse(s.PlaceOrderSerializer, request.data)
        command = PlaceOrder(trader_id=self.trader_id(), order_id=new_order_id(), **body)
        now = datetime.now(UTC)
        placed = submit_order(database(), command, now)
        return Response(
            order_snapshot(placed.order),
            status=status.HTTP_201_CREATED if placed.created else status.HTTP_200_OK,
        )


class OrderView(EdgeAPIView):
    @extend_schema(
        operation_id="orders_retrieve",
        tags=["orders"],
        summary="One order's snapshot",
        parameters=[ORDER_ID],
        responses={200: s.OrderSnapshotSerializer, 404: ERROR_404, **READ_ERRORS},
    )
    def get(self, request: Request, order_id: str) -> Response:
        order_id, trader_id = checked_order_id(order_id), self.trader_id()
        return Response(run(database(), lambda tr: selectors.order(tr, trader_id, order_id)))


class CancelOrderView(EdgeAPIView):
    @extend_schema(
        operation_id="orders_cancel",
        tags=["orders"],
        summary="Ask for the order's end",
        parameters=[ORDER_ID],
        request=None,
        responses={
            202: OpenApiResponse(
                s.OrderSnapshotSerializer, description="cancel_pending, or canceled at once."
            ),
            409: OpenApiResponse(
                s.OrderSnapshotSerializer, description="Already ended: its snapshot."
            ),
            404: ERROR_404,
            413: ERROR_413,
            **READ_ERRORS,
        },
    )
    def post(self, request: Request, order_id: str) -> Response:
        order_id, trader_id = checked_order_id(order_id), self.trader_id()
        now = datetime.now(UTC)
        try:
            order = execute(database(), cancel, CancelOrder(order_id, trader_id), now)
        except OrderNotCancelable as ended:
            if ended.order is None:  # no snapshot to answer with: the handler's plain 409
                raise
            return Response(order_snapshot(ended.order), status=status.HTTP_409_CONFLICT)
        return Response(order_snapshot(order), status=status.HTTP_202_ACCEPTED)


class FillsView(EdgeAPIView):
    @extend_schema(
        operation_id="fills_list",
        tags=["fills"],
        summary="The trader's fills, newest first",
        parameters=[s.FillListQuerySerializer],
        responses={200: s.FillPageSerializer, 400: ERROR_400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = parse(s.FillListQuerySerializer, request.query_params)
        trader_id = self.trader_id()
        cursor = query.get("cursor")
        before, seen = pagination.read_fill_cursor(cursor, trader_id) if cursor else (None, 0)
        found = run(
            database(),
            lambda tr: selectors.fills_page(
                tr,
                trader_id,
                order_id=query.get("order_id"),
                instrument=query.get("instrument"),
                before=before,
                seen=seen,
                limit=limit_of(query),
            ),
        )
        next_cursor = None
        if found.next_position is not None:
            next_cursor = pagination.fill_cursor(trader_id, *found.next_position)
        return Response(pagination.page(request, found.results, next_cursor))


class PositionsView(EdgeAPIView):
    @extend_schema(
        operation_id="positions_list",
        tags=["positions"],
        summary="The trader's positions, with unrealized PnL at the best venue mark",
        responses={200: s.PositionPageSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        trader_id = self.trader_id()
        return Response(
            pagination.whole(run(database(), lambda tr: selectors.positions(tr, trader_id)))
        )
