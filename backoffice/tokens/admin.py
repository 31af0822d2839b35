"""API tokens in the admin: staff (can_operate) see, issue, rotate and revoke; each is audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from backoffice import admin_log
from backoffice.audit.services import record
from backoffice.permissions import can_operate
from trading.tokens import models


def _state(token: models.ApiToken) -> dict[str, str | None]:
    revoked = token.revoked_at.isoformat() if token.revoked_at else None
    return {"user": token.user.username, "prefix": token.prefix, "revoked_at": revoked}


def _audit(
    request: HttpRequest,
    action: str,
    token: models.ApiToken,
    before: Mapping[str, object],
    after: Mapping[str, object],
) -> None:
    record(
        user=request.user, action=action, target=f"api-token:{token.pk}", before=before, after=after
    )


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[models.ApiToken]):
    list_display = (
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name")
    fields = ("user", "name", "expires_at")
    actions = ["revoke_tokens", "rotate_tokens"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_operate(request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return can_operate(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_operate(request.user)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a token is issued, rotated or revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # revoked tokens stay, for the record

    def save_model(
        self, request: HttpRequest, obj: models.ApiToken, form: Any, change: bool
    ) -> None:  # `form`: the admin's form class, untyped in the stubs
        issued = models.issue(obj.user, obj.name, obj.expires_at)
        obj.pk, obj.key, obj.created_at = issued.pk, issued.key, issued.created_at
        _audit(request, "api-token.issue", issued, {}, _state(issued))
        messages.warning(request, f"New token for {issued.user}: {issued.key} (shown this once)")

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[models.ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            before = _state(token)
            _audit(request, "api-token.revoke", token, before, _state(models.revoke(token)))
            admin_log.changed(request, token, "Revoked")
        messages.success(request, "Revoked.")

    @admin.action(description="Rotate the selected tokens (new keys shown once)")
    def rotate_tokens(self, request: HttpRequest, queryset: QuerySet[models.ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            before = _state(token)
            new = models.rotate(token)
            _audit(
                request, "api-token.rotate", token, before, {**_state(token), "successor": new.pk}
            )
            admin_log.changed(request, token, f"Rotated: revoked, replaced by {new.prefix}…")
            admin_log.added(request, new, f"Issued by rotating {token.prefix}…")
            messages.warning(request, f"{token.prefix}… of {token.user} -> {new.key} (shown once)")
