"""Orders and fills in the admin; staff cancel open orders through trading-core."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from backoffice import selectors, services
from backoffice.admin.base import ReadOnlyAdmin, ReadOnlyTabular, back, decimal, plain, table
from backoffice.models import Fill, Order
from backoffice.trader_names import TraderNames

OPEN_STATES = ("new", "working", "partially_filled")
FILL_TRADE = ("side", "quantity_", "price_", "fee_", "fee_asset", "executed_at")


class FillTrade:
    """A fill's trade columns, decimals as the API writes them."""

    quantity_ = plain("quantity")
    price_ = plain("price")
    fee_ = plain("fee")


class FillInline(FillTrade, ReadOnlyTabular[Fill, Order]):
    model = Fill
    fk_name = "order"
    fields = ("fill_id", "attempt_id", "venue", "venue_fill_id", *FILL_TRADE)
    readonly_fields = fields
    ordering = ("executed_at", "fill_id")


@admin.register(Order)
class OrderAdmin(TraderNames, ReadOnlyAdmin[Order]):
    list_display = (
        "order_id",
        "trader",
        "instrument",
        "state",
        "progress",
        "avg_price",
        "seq",
        "updated_at",
    )
    list_filter = ("state", "instrument")
    search_fields = ("order_id", "trader_id")
    date_hierarchy = "updated_at"
    actions = ("cancel_orders",)
    inlines = (FillInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "order_id",
                    "trader",
                    "instrument",
                    ("state", "seq"),
                    ("quantity_", "filled_quantity_", "remaining_quantity_"),
                    "average_price_",
                    ("created_at", "updated_at"),
                )
            },
        ),
        ("Attempts", {"fields": ("attempts_table",)}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)
    quantity_ = plain("quantity")
    filled_quantity_ = plain("filled_quantity")
    remaining_quantity_ = plain("remaining_quantity")
    average_price_ = plain("average_price")

    @admin.display(description="filled")
    def progress(self, obj: Order) -> str:
        return f"{decimal(obj.filled_quantity)} / {decimal(obj.quantity)}"

    @admin.display(description="avg price", ordering="average_price")
    def avg_price(self, obj: Order) -> str:
        return decimal(obj.average_price)

    @admin.display(description="attempts")
    def attempts_table(self, obj: Order) -> str:
        rows: list[list[object]] = [
            [a["attempt_id"], a["venue"], a["quantity"], a["filled_quantity"], a["state"]]
            for a in obj.attempts
        ]
        return table(["attempt", "venue", "quantity", "filled", "state"], rows, "attempts")

    def detail_context(self, request: HttpRequest, obj: Order) -> dict[str, Any]:
        """The store's order beside the read model, and the venue reports as received."""
        detail = selectors.order_detail(obj.order_id)
        return {
            "store_order": detail.snapshot,
            "store_order_json": json.dumps(detail.snapshot, indent=2),
            "raw_reports": [
                {**r, "raw_json": json.dumps(r.get("raw"), indent=2, default=str)}
                for r in detail.raw_reports
            ],
            "order_open": bool(detail.snapshot and detail.snapshot["state"] in OPEN_STATES),
        }

    @admin.action(description="Cancel the selected orders (trading-core)", permissions=["operate"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        def cancel(order: Order) -> tuple[str, str]:
            state = services.order_cancel(user=request.user, order_id=order.order_id)
            return state, f"Cancel sent through trading-core: {state}"

        self.each_acted(request, queryset, lambda order: order.order_id, cancel)
        return back(request)


@admin.register(Fill)
class FillAdmin(FillTrade, TraderNames, ReadOnlyAdmin[Fill]):
    list_display = ("fill_id", "order", "trader", "venue", "instrument", *FILL_TRADE)
    list_filter = ("venue", "instrument", "side")
    search_fields = ("fill_id", "order__order_id", "venue_fill_id", "trader_id")
    date_hierarchy = "executed_at"
    list_select_related = ("order",)
