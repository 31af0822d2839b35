"""The back office in Django's admin: read models read-only, actions through trading-core.

Every table here is a projection (or a mirror) of the store, so nobody adds, changes or
deletes a row; staff's actions (cancel, halt/resume, adjustments) call backoffice/services.py,
which calls trading-core and writes the audit log. Who sees and does what:
backoffice/permissions.py.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from backoffice import adjustment_views, admin_log, selectors, services
from backoffice.models import (
    Balance,
    DeadLetter,
    Fill,
    Instrument,
    LedgerEntry,
    Order,
    Position,
    Posting,
    QuarantinedReport,
    Trader,
    Venue,
)
from backoffice.permissions import can_operate, can_view
from backoffice.rebuild import quarantined_sync, reference_sync
from backoffice.trader_names import TraderNames
from kernel.ids import trader_id_for
from kernel.money import display
from trading.domain.positions import Position as PositionMath

admin.site.site_header = "Back office"
admin.site.site_title = "Back office"
admin.site.index_title = "Back office"

_M = TypeVar("_M", bound=Model)
_Parent = TypeVar("_Parent", bound=Model)


class ReadOnlyPermissions:
    """Staff and finance see; nobody adds, changes or deletes; staff alone operates."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view(request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return can_view(request.user)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return can_operate(request.user)


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin[_M]):
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {"can_operate": can_operate(request.user), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)


class ReadOnlyTabular(ReadOnlyPermissions, admin.TabularInline[_M, _Parent]):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


def _back(request: HttpRequest) -> HttpResponseRedirect | None:
    """Back to the page an action was run from (a detail page's button), if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return HttpResponseRedirect(target)
    return None


def _decimal(value: Decimal | None) -> str:
    return display(value) if value is not None else "—"


def _plain(field: str, description: str = "") -> Any:
    """A decimal field shown as the API writes it ("3", not "3.00000000")."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def show(self: Any, obj: Any) -> str:
        return _decimal(getattr(obj, field))

    return show


def _table(headers: list[str], rows: list[list[Any]], css: str = "") -> str:
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
    )
    return format_html(
        '<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', css, head, body
    )


# --- orders -------------------------------------------------------------------------------------


