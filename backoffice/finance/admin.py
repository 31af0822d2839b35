"""The finance admin: environments and their budgets, cost records, and the FOCUS CSV import.

Cost records are read-only here: they come from the seed or a FOCUS import (the "Import FOCUS
CSV" button of their list), which only the finance role may run.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from backoffice import admin_log
from backoffice.admin.base import Unwritable
from backoffice.audit.services import record
from backoffice.finance import focus, services
from backoffice.finance.models import CostRecord, Environment, TradingVolume
from kernel import roles

ERRORS_SHOWN = 500  # the page lists this many bad rows; the command prints them all

_M = TypeVar("_M", bound=models.Model)


def _finance(request: HttpRequest) -> bool:
    return roles.has_role(request.user, roles.FINANCE)


class FinanceAdmin(admin.ModelAdmin[_M]):
    """The finance role sees finance's models, whatever model permissions say."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _finance(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return _finance(request) or super().has_view_permission(request, obj)


class FocusUploadForm(forms.Form):
    file = forms.FileField(
        label="FOCUS CSV file",
        help_text="UTF-8 CSV with ChargePeriodStart, ServiceCategory, BilledCost, "
        "BillingCurrency and Environment (or Tags with env=...).",
    )


@admin.register(Environment)
class EnvironmentAdmin(FinanceAdmin[Environment]):
    list_display = ("name", "tag", "monthly_budget", "position")
    ordering = ("position", "name")
    search_fields = ("name",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Environment | None = None
    ) -> tuple[str, ...]:
        return ("name",) if obj is not None else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _finance(request) or super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Environment | None = None) -> bool:
        return _finance(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Environment | None = None) -> bool:
        return False  # its cost records keep it (PROTECT)

    def save_model(self, request: HttpRequest, obj: Environment, form: Any, change: bool) -> None:
        """Every write is audited: budgets by their service, other fields and adds here."""
        others = [name for name in form.changed_data if name != "monthly_budget"]
        with transaction.atomic():
            if change and "monthly_budget" in form.changed_data:
                if others:
                    obj.save(update_fields=others)
                services.environment_set_budget(
                    environment=obj, monthly_budget=obj.monthly_budget, user=request.user
                )
            else:
                super().save_model(request, obj, form, change)
            if others or not change:
                fields = others if change else list(form.fields)
                record(
                    user=request.user,
                    action="finance.environment.change" if change else "finance.environment.add",
                    target=obj.name,
                    before={n: str(form.initial.get(n, "")) for n in fields} if change else {},
                    after={n: str(form.cleaned_data.get(n, "")) for n in fields},
                )


@admin.register(CostRecord)
class CostRecordAdmin(Unwritable, FinanceAdmin[CostRecord]):
    change_list_template = "finance/admin/costrecord_change_list.html"
    list_display = (
        "charge_period_start",
        "environment",
        "service_category",
        "billed_cost",
        "billing_currency",
        "source",
    )
    list_filter = ("environment", "service_category", "source")
    date_hierarchy = "charge_period_start"
    list_select_related = ("environment",)
    list_per_page = 100

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "import-focus/",
            self.admin_site.admin_view(self.import_focus_view),
            name="finance_costrecord_import_focus",
        )
        return [upload, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra = {**(extra_context or {}), "can_import_focus": _finance(request)}
        return super().changelist_view(request, extra_context=extra)

    def import_focus_view(self, request: HttpRequest) -> HttpResponse:
        if not _finance(request):
            raise PermissionDenied("the finance role imports costs")
        result = None
        form = FocusUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = services.import_focus(upload, user=request.user, source=upload.name)
            if result.ok:
                admin_log.done_to_many(
                    request,
                    CostRecord,
                    f"FOCUS import {upload.name}",
                    f"{result.rows} rows: {result.created} cost records added,"
                    f" {result.updated} updated",
                )
                messages.success(
                    request,
                    f"Imported {upload.name}: {result.rows} rows "
                    f"({result.created} cost records added, {result.updated} updated).",
                )
                return redirect(reverse("admin:finance_costrecord_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import FOCUS CSV",
            "form": form,
            "result": result,
            "errors_shown": result.errors[:ERRORS_SHOWN] if result else (),
            "errors_hidden": max(len(result.errors) - ERRORS_SHOWN, 0) if result else 0,
            "columns": focus.REQUIRED_COLUMNS,
            "environments": Environment.objects.values_list("name", flat=True),
        }
        return TemplateResponse(request, "finance/admin/import_focus.html", context)


@admin.register(TradingVolume)
class TradingVolumeAdmin(Unwritable, FinanceAdmin[TradingVolume]):
    """A projection of the platform's orders and fills: read-only for every role."""

    list_display = ("day", "orders", "fills")
    date_hierarchy = "day"
