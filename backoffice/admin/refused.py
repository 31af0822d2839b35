"""Refused reports in the admin: those trading-core quarantined, and the dead letters."""

from __future__ import annotations

from django.contrib import admin

from backoffice.admin.base import ReadOnlyAdmin, pretty
from backoffice.models import DeadLetter, QuarantinedReport


@admin.register(QuarantinedReport)
class QuarantinedReportAdmin(ReadOnlyAdmin[QuarantinedReport]):
    """Mirrored from the store by the projector process (backoffice/mirror.py)."""

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
        return pretty(obj.record)


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
