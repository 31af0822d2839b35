"""The audit log: who did what to what, when, with the before and after. Append-only.

Rows of store actions are copies of the store's AuditRecords (backoffice/audit/store.py),
written in the action's own store transaction and copied here by `sync_from_store`:
`audit_id` makes the copy idempotent, `store_key` (the record's log key, hex) is where the
next copy resumes. Rows of Django-only actions (finance, ops) have neither.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLog(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    action = models.CharField(max_length=100)
    target = models.CharField(max_length=200)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    audit_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    store_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:  # Model.save's own signature
        if not self._state.adding:  # a row read from the table: never written again
            raise ValueError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("the audit log is append-only")
