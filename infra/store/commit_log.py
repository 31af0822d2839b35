"""The embedded store's commit history: each commit's version and write conflict set.

A committer holding the write lock checks its read set against the write sets committed after
its read version (conflicts.py). Rows older than HISTORY_S (the 5 s transaction limit plus a
margin) are trimmed in two steps: a version is marked now and trimmed up to once the mark is
that old. The highest trimmed version is the `horizon`: a read version below it can no longer
be checked, and is refused with 1007 as FoundationDB refuses one older than its MVCC window.
"""

from __future__ import annotations

import sqlite3
import time

from infra.store.api import NOT_COMMITTED, TRANSACTION_TIME_LIMIT_S, TRANSACTION_TOO_OLD, FDBError
from infra.store.conflicts import ReadSet

READ_VERSION = "SELECT max(version) FROM commit_log"
_HORIZON = "SELECT value FROM meta WHERE name = 'horizon'"
_WRITES_AFTER = "SELECT writes FROM commit_log WHERE version > ?"
_LOG = "INSERT INTO commit_log VALUES (?, ?, ?)"
_META = "SELECT value FROM meta WHERE name = ?"
_SET_META = "INSERT OR REPLACE INTO meta VALUES (?, ?)"
_TRIM = "DELETE FROM commit_log WHERE version <= ?"
TRIM_EVERY = 64  # commits between looks at whether the history can be trimmed
HISTORY_S = TRANSACTION_TIME_LIMIT_S + 1.0  # how long a commit's write set is kept


def check(cursor: sqlite3.Cursor, read_version: int, reads: ReadSet) -> None:
    """1020 if a commit after `read_version` wrote what `reads` holds; 1007 if forgotten."""
    if cursor.execute(_HORIZON).fetchone()[0] > read_version:
        raise FDBError(TRANSACTION_TOO_OLD)
    for (written,) in cursor.execute(_WRITES_AFTER, (read_version,)).fetchall():
        if reads.conflicts_with(written):
            raise FDBError(NOT_COMMITTED)


def record(cursor: sqlite3.Cursor, version: int, written: bytes) -> None:
    """Keep this commit's write set under its version (inside its write transaction)."""
    cursor.execute(_LOG, (version, time.time(), written))
    if version % TRIM_EVERY == 0:
        _trim(cursor, version)


def _trim(cursor: sqlite3.Cursor, version: int) -> None:
    now_ms = int(time.time() * 1000)
    mark = cursor.execute(_META, ("mark_version",)).fetchone()
    marked_at = cursor.execute(_META, ("mark_at",)).fetchone()
    if mark is not None and marked_at is not None:
        if now_ms - marked_at[0] < HISTORY_S * 1000:
            return
        cursor.execute(_TRIM, (mark[0],))
        cursor.execute(_SET_META, ("horizon", mark[0]))
    cursor.execute(_SET_META, ("mark_version", version - 1))
    cursor.execute(_SET_META, ("mark_at", now_ms))
