"""What every back-office admin page shares: read-only permissions, one detail view, displays."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from backoffice import admin_log, services
from backoffice.permissions import can_operate, can_view
from kernel.money import display

_M = TypeVar("_M", bound=Model)
_Parent = TypeVar("_Parent", bound=Model)

STATUS_CSS = {"all": ("backoffice/status.css",)}


class Unwritable:
    """Nobody adds, changes or deletes (a projection, a record of what happened)."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyPermissions(Unwritable):
    """Staff and finance see; nobody adds, changes or deletes; staff alone operates."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view(request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return can_view(request.user)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return can_operate(request.user)


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin[_M]):
    """A read model's pages; a detail page adds what `detail_context` reads for its row."""

    def detail_context(self, request: HttpRequest, obj: _M) -> dict[str, Any]:
        """More for the detail page's template (the store's view of the row, links)."""
        return {}

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        context = {
            "can_operate": can_operate(request.user),
            **(self.detail_context(request, obj) if obj is not None else {}),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def each_acted(
        self,
        request: HttpRequest,
        rows: Iterable[_M],
        label: Callable[[_M], str],
        act: Callable[[_M], tuple[str, str]],
    ) -> None:
        """`act` on each row through backoffice/services.py; it returns (what the message says,
        the "Recent actions" line). A refusal is an error message (the audit log keeps it)."""
        for row in rows:
            try:
                said, logged = act(row)
            except services.ActionRefused as refusal:
                self.message_user(request, f"{label(row)}: {refusal.message}", messages.ERROR)
                continue
            self.message_user(request, f"{label(row)}: {said}", messages.SUCCESS)
            admin_log.changed(request, row, logged)


def halted_word(halted: bool) -> str:
    return "halted" if halted else "resumed"


class ReadOnlyTabular(ReadOnlyPermissions, admin.TabularInline[_M, _Parent]):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


def back(request: HttpRequest) -> HttpResponseRedirect | None:
    """Back to the page an action was run from (a detail page's button), if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return HttpResponseRedirect(target)
    return None


def decimal(value: Decimal | None) -> str:
    return display(value) if value is not None else "—"


def plain(field: str, description: str = "") -> Callable[[object, Model], str]:
    """A decimal field shown as the API writes it ("3", not "3.00000000")."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def show(self: object, obj: Model) -> str:
        return decimal(getattr(obj, field))

    return show


def table(headers: list[str], rows: list[list[object]], css: str = "") -> str:
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
    )
    return format_html(
        '<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', css, head, body
    )


def status(halted: bool | None, circuit_open: bool = False) -> str:
    """A kill switch reads as a warning (red), an open circuit as amber, never a green check."""
    if halted is None:
        return "—"
    if halted:
        return format_html('<span class="bo-status halted">⚠ {}</span>', "halted")
    if circuit_open:
        return format_html('<span class="bo-status degraded">⚠ {}</span>', "circuit open")
    return format_html('<span class="bo-status ok">{}</span>', "trading")


def pretty(value: object) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, default=str))
