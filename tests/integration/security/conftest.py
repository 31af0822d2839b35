"""Fixtures of the security tests (tests/support/api.py)."""

from tests.support.api import api, store, trader

__all__ = ["api", "store", "trader"]
