"""Reference data in the admin: instruments, and venues with their kill switch.

These rows are mirrored from the store by the projector process (backoffice/mirror.py), never
when a page is read; a halt or resume done here is mirrored at once.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from backoffice import mirror, services
from backoffice.admin.base import STATUS_CSS, ReadOnlyAdmin, halted_word, plain, status
from backoffice.models import Instrument, Venue


@admin.register(Instrument)
class InstrumentAdmin(ReadOnlyAdmin[Instrument]):
    list_display = ("symbol", "base", "quote", "quantity_step_", "price_tick_", "min_quantity_")
    search_fields = ("symbol",)
    fields = list_display
    readonly_fields = fields
    quantity_step_ = plain("quantity_step", "quantity step")
    price_tick_ = plain("price_tick", "price tick")
    min_quantity_ = plain("min_quantity", "minimum quantity")


@admin.register(Venue)
class VenueAdmin(ReadOnlyAdmin[Venue]):
    list_display = ("name", "taker_fee_rate_", "state")
    list_filter = ("halted", "circuit_open")
    search_fields = ("name",)
    fields = ("name", "taker_fee_rate_", "state")  # never the boolean icons: halted is a warning
    readonly_fields = fields
    taker_fee_rate_ = plain("taker_fee_rate", "taker fee rate")
    actions = ("halt_venues", "resume_venues")

    class Media:
        css = STATUS_CSS

    @admin.display(description="state", ordering="halted")
    def state(self, obj: Venue) -> str:
        return status(obj.halted, obj.circuit_open)

    def _set(self, request: HttpRequest, queryset: QuerySet[Venue], halted: bool) -> None:
        def act(venue: Venue) -> tuple[str, str]:
            services.venue_set_halted(user=request.user, venue=venue.name, halted=halted)
            return halted_word(halted), "Halted (kill switch)" if halted else "Resumed"

        self.each_acted(request, queryset, lambda venue: venue.name, act)
        mirror.mirror_reference()  # the data changed here: the list shows it at once

    @admin.action(description="Halt the selected venues (kill switch)", permissions=["operate"])
    def halt_venues(self, request: HttpRequest, queryset: QuerySet[Venue]) -> None:
        self._set(request, queryset, True)

    @admin.action(description="Resume the selected venues", permissions=["operate"])
    def resume_venues(self, request: HttpRequest, queryset: QuerySet[Venue]) -> None:
        self._set(request, queryset, False)
