"""Rows built from records whose fields have the same names (an event's, a read model's)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def copied(source: object, names: Iterable[str]) -> dict[str, Any]:
    """`source`'s fields `names`, as keyword arguments for the row that keeps them as they are."""
    return {name: getattr(source, name) for name in names}
