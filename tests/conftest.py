"""Fixtures every kind of test may use."""

from tests.support.store import seeded_db  # noqa: F401 - the seeded store of one test
