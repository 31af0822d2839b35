"""Cursor pagination over the store: `{"results": [...], "next": <absolute url or null>}`.

The store has no offsets, only key ranges, so a page ends at a position (the last order id, or
the last fill's index key) and the next page starts strictly after it. The `cursor` parameter
is that position signed with the site's key and bound to the trader and the list it came from:
opaque to clients, and a forged or borrowed cursor is a 400, never a read of someone else's keys.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from django.core import signing
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

CURSOR_PARAM = "cursor"
LIMIT_PARAM = "limit"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "trading.api.cursor"
_MAX_CURSOR_CHARS = 1024


def _sign(kind: str, trader_id: str, position: list[Any]) -> str:
    return signing.dumps([kind, trader_id, *position], salt=_SALT, compress=False)


def _unsign(cursor: str, kind: str, trader_id: str) -> list[Any]:
    """The position a cursor of `kind` made for `trader_id` holds; else a 400 on `cursor`."""
    if len(cursor) > _MAX_CURSOR_CHARS:
        raise _invalid()
    try:
        value = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise _invalid() from None
    if not isinstance(value, list) or value[:2] != [kind, trader_id]:
        raise _invalid()
    return value[2:]


def _invalid() -> serializers.ValidationError:
    return serializers.ValidationError({CURSOR_PARAM: ["Invalid cursor."]})


def order_cursor(trader_id: str, order_id: str) -> str:
    return _sign("orders", trader_id, [order_id])


def read_order_cursor(cursor: str, trader_id: str) -> str:
    """The order id the next page starts strictly after."""
    position = _unsign(cursor, "orders", trader_id)
    if len(position) != 1 or not isinstance(position[0], str):
        raise _invalid()
    return position[0]


def fill_cursor(trader_id: str, key: bytes, seen: int) -> str:
    return _sign("fills", trader_id, [base64.urlsafe_b64encode(key).decode(), seen])


def read_fill_cursor(cursor: str, trader_id: str) -> tuple[bytes, int]:
    """The fill index key the next page starts strictly after, and how many matched so far."""
    position = _unsign(cursor, "fills", trader_id)
    if len(position) != 2 or not isinstance(position[0], str) or type(position[1]) is not int:
        raise _invalid()
    try:
        return base64.urlsafe_b64decode(position[0].encode()), position[1]
    except ValueError:
        raise _invalid() from None


def page(request: Request, results: Sequence[Any], next_cursor: str | None) -> dict[str, Any]:
    next_url = None
    if next_cursor is not None:
        next_url = replace_query_param(request.build_absolute_uri(), CURSOR_PARAM, next_cursor)
    return {"results": list(results), "next": next_url}


def whole(results: Sequence[Any]) -> dict[str, Any]:
    """A list that is always one page (bounded by reference data: instruments, assets)."""
    return {"results": list(results), "next": None}
