"""Real services shared by the integration tests of a session."""

import os

import pytest

from infra.bus import local_broker


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory):
    """A real Kafka-protocol broker (Tansu) on a free port; KAFKA_BOOTSTRAP_SERVERS points at it."""
    port = local_broker.free_port()
    log = open(tmp_path_factory.mktemp("kafka") / "broker.log", "wb")  # noqa: SIM115
    broker = local_broker.start(port, log=log)
    previous = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{port}"
    yield f"127.0.0.1:{port}"
    if previous is None:
        os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    else:
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = previous
    broker.terminate()
    broker.wait(10)
    log.close()
