"""The ws-gateway as it runs: the web server `make run` starts, on a free port, reading a real
broker, looking tokens and sessions up in the pytest-django test database."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from websockets.typing import Origin

from infra.bus import kafka
from infra.bus.local_broker import free_port
from kernel.ids import trader_id_for
from tests.support.kafka import EnvelopeWriter
from tests.support.platform import eventually
from tests.support.processes import listening, stop
from trading.outbox import ORDER_EVENTS
from trading.tokens.models import issue
from wiring.web_server import web_argv

ROOT = Path(__file__).resolve().parents[3]
QUEUE_MAX = 100  # WS_CLIENT_QUEUE_MAX of the gateway under test: the smallest it takes
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
PASSWORD = "a-password-for-tests"
TROUBLE = ("Traceback", " ERROR ", " WARNING ", "never retrieved")  # in the gateway's log


@dataclass(frozen=True)
class Gateway:
    port: int
    log_path: Path

    def url(self, token: str | None = None) -> str:
        query = f"?token={token}" if token is not None else ""
        return f"ws://127.0.0.1:{self.port}/ws/v1/stream{query}"

    @property
    def origin(self) -> Origin:
        return Origin(f"http://127.0.0.1:{self.port}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass(frozen=True)
class Trader:
    username: str
    token: str
    trader_id: str


def _database_url() -> str:
    settings = connection.settings_dict  # the test database, once django_db_setup ran
    user, host, port = settings["USER"], settings["HOST"], settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


@pytest.fixture(scope="module")
def gateway(
    kafka_bootstrap: str, django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    kafka.ensure_topics([ORDER_EVENTS])
    folder = tmp_path_factory.mktemp("gateway")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        DATABASE_URL=_database_url(),
        STORE_PATH=str(folder / "store.sqlite3"),
        VAR_DIR=str(folder),
        WS_CLIENT_QUEUE_MAX=str(QUEUE_MAX),
        PYTHONUNBUFFERED="1",
    )
    log_path = folder / "web.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            web_argv("127.0.0.1", port, workers=1),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    gateway = Gateway(port, log_path)
    try:
        eventually(
            lambda: process.poll() is not None or listening(port),
            START_TIMEOUT_S,
            what="the gateway to listen",
        )
        assert process.poll() is None, gateway.log()[-4000:]
        yield gateway
    finally:
        stop(process, STOP_TIMEOUT_S)
    problems = [line for line in gateway.log().splitlines() if any(w in line for w in TROUBLE)]
    assert problems == [], gateway.log()[-4000:]


def _trader(name: str) -> Trader:
    user = User.objects.create_user(username=name, password=PASSWORD)
    token = issue(user)
    return Trader(name, token.key, trader_id_for(user))


@pytest.fixture
def trader(transactional_db: None) -> Trader:
    """Committed rows: the gateway process reads them through its own connection."""
    return _trader("alice")


@pytest.fixture
def other_trader(transactional_db: None) -> Trader:
    return _trader("bob")


@pytest.fixture(scope="module")
def writer(kafka_bootstrap: str) -> Iterator[EnvelopeWriter]:
    envelopes = EnvelopeWriter(kafka_bootstrap)
    yield envelopes
    envelopes.close()
