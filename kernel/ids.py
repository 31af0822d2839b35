"""The platform's ids that every context reads: a trader's, and the client's own order id."""

from __future__ import annotations

import re
from typing import Protocol

# A client_order_id is 1-64 of [A-Za-z0-9._:-], the whole string (a `$` would let a trailing
# newline in): the REST contract's pattern, and trading-core's check for every other caller.
CLIENT_ORDER_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
CLIENT_ORDER_ID = re.compile(CLIENT_ORDER_ID_PATTERN.strip("^$"))
CLIENT_ORDER_ID_RULE = "Must be 1-64 of letters, digits and . _ : -"


class _User(Protocol):
    @property
    def pk(self) -> object: ...


def valid_client_order_id(value: object) -> bool:
    """True for a string that follows the client_order_id rule, whole."""
    return isinstance(value, str) and CLIENT_ORDER_ID.fullmatch(value) is not None


def trader_id_for(user: _User) -> str:
    """The trader id of a Django user: stable even if the username is edited."""
    return f"T{user.pk}"
