"""Forms of the back office's admin views."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from backoffice.models import Trader


class AdjustmentForm(forms.Form):
    """A manual adjustment: money into (or out of, when negative) a trader's account."""

    trader = forms.ModelChoiceField(queryset=Trader.objects.all())
    asset = forms.RegexField(
        regex=r"^[A-Za-z0-9]{1,12}$",
        max_length=12,
        help_text="An asset code, like USD or BTC.",
        error_messages={"invalid": "An asset code is 1-12 letters or digits."},
    )
    amount = forms.DecimalField(
        max_digits=18,
        decimal_places=8,
        help_text="Positive credits the trader, negative debits them.",
    )
    reason = forms.CharField(max_length=200, help_text="Written to the journal entry's memo.")
    # One id per form shown: the journal entry is `adjustment:<id>`, so a double submit posts once.
    submission_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_id", uuid.uuid4())

    def clean_asset(self) -> str:
        return str(self.cleaned_data["asset"]).upper()

    def clean_amount(self) -> Any:
        amount = self.cleaned_data["amount"]
        if not amount:
            raise forms.ValidationError("An adjustment of zero moves nothing.")
        return amount
