"""Real services shared by the integration tests of a session: one Kafka-protocol broker."""

from collections.abc import Iterator

import pytest

from tests.support.kafka import kafka_bootstrap, restartable_broker  # noqa: F401 - fixtures
from trading.api import edge_cache

# Every in-process test client comes from one of these addresses.
TEST_CLIENT_ADDRESSES = ("127.0.0.1", "10.7.7.7")


@pytest.fixture(autouse=True)
def _failed_token_attempts_start_at_zero() -> Iterator[None]:
    """Failed token attempts are counted per address for a minute, so one test's 401s would
    turn a later test's right key into a 429 when the suite runs fast enough."""
    for address in TEST_CLIENT_ADDRESSES:
        edge_cache.forget_failures(address)
    yield
    for address in TEST_CLIENT_ADDRESSES:
        edge_cache.forget_failures(address)
