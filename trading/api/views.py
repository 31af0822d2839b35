"""edge-api, trading context: thin views (DESIGN.md "Public contract").

Each view parses with a serializer, then calls exactly one trading-core transaction function
or reads in one `run(database(), ...)` transaction (trading.api.selectors), and answers.
Refusals are typed trading-core errors mapped by trading.api.errors.exception_handler.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings
from rest_framework.utils import json
from rest_framework.views import APIView

from backoffice import roles
from infra.store import database
from infra.store.api import run
from trading.accounts import trader_id_for
from trading.api import edge_cache, errors, pagination, selectors
from trading.api import serializers as s
from trading.domain.errors import OrderNotCancelable
from trading.services.cancel import CancelOrder, cancel
from trading.services.place import PlaceOrder, new_order_id, place
from trading.snapshots import order_snapshot
from trading.tokens.auth import ApiTokenAuthentication
from trading.uow import execute

# --- the edge's policies, shared by ledger.api -----------------------------------------------


class EdgeTokenAuthentication(ApiTokenAuthentication):
    """`Authorization: Token <key>` (trading.tokens): revoked, expired or malformed is a 401."""


class IsTrader(permissions.BasePermission):
    message = "Only traders have orders, fills, positions and balances."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return roles.has_role(request.user, roles.TRADER)


class EdgeRateThrottle(edge_cache.WindowRateThrottle):
    """Per user; REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["edge-api"] overrides the default."""

    scope = "edge-api"
    default_rate = "6000/min"

    def get_rate(self) -> str:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return str(rates.get(self.scope) or self.default_rate)


class DecimalJSONParser(JSONParser):
    """JSON whose numbers are read as Decimal, exactly as written: never through a float."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json.loads(text, parse_float=Decimal)
        except ValueError as exc:  # bad JSON, NaN/Infinity, bad encoding, 4300+ digit ints
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:  # "[[[[..." nested deeper than the interpreter's stack
            raise ParseError("JSON parse error - nested too deeply") from None


class EdgeAPIView(APIView):
    authentication_classes = [EdgeTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, IsTrader]
    throttle_classes = [EdgeRateThrottle]
    parser_classes = [DecimalJSONParser]
    renderer_classes = [JSONRenderer]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        errors.check_body_size(request.META)  # 413 before anything reads the body
        super().initial(request, *args, **kwargs)

    def trader_id(self) -> str:
        return trader_id_for(self.request.user)  # type: ignore[arg-type]


def parse(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
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

ERROR_400 = OpenApiResponse(s.FIELD_ERRORS_SCHEMA, description="Refused: the fields at fault.")
ERROR_401 = OpenApiResponse(s.DETAIL_SCHEMA, description="No or bad token (or session).")
ERROR_403 = OpenApiResponse(s.DETAIL_SCHEMA, description="Signed in, but not a trader.")
ERROR_404 = OpenApiResponse(s.DETAIL_SCHEMA, description="Unknown id, or someone else's.")
ERROR_413 = OpenApiResponse(s.DETAIL_SCHEMA, description="Body over 64 kB.")
ERROR_415 = OpenApiResponse(s.DETAIL_SCHEMA, description="Body is not application/json.")
ERROR_429 = OpenApiResponse(s.DETAIL_SCHEMA, description="Throttled.")
READ_ERRORS = {401: ERROR_401, 403: ERROR_403, 429: ERROR_429}
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
        placed = execute(database(), place, command, now)
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
            return Response(order_snapshot(ended.order), status=status.HTTP_409_CONFLICT)  # type: ignore[attr-defined]
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
