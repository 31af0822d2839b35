"""The admin's manual adjustment pages (hooked into TraderAdmin): post one, approve the big ones.

The submission id lives in the page's address (`?submission=<uuid>`), so a reload or the
browser's Back shows the same form with the same id, and the page says truthfully when that id
was already used. Everything is decided by trading-core in the store transaction
(trading/services/adjustments.py) through backoffice/services.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse

from backoffice import admin_log, services
from backoffice.forms import AdjustmentForm
from backoffice.models import Trader
from infra.store import database
from infra.store.api import run
from kernel.ids import trader_id_for
from trading.repository import Repository
from trading.services import adjustments
from trading.services.reference import known_assets


def _assets() -> list[str]:
    return sorted(run(database(), lambda tr: known_assets(Repository(tr))))


def _submission(request: HttpRequest) -> str | None:
    try:
        return str(uuid.UUID(request.GET.get("submission", "")))
    except ValueError:
        return None


def adjust_view(model_admin: admin.ModelAdmin[Trader], request: HttpRequest) -> HttpResponse:
    """GET: the form (a new submission id in the address first); POST: the adjustment."""
    submission = _submission(request)
    if submission is None and request.method != "POST":
        query = QueryDict(mutable=True)
        if request.GET.get("trader"):
            query["trader"] = request.GET["trader"]
        query["submission"] = str(uuid.uuid4())
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
    assets = _assets()
    if request.method == "POST":
        form = AdjustmentForm(request.POST, assets=assets)
        if form.is_valid():
            outcome = _post(model_admin, request, form)
            if outcome is not None:
                trader = form.cleaned_data["trader"]
                return HttpResponseRedirect(
                    reverse("admin:backoffice_trader_change", args=[trader.pk])
                )
    else:
        initial = {"trader": request.GET.get("trader"), "submission_id": submission}
        form = AdjustmentForm(initial=initial, assets=assets)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Post a manual adjustment",
        "form": form,
        "opts": model_admin.model._meta,
        "submitted": services.adjustment_request(submission) if submission else None,
        "submission": submission,
        "new_url": f"{request.path}?trader={request.GET.get('trader', '')}",
        "pending_url": reverse("admin:backoffice_trader_adjust_pending"),
        "approval_over": services.approval_limits(),
    }
    return TemplateResponse(request, "admin/backoffice/trader/adjust.html", context)


def _post(
    model_admin: admin.ModelAdmin[Trader],
    request: HttpRequest,
    form: AdjustmentForm,
) -> adjustments.Outcome | None:
    data = form.cleaned_data
    try:
        outcome = services.adjustment_post(
            user=request.user,
            trader_id=trader_id_for(data["trader"]),
            asset=data["asset"],
            amount=data["amount"],
            reason=data["reason"],
            submission_id=str(data["submission_id"]),
        )
    except services.ActionRefused as refusal:
        form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        return None
    done = outcome.request
    text = f"{done.amount} {done.asset} to {data['trader']}"
    if outcome.repeated:
        model_admin.message_user(
            request,
            f"This adjustment was already submitted ({done.state}): nothing changed.",
            messages.WARNING,
        )
    elif done.state == adjustments.PENDING:
        model_admin.message_user(
            request,
            f"{text} is pending: over the four-eyes limit, it is posted when another staff "
            "member approves it (Pending adjustments).",
            messages.WARNING,
        )
    else:
        model_admin.message_user(request, f"{text} posted.", messages.SUCCESS)
    if not outcome.repeated:
        word = "requested, pending approval" if done.state == adjustments.PENDING else "posted"
        admin_log.changed(
            request, data["trader"], f"Adjustment {done.amount} {done.asset} {word}: {done.reason}"
        )
    return outcome


def _trader(trader_id: str) -> Trader | None:
    """The Django user of a store trader id ("T<pk>"), if there is one."""
    pk = trader_id.removeprefix("T")
    return Trader.objects.filter(pk=int(pk)).first() if pk.isdigit() else None


def pending_view(model_admin: admin.ModelAdmin[Trader], request: HttpRequest) -> HttpResponse:
    """Adjustments over the limit, waiting for a second staff member: approve or reject."""
    if request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        submission_id = request.POST.get("submission_id", "")
        try:
            outcome = services.adjustment_decide(
                user=request.user, submission_id=submission_id, approve=approve
            )
        except services.ActionRefused as refusal:
            model_admin.message_user(request, refusal.message, messages.ERROR)
        else:
            done = outcome.request
            word = "was already " if outcome.repeated else ""
            trader = _trader(done.trader_id)
            if trader is not None and not outcome.repeated:
                admin_log.changed(
                    request,
                    trader,
                    f"Adjustment {done.amount} {done.asset} {done.state}"
                    f" (requested by {done.requested_by})",
                )
            model_admin.message_user(
                request,
                f"{done.amount} {done.asset} for {done.trader_id} {word}{done.state}.",
                messages.WARNING if outcome.repeated else messages.SUCCESS,
            )
        return HttpResponseRedirect(request.path)
    names = {trader_id_for(t): t.username for t in Trader.objects.all()}
    rows: list[dict[str, Any]] = [
        {"request": r, "trader": names.get(r.trader_id, r.trader_id)}
        for r in services.pending_adjustments()
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Pending adjustments (four eyes)",
        "rows": rows,
        "opts": model_admin.model._meta,
        "me": request.user.get_username(),
    }
    return TemplateResponse(request, "admin/backoffice/trader/pending_adjustments.html", context)
