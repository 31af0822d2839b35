"""The store: one factory, two backends with one surface (see api.py).

FoundationDB when a cluster file is given (FDB_CLUSTER_FILE), else the embedded SQLite store
at STORE_PATH (default $VAR_DIR/store.sqlite3). `database()` is the process-wide handle.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from infra.store.api import Database

_REPO_VAR = Path(__file__).resolve().parents[2] / "var"


def default_path() -> str:
    """STORE_PATH, else store.sqlite3 in VAR_DIR (default: the checkout's var/)."""
    return os.environ.get("STORE_PATH") or str(
        Path(os.environ.get("VAR_DIR") or _REPO_VAR) / "store.sqlite3"
    )


_lock = threading.Lock()
_database: Database | None = None


def open_database(
    *, cluster_file: str | None = None, path: str | None = None, **faults: Any
) -> Database:
    """Open a store: FoundationDB when `cluster_file` is given, else embedded at `path`.

    `faults` (not_committed_rate, commit_unknown_rate, seed, ...) configure the embedded store;
    FoundationDB has no client-side fault injection, so a non-zero rate with it is a mistake.
    """
    if cluster_file:
        from infra.store.foundationdb import FoundationDBDatabase

        if any(faults.get(rate) for rate in ("not_committed_rate", "commit_unknown_rate")):
            raise ValueError("fault injection is the embedded store's; FoundationDB has none")
        return FoundationDBDatabase(cluster_file)
    from infra.store.embedded import EmbeddedDatabase

    return EmbeddedDatabase(path or default_path(), **faults)


def database() -> Database:
    """The process's store, opened once from the environment."""
    global _database
    with _lock:
        if _database is None:
            _database = open_database(
                cluster_file=os.environ.get("FDB_CLUSTER_FILE") or None,
                path=default_path(),
                not_committed_rate=float(os.environ.get("STORE_FAULT_NOT_COMMITTED_RATE", 0)),
                commit_unknown_rate=float(os.environ.get("STORE_FAULT_COMMIT_UNKNOWN_RATE", 0)),
            )
        return _database


def use_database(db: Database | None) -> None:
    """Swap the process's store (tests); None means: open from the environment next time."""
    global _database
    with _lock:
        _database = db
