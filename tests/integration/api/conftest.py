"""Fixtures of the edge-api tests (tests/support/api.py)."""

from tests.support.api import api, other_trader, store, trader

__all__ = ["api", "other_trader", "store", "trader"]
