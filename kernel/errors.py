"""The refusals every context shares: each names its request field, so edges answer 400."""

from __future__ import annotations


class TradingError(Exception):
    """Base of every refusal; `field` is the request field at fault ("non_field_errors" if none)."""

    field = "non_field_errors"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class InvalidField(TradingError):
    """A value that can never be accepted (bad quantity, price, side, instrument...)."""
