from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from backoffice.admin.base import Unwritable
from backoffice.audit.models import AuditLog
from backoffice.audit.services import sync_quietly
from backoffice.permissions import can_view
from backoffice.trader_names import TraderNames


@admin.register(AuditLog)
class AuditLogAdmin(Unwritable, TraderNames, admin.ModelAdmin[AuditLog]):
    """Read-only: nobody edits or deletes what happened."""

    list_display = ("at", "actor", "action", "target_named")
    trader_text_fields = ("target",)
    list_filter = ("action",)
    search_fields = ("target", "actor__username", "action")
    date_hierarchy = "at"
    readonly_fields = ("at", "actor", "action", "target_named", "before", "after", "audit_id")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        sync_quietly()  # records a crash kept from being copied yet are in the store: copy them
        return super().changelist_view(request, extra_context)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return can_view(request.user) or super().has_view_permission(request, obj)
