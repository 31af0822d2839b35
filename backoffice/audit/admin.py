from django.contrib import admin
from django.http import HttpRequest

from backoffice.audit.models import AuditLog
from backoffice.permissions import can_view


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes what happened."""

    list_display = ("at", "actor", "action", "target")
    list_filter = ("action",)
    search_fields = ("target", "actor__username", "action")
    date_hierarchy = "at"
    readonly_fields = ("at", "actor", "action", "target", "before", "after")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return can_view(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
