"""Traders in the admin: their store record and portfolio, halts, and manual adjustments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse

from backoffice import adjustment_views, selectors, services
from backoffice.admin.base import STATUS_CSS, ReadOnlyAdmin, back, halted_word, status
from backoffice.models import Trader
from kernel.ids import trader_id_for


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

    def get_list_display(
        self, request: HttpRequest
    ) -> tuple[str | Callable[[Trader], str | bool], ...]:
        known = selectors.store_traders()  # one store read per page, not one per row

        @admin.display(description="trading")
        def halted(obj: Trader) -> str:
            record = known.get(trader_id_for(obj))
            return status(None if record is None else record.halted)

        return ("username", "trader_id", halted, "is_active", "date_joined")

    def detail_context(self, request: HttpRequest, obj: Trader) -> dict[str, Any]:
        trader_id = trader_id_for(obj)
        return {
            "store_trader": selectors.store_trader(trader_id),
            "portfolio": selectors.trader_portfolio(trader_id),
            "adjust_url": reverse("admin:backoffice_trader_adjust") + f"?trader={obj.pk}",
        }

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
        def act(user: Trader) -> tuple[str, str]:
            trader_id = trader_id_for(user)
            services.trader_set_halted(user=request.user, trader_id=trader_id, halted=halted)
            return halted_word(halted), "Halted: no new orders" if halted else "Resumed"

        self.each_acted(request, queryset, lambda user: user.username, act)

    @admin.action(description="Halt the selected traders (no new orders)", permissions=["operate"])
    def halt_traders(self, request: HttpRequest, queryset: QuerySet[Trader]) -> HttpResponse | None:
        self._set(request, queryset, True)
        return back(request)

    @admin.action(description="Resume the selected traders", permissions=["operate"])
    def resume_traders(
        self, request: HttpRequest, queryset: QuerySet[Trader]
    ) -> HttpResponse | None:
        self._set(request, queryset, False)
        return back(request)
