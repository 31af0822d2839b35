"""The wire's value types: decimals and times travel as strings (DESIGN.md "Money").

Decimals are plain digits, never an exponent, written by the producer as the API writes them
(`kernel.money.display`); times are ISO 8601 with their UTC offset as Python's
`isoformat()` writes them, so what a delta says equals what the snapshot says, character for
character. The types carry their rules (`Meta`): a message that breaks one is refused at
decode, and the rule is in the generated JSON Schema.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from msgspec import Meta

# At most 8 decimals (the ledger's minor unit, 1e-8) and 20 integer digits, not negative.
AMOUNT_PATTERN = r"^[0-9]{1,20}(\.[0-9]{1,8})?$"
# A quotient (an average price) keeps the places Decimal's context gives it.
RATIO_PATTERN = r"^[0-9]{1,20}(\.[0-9]{1,40})?$"
# What a venue sends: any finite decimal written out; precision, sign and size are the
# domain's rules (trading/domain/reports.py), which quarantine a report against its order.
VENUE_DECIMAL_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"  # date and time
    r"(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"  # fraction, and the offset it must have
)

Amount = Annotated[
    str,
    Meta(
        pattern=AMOUNT_PATTERN,
        max_length=29,
        description="decimal string: plain digits, at most 8 decimals, not negative",
    ),
]
Ratio = Annotated[
    str,
    Meta(
        pattern=RATIO_PATTERN,
        max_length=61,
        description="decimal string: plain digits, not negative (an average)",
    ),
]
VenueDecimal = Annotated[
    str,
    Meta(
        pattern=VENUE_DECIMAL_PATTERN,
        max_length=100,
        description="decimal string as the venue reported it (finite; checked by the domain)",
    ),
]
Timestamp = Annotated[
    str,
    Meta(
        pattern=TIME_PATTERN,
        max_length=40,
        description="ISO 8601 time with its UTC offset",
    ),
]
Id = Annotated[str, Meta(min_length=1, max_length=256, description="a non-empty identifier")]

_TIME = re.compile(TIME_PATTERN)


def time_of(text: str) -> datetime:
    """The time a Timestamp says (it carries its offset); ValueError if it is not one."""
    if not _TIME.match(text):
        raise ValueError(f"not an ISO 8601 time with its offset: {text!r}")
    return datetime.fromisoformat(text)


def check_times(**texts: str | None) -> None:
    """Raise ValueError naming the field (msgspec gives it as the message's reason) for a time
    that is not one (the pattern lets 2026-13-45 through)."""
    for name, text in texts.items():
        if text is not None:
            try:
                time_of(text)
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None


def decimal_of(text: str) -> Decimal:
    """The exact number a decimal string says."""
    return Decimal(text)


def time_text(moment: datetime) -> str:
    """A Timestamp: `moment` (time-zone aware) as the wire writes it."""
    if moment.tzinfo is None:
        raise ValueError("a time on the wire carries its time zone")
    return moment.isoformat()
