"""Fixtures of the security tests (tests/support/api.py, the session's Kafka broker)."""

from tests.support.api import api, store, trader
from tests.support.kafka import kafka_bootstrap

__all__ = ["api", "kafka_bootstrap", "store", "trader"]
