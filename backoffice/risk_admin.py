"""The admin's risk limits page, /admin/risk-limits/: every stored scope, and a form to edit one.

Staff (can_operate) edit, finance (can_view) reads. A scope is (trader or every trader,
instrument or every instrument); a field left empty is inherited from the wider scope. Each
save goes through backoffice/risk_limits.py (one store transaction, audited there).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from backoffice import admin_log, risk_limits
from backoffice.models import Trader
from backoffice.permissions import can_operate, can_view
from backoffice.services import ActionRefused
from kernel.ids import trader_id_for
from trading.domain.risk import ANY, LIMIT_NAMES, Limits

HELP = {
    "max_order_quantity": "Base units per order, e.g. 25 (BTC).",
    "max_order_notional": "Quote units per order (quantity x price), e.g. 250000 (USD).",
    "max_open_notional": "Quote units of the trader's open orders, both sides, this one included.",
    "max_position": "Base units: |position| if this order and the open ones on its side filled.",
    "price_band": "A fraction: 0.05 refuses a buy limit over 5% above the best ask "
    "(a sell under 5% below the best bid).",
    "orders_per_second": "Accepted orders per trader per second, every instrument "
    "(set it with instrument = every instrument).",
}


class LimitsForm(forms.Form):
    """One scope's limits, as text: empty = inherited (trading-core parses and checks them).

    The scope is fixed by the page's address (hidden here): changing it is opening another
    scope, so the values shown are always that scope's own.
    """

    trader = forms.ChoiceField(choices=(), widget=forms.HiddenInput)
    instrument = forms.ChoiceField(choices=(), widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        traders: list[tuple[str, str]],
        instruments: list[str],
        inherited: Limits | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["trader"].choices = [(ANY, "every trader"), *traders]  # type: ignore[attr-defined]
        self.fields["instrument"].choices = [  # type: ignore[attr-defined]
            (ANY, "every instrument"),
            *[(i, i) for i in instruments],
        ]
        wider = (inherited or Limits()).as_dict()
        for name in LIMIT_NAMES:
            shown = f"inherited: {wider[name]}" if wider[name] else "inherited: not limited"
            self.fields[name] = forms.CharField(
                required=False,
                max_length=40,
                help_text=HELP[name],
                widget=forms.TextInput(
                    attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": shown}
                ),
            )


def _traders() -> list[tuple[str, str]]:
    return [(trader_id_for(t), f"{t.username} ({trader_id_for(t)})") for t in Trader.objects.all()]


def _initial(trader_id: str, instrument: str) -> dict[str, Any]:
    limits = risk_limits.scope_limits(trader_id, instrument)
    shown = {k: v or "" for k, v in limits.as_dict().items()}
    return {"trader": trader_id, "instrument": instrument, **shown}


def limits_view(request: HttpRequest) -> HttpResponse:
    """GET: the scopes, a scope picker and the form of the scope in ?trader=&instrument=;
    POST: save that scope."""
    if not can_view(request.user):
        raise PermissionDenied("only back-office staff and finance see the risk limits")
    traders, instruments = _traders(), risk_limits.instruments()
    names = {ANY: "every trader", **dict(traders)}
    source = request.POST if request.method == "POST" else request.GET
    trader_id, instrument = source.get("trader", ANY), source.get("instrument", ANY)
    if trader_id not in names or instrument not in [ANY, *instruments]:
        trader_id, instrument = ANY, ANY  # an unknown scope in the address: the widest one
    wider = risk_limits.inherited(trader_id, instrument)
    if request.method == "POST":
        if not can_operate(request.user):
            raise PermissionDenied("only back-office staff change risk limits")
        form = LimitsForm(request.POST, inherited=wider, traders=traders, instruments=instruments)
        if form.is_valid() and _save(request, form):
            query = f"?trader={trader_id}&instrument={instrument}"
            return HttpResponseRedirect(reverse("risk_limits") + query)
    else:
        form = LimitsForm(
            initial=_initial(trader_id, instrument),
            inherited=wider,
            traders=traders,
            instruments=instruments,
        )
    rows = [
        {
            "trader": names.get(s.trader_id, s.trader_id),
            "instrument": "every instrument" if s.instrument == ANY else s.instrument,
            "limits": [s.limits.as_dict()[n] or "" for n in LIMIT_NAMES],
            "edit": reverse("risk_limits") + f"?trader={s.trader_id}&instrument={s.instrument}",
        }
        for s in risk_limits.scopes()
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Pre-trade risk limits",
        "names": LIMIT_NAMES,
        "rows": rows,
        "form": form,
        "can_edit": can_operate(request.user),
        "traders": [(ANY, "every trader"), *traders],
        "instruments": [(ANY, "every instrument"), *[(i, i) for i in instruments]],
        "scope": {"trader": trader_id, "instrument": instrument},
        "scope_name": f"{names[trader_id]} / "
        + ("every instrument" if instrument == ANY else instrument),
    }
    return TemplateResponse(request, "admin/backoffice/risk_limits.html", context)


def _save(request: HttpRequest, form: LimitsForm) -> Limits | None:
    data = form.cleaned_data
    try:
        saved = risk_limits.risk_limits_set(
            user=request.user,
            trader_id=data["trader"],
            instrument=data["instrument"],
            values={name: data.get(name, "") for name in LIMIT_NAMES},
        )
    except ActionRefused as refusal:
        form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        return None
    scope = f"{data['trader']} / {data['instrument']}"
    messages.success(request, f"Risk limits saved for {scope}.")
    admin_log.done_to_many(request, Trader, f"risk limits {scope}", "Changed the risk limits")
    return saved


urlpatterns = [path("", admin.site.admin_view(limits_view), name="risk_limits")]
