"""Fixtures every kind of test may use, and hypothesis' settings for the whole suite."""

from hypothesis import HealthCheck, settings

from tests.support.store import seeded_db  # noqa: F401 - the seeded store of one test

# Examples are bounded by count, never by time: on a shared 2-core machine a slow example is
# the machine's load, not a failure (the suite asserts behaviour, never speed).
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")
