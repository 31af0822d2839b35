"""The ops reader: readings in the background, shown at once, never shown stale."""

import time

from backoffice.ops import snapshot as module
from tests.support.platform import eventually


def test_the_page_gets_the_last_reading_and_never_an_old_one(monkeypatch):
    calls = []

    def read():
        calls.append(time.time())
        return module.Reading([], [], time.time())

    monkeypatch.setattr(module, "read", read)
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    reader = module.Snapshot(every_s=0.05)
    first = reader.latest()  # starts the reader; nothing read yet, or the very first reading
    assert first is None or first.age_s < 5
    reading = eventually(reader.latest, 10, what="a reading")
    assert reading.age_s < 5
    eventually(lambda: len(calls) >= 3, 10, what="the reader to go on reading")
    # A reading from long ago (a reader that rested) is not shown as the current state.
    old = time.time() - module.IDLE_S - 1
    monkeypatch.setattr(module, "read", lambda: module.Reading([], [], old))
    eventually(lambda: reader.latest() is None, 10, what="the old reading hidden")
