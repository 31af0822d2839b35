"""fork() while the store's checkpointer opens, uses and closes connections.

SQLite's mutexes (its allocator's among them) are copied into a fork child in whatever state
they were in: a child forked while another thread was inside SQLite can hang on its first
allocation. The pool's fork handler waits until no checkpointer is inside SQLite.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from infra.store.api import run
from infra.store.embedded import EmbeddedDatabase, _setup_connection
from infra.store.sqlite_pool import ConnectionPool

FORKS = 150
CHILD_S = 10.0  # a child that uses the store and exits takes milliseconds; a hung one, forever
BUDGET_S = 60.0


def _churn_checkpointers(path: str, stop: threading.Event) -> None:
    """Start and stop checkpointer threads back to back: each connects, checkpoints, closes."""
    while not stop.is_set():
        pool = ConnectionPool(path, _setup_connection)
        pool.note_commit()  # starts the checkpointer
        time.sleep(0.0005)
        pool.close()  # stops it: its connection closes


def _child(path: str, key: bytes) -> None:
    try:
        db = EmbeddedDatabase(path)
        run(db, lambda tr: tr.add(key, 1))
        os._exit(0)
    except BaseException:
        os._exit(1)


def _wait(pid: int, deadline: float) -> int | None:
    """The child's exit status, or None if it is still running at `deadline` (then killed)."""
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


@pytest.mark.slow
def test_children_forked_while_checkpointers_churn_never_hang(tmp_path):
    path = str(tmp_path / "store.sqlite3")
    key = b"forked"
    # The parent keeps the store open, as every process of the platform does: were its last
    # connection closed, SQLite would reset the shared WAL index under the children's feet.
    keeper = EmbeddedDatabase(path)
    run(keeper, lambda tr: tr.add(key, 1))
    stop = threading.Event()
    churners = [threading.Thread(target=_churn_checkpointers, args=(path, stop)) for _ in range(2)]
    for thread in churners:
        thread.start()
    outcomes = []
    started = time.monotonic()
    try:
        while len(outcomes) < FORKS and time.monotonic() - started < BUDGET_S:
            pid = os.fork()
            if pid == 0:
                _child(path, key)
            outcomes.append(_wait(pid, time.monotonic() + CHILD_S))
            if None in outcomes:
                break  # one hung child is the failure; no need to wait for more
    finally:
        stop.set()
        for thread in churners:
            thread.join(30)
        keeper.close()
    assert None not in outcomes, f"a child hung after {len(outcomes)} forks"
    assert outcomes and set(outcomes) == {0}