class FillInline(ReadOnlyTabular[Fill, Order]):
    model = Fill
    fk_name = "order"
    fields = (
        "fill_id",
        "attempt_id",
        "venue",
        "venue_fill_id",
        "side",
        "quantity_",
        "price_",
        "fee_",
        "fee_asset",
        "executed_at",
    )
    readonly_fields = fields
    ordering = ("executed_at", "fill_id")
    quantity_ = _plain("quantity")
    price_ = _plain("price")
    fee_ = _plain("fee")


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
    readonly_fields = (
        "order_id",
        "trader",
        "instrument",
        "state",
        "seq",
        "quantity_",
        "filled_quantity_",
        "remaining_quantity_",
        "average_price_",
        "created_at",
        "updated_at",
        "attempts_table",
    )
    quantity_ = _plain("quantity")
    filled_quantity_ = _plain("filled_quantity")
    remaining_quantity_ = _plain("remaining_quantity")
    average_price_ = _plain("average_price")

    @admin.display(description="filled")
    def progress(self, obj: Order) -> str:
        return f"{_decimal(obj.filled_quantity)} / {_decimal(obj.quantity)}"

    @admin.display(description="avg price", ordering="average_price")
    def avg_price(self, obj: Order) -> str:
        return _decimal(obj.average_price)

    @admin.display(description="attempts")
    def attempts_table(self, obj: Order) -> str:
        rows = [
            [a["attempt_id"], a["venue"], a["quantity"], a["filled_quantity"], a["state"]]
            for a in obj.attempts
        ]
        return _table(["attempt", "venue", "quantity", "filled", "state"], rows, "attempts")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        order = self.get_object(request, object_id)
        context: dict[str, Any] = {}
        if order is not None:
            detail = selectors.order_detail(order.order_id)
            context = {
                "store_order": detail.snapshot,
                "store_order_json": json.dumps(detail.snapshot, indent=2),
                "raw_reports": [
                    {**r, "raw_json": json.dumps(r.get("raw"), indent=2, default=str)}
                    for r in detail.raw_reports
                ],
                "order_open": bool(
                    detail.snapshot
                    and detail.snapshot["state"] in ("new", "working", "partially_filled")
                ),
            }
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    @admin.action(description="Cancel the selected orders (trading-core)", permissions=["operate"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        for order in queryset:
            try:
                state = services.order_cancel(user=request.user, order_id=order.order_id)
                self.message_user(request, f"{order.order_id}: {state}", messages.SUCCESS)
                admin_log.changed(request, order, f"Cancel sent through trading-core: {state}")
            except services.ActionRefused as refusal:
                self.message_user(request, f"{order.order_id}: {refusal.message}", messages.ERROR)
        return _back(request)


@admin.register(Fill)
class FillAdmin(TraderNames, ReadOnlyAdmin[Fill]):
    list_display = (
        "fill_id",
        "order",
        "trader",
        "venue",
        "instrument",
        "side",
        "quantity_",
        "price_",
        "fee_",
        "fee_asset",
        "executed_at",
    )
    quantity_ = _plain("quantity")
    price_ = _plain("price")
    fee_ = _plain("fee")
    list_filter = ("venue", "instrument", "side")
    search_fields = ("fill_id", "order__order_id", "venue_fill_id", "trader_id")
    date_hierarchy = "executed_at"
    list_select_related = ("order",)


# --- ledger -------------------------------------------------------------------------------------


class PostingInline(ReadOnlyTabular[Posting, LedgerEntry]):
    model = Posting
    fields = ("account", "asset", "amount")
    readonly_fields = fields


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin[LedgerEntry]):
    list_display = ("entry_id", "kind", "order_id", "memo", "created_at")
    list_filter = ("kind",)
    search_fields = ("entry_id", "order_id", "memo", "postings__account")
    date_hierarchy = "created_at"
    fields = ("entry_id", "kind", "order_id", "memo", "reverses", "created_at")
    readonly_fields = fields
    inlines = (PostingInline,)


class AccountKind(admin.SimpleListFilter):
    title = "account kind"
    parameter_name = "kind"
    PREFIXES = {
        "trader": "trader:",
        "venue": "venue:",
        "external": "external:",
        "adjustments": "adjustments",
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(k, k) for k in self.PREFIXES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        prefix = self.PREFIXES.get(self.value() or "")
        return queryset.filter(account__startswith=prefix) if prefix else queryset


@admin.register(Balance)
class BalanceAdmin(TraderNames, ReadOnlyAdmin[Balance]):
    list_display = ("account_named", "asset", "amount")
    trader_text_fields = ("account",)
    list_filter = ("asset", AccountKind)
    search_fields = ("account",)
    fields = ("account", "asset", "amount")
    readonly_fields = fields


@admin.register(Position)
class PositionAdmin(TraderNames, ReadOnlyAdmin[Position]):
    list_display = ("trader", "instrument", "quantity_", "average_cost", "realized_pnl_")
    list_filter = ("instrument",)
    search_fields = ("trader_id",)
    fields = (
        "trader",
        "instrument",
        "quantity_",
        "average_cost",
        "cost_basis_",
        "realized_pnl_",
    )
    readonly_fields = fields
    quantity_ = _plain("quantity")
    cost_basis_ = _plain("cost_basis", "cost basis")
    realized_pnl_ = _plain("realized_pnl", "realized PnL")

    @admin.display(description="average cost")
    def average_cost(self, obj: Position) -> str:
        math = PositionMath(obj.trader_id, obj.instrument, obj.quantity, obj.cost_basis)
        return _decimal(math.average_cost)


# --- reference data (mirrored from the store when listed) ---------------------------------------


@admin.register(Instrument)
class InstrumentAdmin(ReadOnlyAdmin[Instrument]):
    list_display = ("symbol", "base", "quote", "quantity_step_", "price_tick_", "min_quantity_")
    search_fields = ("symbol",)
    fields = list_display
    readonly_fields = fields
    quantity_step_ = _plain("quantity_step", "quantity step")
    price_tick_ = _plain("price_tick", "price tick")
    min_quantity_ = _plain("min_quantity", "minimum quantity")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        reference_sync()
        return super().changelist_view(request, extra_context)


STATUS_CSS = {"all": ("backoffice/status.css",)}


def _status(halted: bool | None, circuit_open: bool = False) -> str:
    """A kill switch reads as a warning (red), an open circuit as amber, never a green check."""
    if halted is None:
        return "—"
    if halted:
        return format_html('<span class="bo-status halted">⚠ {}</span>', "halted")
    if circuit_open:
        return format_html('<span class="bo-status degraded">⚠ {}</span>', "circuit open")
    return format_html('<span class="bo-status ok">{}</span>', "trading")


@admin.register(Venue)
class VenueAdmin(ReadOnlyAdmin[Venue]):
    list_display = ("name", "taker_fee_rate_", "state")
    list_filter = ("halted", "circuit_open")
    search_fields = ("name",)
    fields = ("name", "taker_fee_rate_", "state")  # never the boolean icons: halted is a warning
    readonly_fields = fields
    taker_fee_rate_ = _plain("taker_fee_rate", "taker fee rate")
    actions = ("halt_venues", "resume_venues")

    class Media:
        css = STATUS_CSS

    @admin.display(description="state", ordering="halted")
    def state(self, obj: Venue) -> str:
        return _status(obj.halted, obj.circuit_open)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method == "GET":
            reference_sync()
        return super().changelist_view(request, extra_context)

    def _set(self, request: HttpRequest, queryset: QuerySet[Venue], halted: bool) -> None:
        for venue in queryset:
            try:
                services.venue_set_halted(user=request.user, venue=venue.name, halted=halted)
                word = "halted" if halted else "resumed"
                self.message_user(request, f"{venue.name}: {word}", messages.SUCCESS)
                admin_log.changed(request, venue, "Halted (kill switch)" if halted else "Resumed")
            except services.ActionRefused as refusal:
                self.message_user(request, f"{venue.name}: {refusal.message}", messages.ERROR)
        reference_sync()

    @admin.action(description="Halt the selected venues (kill switch)", permissions=["operate"])
    def halt_venues(self, request: HttpRequest, queryset: QuerySet[Venue]) -> None:
        self._set(request, queryset, True)

    @admin.action(description="Resume the selected venues", permissions=["operate"])
    def resume_venues(self, request: HttpRequest, queryset: QuerySet[Venue]) -> None:
        self._set(request, queryset, False)


# --- traders ------------------------------------------------------------------------------------


@admin.register(Trader)
class TraderAdmin(ReadOnlyAdmin[Trader]):
    search_fields = ("username", "email")
    list_filter = ("is_active",)
    date_hierarchy = "date_joined"
    fields = ("username", "trader_id", "email", "is_active", "date_joined", "last_login")
    readonly_fields = fields
    actions = ("halt_traders", "resume_traders")

    class Media:
        css = STATUS_CSS

    @admin.display(description="trader id")
    def trader_id(self, obj: Trader) -> str:
        return trader_id_for(obj)

    def get_list_display(self, request: HttpRequest) -> tuple[Any, ...]:
        known = selectors.store_traders()  # one store read per page, not one per row

        @admin.display(description="trading")
        def halted(obj: Trader) -> str:
            record = known.get(trader_id_for(obj))
            return _status(None if record is None else record.halted)

        return ("username", "trader_id", halted, "is_active", "date_joined")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        user = self.get_object(request, object_id)
        context: dict[str, Any] = {}
        if user is not None:
            trader_id = trader_id_for(user)
            context = {
                "store_trader": selectors.store_trader(trader_id),
                "portfolio": selectors.trader_portfolio(trader_id),
                "adjust_url": reverse("admin:backoffice_trader_adjust") + f"?trader={user.pk}",
            }
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def get_urls(self) -> list[URLPattern]:
        adjust = path(
            "adjust/",
            self.admin_site.admin_view(self.adjust_view),
            name="backoffice_trader_adjust",
        )
        pending = path(
            "adjust/pending/",
            self.admin_site.admin_view(self.pending_adjustments_view),
            name="backoffice_trader_adjust_pending",
        )
        return [adjust, pending, *super().get_urls()]

    def adjust_view(self, request: HttpRequest) -> HttpResponse:
        """Post a manual adjustment (backoffice/adjustment_views.py)."""
        if not self.has_operate_permission(request):
            raise PermissionDenied
        return adjustment_views.adjust_view(self, request)

    def pending_adjustments_view(self, request: HttpRequest) -> HttpResponse:
        """Approve or reject adjustments over the four-eyes limit."""
        if not self.has_operate_permission(request):
            raise PermissionDenied
        return adjustment_views.pending_view(self, request)

    def _set(self, request: HttpRequest, queryset: QuerySet[Trader], halted: bool) -> None:
        for user in queryset:
            try:
                services.trader_set_halted(
                    user=request.user, trader_id=trader_id_for(user), halted=halted
                )
                word = "halted" if halted else "resumed"
                self.message_user(request, f"{user.username}: {word}", messages.SUCCESS)
                admin_log.changed(request, user, "Halted: no new orders" if halted else "Resumed")
            except services.ActionRefused as refusal:
                self.message_user(request, f"{user.username}: {refusal.message}", messages.ERROR)

    @admin.action(description="Halt the selected traders (no new orders)", permissions=["operate"])
    def halt_traders(self, request: HttpRequest, queryset: QuerySet[Trader]) -> HttpResponse | None:
        self._set(request, queryset, True)
        return _back(request)

    @admin.action(description="Resume the selected traders", permissions=["operate"])
    def resume_traders(
        self, request: HttpRequest, queryset: QuerySet[Trader]
    ) -> HttpResponse | None:
        self._set(request, queryset, False)
        return _back(request)


# --- refused and dead-lettered reports ----------------------------------------------------------


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, default=str))


@admin.register(QuarantinedReport)
class QuarantinedReportAdmin(ReadOnlyAdmin[QuarantinedReport]):
    list_display = ("received_at", "venue", "exec_id", "order_id", "exec_type", "reason")
    list_filter = ("venue", "exec_type")
    search_fields = ("exec_id", "order_id", "reason")
    date_hierarchy = "received_at"
    fields = (
        "venue",
        "exec_id",
        "order_id",
        "attempt_id",
        "exec_type",
        "reason",
        "received_at",
        "record_json",
    )
    readonly_fields = fields

    @admin.display(description="report")
    def record_json(self, obj: QuarantinedReport) -> str:
        return _pretty(obj.record)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        quarantined_sync()  # quarantines have no event: the store is read when listed
        return super().changelist_view(request, extra_context)


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin[DeadLetter]):
    list_display = ("dead_lettered_at", "source", "reason", "key")
    list_filter = ("topic",)
    search_fields = ("reason", "key", "value", "source")
    date_hierarchy = "dead_lettered_at"
    fields = (
        "message_id",
        "topic",
        "partition",
        "offset",
        "source",
        "reason",
        "key",
        "value",
        "dead_lettered_at",
    )
    readonly_fields = fields
