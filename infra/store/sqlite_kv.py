"""The embedded store's SQLite layout and statements: one `kv` table, its schema and pragmas.

- Keys are BLOBs in a WITHOUT ROWID table (the rows live in the primary key's B-tree, one
  lookup per key); SQLite compares BLOBs with memcmp, exactly FoundationDB's bytewise order.
- 4 KB pages: every value trading-core writes (<= ~1 KB) fits in its leaf, none spills to an
  overflow page (with 1 KB pages anything over ~230 bytes would, orders and outbox rows too).
- Durability (DESIGN.md "crash-only"): WAL with synchronous=NORMAL. A commit is in the WAL,
  in the OS's page cache, when commit() returns, so it survives kill -9 of any process; SQLite
  fsyncs at checkpoints (the background checkpointer, sqlite_pool.py), so a power cut loses at
  most the last unsynced commits and never corrupts the file, the state stays consistent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from infra.store.conflicts import encode_writes
from infra.store.writes import WriteBuffer, add_le

SQLITE_BUSY = 5  # SQLITE_BUSY_SNAPSHOT (517) and SQLITE_BUSY_RECOVERY (261) share its low byte
PAGE_SIZE = 4096

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO meta VALUES ('version', 0)",
    "INSERT OR IGNORE INTO meta VALUES ('horizon', 0)",
    "CREATE TABLE IF NOT EXISTS commit_log"
    " (version INTEGER PRIMARY KEY, at REAL NOT NULL, writes BLOB NOT NULL)",
    # A store from before commit_log goes on from its last version.
    "INSERT INTO commit_log SELECT value, 0, x'929090' FROM meta WHERE name = 'version'"
    " AND NOT EXISTS (SELECT 1 FROM commit_log)",
)
GET = "SELECT value FROM kv WHERE key = ?"
RANGE = "SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"
RANGE_REVERSE = "SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key DESC LIMIT ?"
_CLEAR_RANGE = "DELETE FROM kv WHERE key >= ? AND key < ?"
_DELETE = "DELETE FROM kv WHERE key = ?"
_SET = "INSERT INTO kv VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
_ADD = "INSERT INTO kv VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = fdb_add(value, ?2)"


def setup_connection(conn: sqlite3.Connection) -> None:
    """What every connection to a store needs: the atomic add as an SQL function."""
    conn.create_function("fdb_add", 2, add_le, deterministic=True)


def create(cursor: sqlite3.Cursor) -> None:
    """Make the file a store (page size only on a new file; WAL is recorded in the file)."""
    cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
    cursor.execute("PRAGMA journal_mode=WAL")
    for statement in SCHEMA:
        cursor.execute(statement)


def busy(error: sqlite3.OperationalError) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == SQLITE_BUSY


def stored_rows(
    cursor: sqlite3.Cursor, begin: bytes, end: bytes, reverse: bool, batch: int
) -> Iterator[tuple[bytes, bytes]]:
    """Stored rows of [begin, end) in order, fetched `batch` at a time (-1: all at once)."""
    sql = RANGE_REVERSE if reverse else RANGE
    while True:
        rows = cursor.execute(sql, (begin, end, batch)).fetchall()
        yield from rows
        if batch < 0 or len(rows) < batch:
            return
        if reverse:
            end = rows[-1][0]
        else:
            begin = rows[-1][0] + b"\x00"


def write_buffer(cursor: sqlite3.Cursor, buffer: WriteBuffer, stamp: bytes) -> bytes:
    """Apply the net effect of the buffered writes: range clears, then keys, then stamps.

    Sets and the stamped keys go in one statement (their keys are disjoint: a stamped key holds
    this commit's version, which no earlier key can). Returns the transaction's write conflict
    set, encoded for commit_log."""
    for begin, end in buffer.cleared:
        cursor.execute(_CLEAR_RANGE, (begin, end))
    sets, deletes, adds = buffer.net_effect()
    if deletes:
        cursor.executemany(_DELETE, deletes)
    points = list(buffer.entries)
    if buffer.stamped:
        for s in buffer.stamped:
            key = s.final_key(stamp)
            if key is not None:
                sets.append((key, s.value))
                points.append(key)
    if sets:
        cursor.executemany(_SET, sets)
    if adds:
        cursor.executemany(_ADD, adds)
    return encode_writes(points, buffer.cleared)
