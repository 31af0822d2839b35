"""Real services shared by the integration tests of a session: one Kafka-protocol broker."""

from tests.support.kafka import kafka_bootstrap  # noqa: F401 - the session fixture
