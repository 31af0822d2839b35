"""A worker process that outlives its parent stops: its parent's restart must get the port.

uvicorn's worker processes share the listening socket of their parent. When the parent is
killed (kill -9, OOM), nothing tells them: they go on serving on that port, and the parent
supervisord restarts fails with "address already in use" forever (and a stop or a start of
the platform waits for a web that can never be ready). So each worker watches its parent
and stops itself, gracefully first, once it has been handed to another parent.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

CHECK_EVERY_S = 0.5
GRACE_S = 10.0  # then it exits whatever it was doing


def exit_with_parent() -> None:
    """In a process spawned by multiprocessing: SIGTERM to itself once its parent is gone."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return  # not a spawned worker (a test, a shell): nobody to follow
    threading.Thread(target=_watch, args=(parent.pid,), name="orphan-watch", daemon=True).start()


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(CHECK_EVERY_S)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown
    time.sleep(GRACE_S)
    os._exit(1)
