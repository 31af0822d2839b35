"""/healthz names a venue whose stream thread stopped beating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import Client

from infra.store import open_database, use_database
from infra.store.api import run
from venues.recovery import heartbeat


def test_healthz_says_a_venue_stream_is_dead_when_its_beat_is_stale(
    tmp_path, monkeypatch, db, settings
):
    settings.METRICS_TOKEN = "t"  # the parts are shown to ops, not to anyone
    ops = {"HTTP_AUTHORIZATION": "Bearer t"}
    store = open_database(path=str(tmp_path / "store.sqlite3"))
    use_database(store)
    try:
        now = datetime.now(UTC)
        run(store, lambda tr: heartbeat.beat(tr, "SIM-A", now))
        run(store, lambda tr: heartbeat.beat(tr, "SIM-B", now - timedelta(minutes=5)))
        monkeypatch.setattr(heartbeat, "STARTUP_GRACE_S", 0)
        answer = Client().get("/healthz", **ops)
        assert answer.status_code == 503
        assert answer.json()["parts"]["venue_streams"].endswith("venue stream not running: SIM-B")
        run(store, lambda tr: heartbeat.beat(tr, "SIM-B", datetime.now(UTC)))
        assert Client().get("/healthz", **ops).json()["parts"]["venue_streams"] == "ok"
    finally:
        use_database(None)
        store.close()
