"""The stream never dies silently: its loop survives any error, a fatal Kafka producer is
replaced, and a stream that stopped beating shows as dead (after a web process's start-up)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from confluent_kafka import KafkaError, KafkaException

from infra.store import open_database
from infra.store.api import run
from venues import runtime
from venues.adapters.sim import stream as stream_module
from venues.adapters.sim.parse import synthetic_report
from venues.adapters.sim.stream import VenueStream
from venues.recovery.heartbeat import STARTUP_GRACE_S, beats, dead_streams

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_a_stale_beat_is_a_dead_stream_once_the_process_is_past_its_start_up():
    seen = {"SIM-A": NOW - timedelta(seconds=5), "SIM-B": NOW - timedelta(seconds=31)}
    assert dead_streams(seen, NOW, up_s=STARTUP_GRACE_S + 1, stale_s=30) == ["SIM-B"]
    assert dead_streams(seen, NOW, up_s=1, stale_s=30) == []  # a killed run's beats: wait


def test_the_stream_loop_survives_any_error_and_keeps_beating(tmp_path, monkeypatch):
    db = open_database(path=str(tmp_path / "store.sqlite3"))
    monkeypatch.setattr(stream_module, "RECONNECT_DELAY_S", 0.001)
    stop = threading.Event()
    errors = [KeyError("a bug"), RuntimeError("Kafka did not acknowledge"), ValueError("bad")]

    class Failing(VenueStream):
        def _session(self, stop_event: threading.Event) -> None:
            if errors:
                raise errors.pop(0)
            stop_event.set()

    Failing(db, "ws://127.0.0.1:9", "SIM-A", lambda r: None, lambda: None).run(stop)
    assert not errors  # every error was retried, none ended the thread
    assert "SIM-A" in run(db, beats)


class FakeProducer:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.fail_with = fail_with
        self.sent: list[object] = []

    def produce(self, topic, key, value, headers, on_delivery=None):
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(key)
        if on_delivery is not None:
            on_delivery(None, object())

    def flush(self, timeout):
        return 0


def test_a_producer_that_hit_a_fatal_error_is_replaced(monkeypatch):
    fatal = KafkaException(KafkaError(KafkaError.UNKNOWN_PRODUCER_ID, "gone", fatal=True))
    made = [FakeProducer(fatal), FakeProducer()]
    monkeypatch.setattr(runtime.kafka, "producer", lambda **kw: made.pop(0))
    monkeypatch.setattr(runtime.kafka, "ensure_topics", lambda topics: None)
    runtime.reset()
    report = synthetic_report("SIM-A", "O1:EA-1", "rejected", "venue down")
    runtime.emit_report(report)  # refused by the dead producer: sent on a new one at once
    runtime.flush_reports()
    assert runtime.report_producer().recreated == 1
    assert not made  # both were made: the second holds the report
    runtime.reset()


def test_the_keeper_starts_a_thread_that_died_again(monkeypatch):
    from venues import worker

    monkeypatch.setattr(worker, "KEEPER_EVERY_S", 0.01)
    runs: list[int] = []
    step = worker.VenueStreams(None)

    def target(stop: threading.Event) -> None:
        runs.append(1)
        if len(runs) >= 3:
            stop.set()  # third life: enough
        # and the thread ends, as one that died on an error its loop did not catch

    step.targets["stream-SIM-A"] = target
    step._start_thread("stream-SIM-A")
    keeper = threading.Thread(target=step._keep)
    keeper.start()
    keeper.join(timeout=30)
    assert not keeper.is_alive() and len(runs) >= 3
