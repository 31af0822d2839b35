"""edge-api, ledger context: the trader's balances, read from the store's ledger."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from infra.store import database
from infra.store.api import run
from kernel.edge import pagination
from kernel.edge.views import READ_ERRORS, EdgeAPIView, Wire
from ledger.api import selectors


class BalanceSerializer(serializers.Serializer[Wire]):
    asset = serializers.CharField()
    total = serializers.CharField(help_text="decimal as a string: the ledger balance")
    available = serializers.CharField(help_text="decimal as a string: total - held")
    held = serializers.CharField(help_text="decimal as a string: reserved by open orders")


class BalancePageSerializer(serializers.Serializer[Wire]):
    results = BalanceSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="always null: one page")


class BalancesView(EdgeAPIView):
    @extend_schema(
        operation_id="balances_list",
        tags=["balances"],
        summary="The trader's balances per asset: total, available, held",
        responses={200: BalancePageSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        trader_id = self.trader_id()
        found = run(database(), lambda tr: selectors.balances(tr, trader_id))
        return Response(pagination.whole(found))
