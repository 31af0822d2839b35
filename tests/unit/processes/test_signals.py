"""The first SIGTERM drains (the command goes on until the drain sets stop); a second stops."""

import os
import signal
import threading

import pytest

from infra.signals import drain_on_signal


@pytest.fixture
def restore_handlers():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_first_signal_drains_and_the_second_stops_at_once(restore_handlers):
    stop, drain_started, release = threading.Event(), threading.Event(), threading.Event()

    def drain():
        drain_started.set()
        release.wait(10)
        stop.set()

    drain_on_signal(stop, drain)
    os.kill(os.getpid(), signal.SIGTERM)
    assert drain_started.wait(10)
    assert not stop.is_set()  # the drain holds it: nothing has set it yet
    os.kill(os.getpid(), signal.SIGINT)
    assert stop.wait(10)
    release.set()
