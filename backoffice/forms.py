"""Forms of the back office's admin views."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

from backoffice.models import Trader
from kernel.money import MINOR_UNIT, within_bounds

_AMOUNT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class AdjustmentForm(forms.Form):
    """A manual adjustment: money into (or out of, when negative) a trader's account.

    The amount is typed text parsed as a decimal here (a browser number field silently drops
    what it cannot read: "12abc" became 12). Trading-core checks it all again: known asset,
    no overdraft below zero or the open orders' holds, one post per submission id.
    """

    trader = forms.ModelChoiceField(queryset=Trader.objects.all())
    asset = forms.ChoiceField(choices=(), help_text="An asset the instruments trade.")
    amount = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Positive credits the trader, negative debits them (e.g. -125.50).",
    )
    reason = forms.CharField(max_length=200, help_text="Written to the journal entry's memo.")
    # One id per adjustment: it is in the page's address too, so Back and reload keep it and a
    # second submission is recognised in the store transaction (`adjustment:<id>` posts once).
    submission_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, assets: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        asset = self.fields["asset"]
        assert isinstance(asset, forms.ChoiceField)  # declared above
        asset.choices = [(a, a) for a in assets]

    def clean_amount(self) -> Decimal:
        text = str(self.cleaned_data["amount"]).strip()
        if not _AMOUNT.fullmatch(text):
            raise forms.ValidationError(
                "“%(text)s” is not a number: write digits with an optional point and minus "
                "sign, like -125.50.",
                params={"text": self.cleaned_data["amount"]},
            )
        amount = Decimal(text)
        if not within_bounds(amount):
            raise forms.ValidationError("That number is out of range.")
        if not amount:
            raise forms.ValidationError("An adjustment of zero moves nothing.")
        if amount != amount.quantize(MINOR_UNIT):
            raise forms.ValidationError("At most 8 decimal places.")
        return amount
