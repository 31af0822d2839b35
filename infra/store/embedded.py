"""The embedded store: FoundationDB's transaction semantics over one SQLite file.

- Keys are BLOBs in a WITHOUT ROWID table; SQLite compares BLOBs with memcmp, which is exactly
  FoundationDB's bytewise key order.
- Strictly serializable, optimistically: a transaction's reads run in one deferred SQLite read
  transaction (one snapshot); its writes are buffered in order and read back by itself. At
  commit, a transaction that read upgrades that same SQLite transaction to a writer: if anyone
  committed since its snapshot, SQLite answers SQLITE_BUSY_SNAPSHOT and we raise 1020
  not_committed, as FoundationDB does on a conflict (conflicts are whole-store, not per key:
  coarser, never wrong). Blind writes (atomic adds only) never conflict.
- Safe across threads (a connection per thread) and processes (SQLite's WAL locking).
- FoundationDB's limits with its error codes, and injectable 1020 / 1021 at commit.
"""

from __future__ import annotations

import random
import sqlite3
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

from infra.store.api import (
    CLIENT_INVALID_OPERATION,
    COMMIT_UNKNOWN_RESULT,
    INVERTED_RANGE,
    NOT_COMMITTED,
    TRANSACTION_SIZE_LIMIT,
    TRANSACTION_TIME_LIMIT_S,
    TRANSACTION_TOO_LARGE,
    TRANSACTION_TOO_OLD,
    FDBError,
    check_sizes,
)

SQLITE_BUSY_SNAPSHOT = 517
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO meta VALUES ('version', 0)",
)
_VERSIONSTAMP_PLACEHOLDER = 10
CHECKPOINT_INTERVAL_S = 0.5


def _add(current: bytes | None, delta: int) -> bytes:
    """FoundationDB's ADD on a little-endian int64 value, wrapping like the server."""
    value = int.from_bytes(current or b"", "little", signed=False)
    return ((value + delta) % (1 << 64)).to_bytes(8, "little")


class EmbeddedDatabase:
    """One store file; cheap to open in every process."""

    def __init__(
        self,
        path: str | Path,
        *,
        not_committed_rate: float = 0.0,
        commit_unknown_rate: float = 0.0,
        seed: int | None = None,
        time_limit_s: float = TRANSACTION_TIME_LIMIT_S,
    ) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.not_committed_rate = not_committed_rate
        self.commit_unknown_rate = commit_unknown_rate
        self.random = random.Random(seed)
        self.time_limit_s = time_limit_s
        # Idle connections; a transaction holds one from its first read or write to its end,
        # so several transactions can be open at once, in one thread or many.
        self._idle: list[sqlite3.Connection] = []
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._committed = threading.Condition()
        self._closed = threading.Event()
        threading.Thread(target=self._checkpointer, name="store-checkpoint", daemon=True).start()
        conn = self.acquire()
        for statement in _SCHEMA:
            conn.execute(statement)
        self.release(conn)

    def acquire(self) -> sqlite3.Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints (which fsync) run on the checkpointer thread, not inside commits.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        with self._lock:
            self._all.append(conn)
        return conn

    def release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        with self._lock:
            self._idle.append(conn)

    def create_transaction(self) -> EmbeddedTransaction:
        return EmbeddedTransaction(self)

    def inject(self) -> str | None:
        """Which fault, if any, this commit suffers."""
        if self.not_committed_rate and self.random.random() < self.not_committed_rate:
            return "not_committed"
        if self.commit_unknown_rate and self.random.random() < self.commit_unknown_rate:
            return "unknown_after" if self.random.random() < 0.5 else "unknown_before"
        return None

    def notify_commit(self) -> None:
        with self._committed:
            self._committed.notify_all()

    def watch(self, key: bytes, timeout_s: float) -> bool:
        """Block until `key`'s value changes (True) or `timeout_s` passes (False)."""
        deadline = time.monotonic() + timeout_s
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            start = _read_committed(conn, key)
            data_version = conn.execute("PRAGMA data_version").fetchone()[0]
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                with self._committed:  # woken at once by this process's commits
                    self._committed.wait(timeout=min(left, 0.002))
                # data_version moves whenever another connection (any process) committed.
                current = conn.execute("PRAGMA data_version").fetchone()[0]
                if current != data_version:
                    data_version = current
                    if _read_committed(conn, key) != start:
                        return True
        finally:
            conn.close()

    def _checkpointer(self) -> None:
        """Fold the WAL into the database file every so often, off the commit path."""
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        try:
            while not self._closed.wait(CHECKPOINT_INTERVAL_S):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.OperationalError:
                    continue  # busy: the next round will do it
        finally:
            conn.close()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            self._idle.clear()


def _read_committed(conn: sqlite3.Connection, key: bytes) -> bytes | None:
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return None if row is None else bytes(row[0])


# A point write: ("set", value or None for a clear) or ("add", delta over the snapshot's value).
_Point = tuple[str, bytes | int | None]


class EmbeddedTransaction:
    """One transaction: reads from one snapshot, writes buffered until commit."""

    def __init__(self, db: EmbeddedDatabase) -> None:
        self.db = db
        self._conn: sqlite3.Connection | None = None
        self.started = time.monotonic()
        self.reading = False
        self.read_version: int | None = None
        self.points: dict[bytes, _Point] = {}
        self.cleared: list[tuple[bytes, bytes]] = []  # range clears, applied before points
        self.stamped: list[tuple[bytes, bytes]] = []  # versionstamped keys, applied last
        self.size = 0
        self.versionstamp: bytes | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self.db.acquire()
        return self._conn

    def _release(self) -> None:
        if self._conn is not None:
            self.db.release(self._conn)
            self._conn = None
        self.reading = False

    def __del__(self) -> None:  # a transaction dropped without commit or reset
        self._release()

    # --- reads ----------------------------------------------------------------------------
    def _snapshot(self) -> sqlite3.Connection:
        self._check_age()
        if not self.reading:
            self.conn.execute("BEGIN")
            row = self.conn.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
            self.read_version = int(row[0])
            self.reading = True
        return self.conn

    def _check_age(self) -> None:
        if time.monotonic() - self.started > self.db.time_limit_s:
            raise FDBError(TRANSACTION_TOO_OLD)

    def get_read_version(self) -> int:
        self._snapshot()
        assert self.read_version is not None
        return self.read_version

    def _in_cleared(self, key: bytes) -> bool:
        return any(begin <= key < end for begin, end in self.cleared)

    def _base(self, key: bytes) -> bytes | None:
        if self._in_cleared(key):
            return None
        row = self._snapshot().execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def get(self, key: bytes) -> bytes | None:
        check_sizes(key)
        point = self.points.get(key)
        if point is None:
            return self._base(key)
        kind, payload = point
        if kind == "set":
            return payload  # type: ignore[return-value]
        return _add(self._base(key), payload)  # type: ignore[arg-type]

    def get_range(
        self, begin: bytes, end: bytes, *, limit: int = 0, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        if begin > end:
            raise FDBError(INVERTED_RANGE)
        conn = self._snapshot()
        touched = [k for k in self.points if begin <= k < end]
        clears = any(b < end and e > begin for b, e in self.cleared)
        order = "DESC" if reverse else "ASC"
        sql_limit = limit if limit and not touched and not clears else -1
        rows = conn.execute(
            f"SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key {order} LIMIT ?",  # noqa: S608 - order is one of two literals
            (begin, end, sql_limit),
        ).fetchall()
        if not touched and not clears:
            return [(bytes(k), bytes(v)) for k, v in rows]
        merged: dict[bytes, bytes | None] = {
            bytes(k): (None if self._in_cleared(bytes(k)) else bytes(v)) for k, v in rows
        }
        for key in touched:
            kind, payload = self.points[key]
            if kind == "set":
                merged[key] = payload  # type: ignore[assignment]
            else:
                merged[key] = _add(merged.get(key), payload)  # type: ignore[arg-type]
        result = [(k, merged[k]) for k in sorted(merged, reverse=reverse) if merged[k] is not None]
        return result[:limit] if limit else result  # type: ignore[return-value]

    # --- writes ---------------------------------------------------------------------------
    def _grow(self, size: int) -> None:
        self._check_age()
        self.size += size
        if self.size > TRANSACTION_SIZE_LIMIT:
            raise FDBError(TRANSACTION_TOO_LARGE)

    def set(self, key: bytes, value: bytes) -> None:
        check_sizes(key, value)
        self._grow(len(key) + len(value))
        self.points[key] = ("set", value)

    def clear(self, key: bytes) -> None:
        check_sizes(key)
        self._grow(len(key))
        self.points[key] = ("set", None)

    def clear_range(self, begin: bytes, end: bytes) -> None:
        if begin > end:
            raise FDBError(INVERTED_RANGE)
        self._grow(len(begin) + len(end))
        self.cleared.append((begin, end))
        for key in [k for k in self.points if begin <= k < end]:
            self.points[key] = ("set", None)

    def add(self, key: bytes, delta: int) -> None:
        check_sizes(key)
        self._grow(len(key) + 8)
        point = self.points.get(key)
        if point is None:
            self.points[key] = ("add", delta)
        elif point[0] == "set":
            self.points[key] = ("set", _add(point[1], delta))  # type: ignore[arg-type]
        else:
            self.points[key] = ("add", point[1] + delta)  # type: ignore[operator]

    def set_versionstamped_key(self, key: bytes, value: bytes) -> None:
        check_sizes(key[:-4], value)
        offset = struct.unpack("<I", key[-4:])[0]
        if offset + _VERSIONSTAMP_PLACEHOLDER > len(key) - 4:
            raise FDBError(CLIENT_INVALID_OPERATION, "Versionstamp offset outside the key")
        self._grow(len(key) + len(value))
        self.stamped.append((key, value))

    def get_versionstamp(self) -> Callable[[], bytes]:
        def result() -> bytes:
            if self.versionstamp is None:
                raise FDBError(CLIENT_INVALID_OPERATION, "The transaction has not committed")
            return self.versionstamp

        return result

    # --- commit ---------------------------------------------------------------------------
    def commit(self) -> None:
        self._check_age()
        if not (self.points or self.cleared or self.stamped):
            self._release()  # read-only: nothing to write, nothing to conflict
            return
        fault = self.db.inject()
        if fault in ("not_committed", "unknown_before"):
            self._release()
            raise FDBError(NOT_COMMITTED if fault == "not_committed" else COMMIT_UNKNOWN_RESULT)
        conn = self.conn
        try:
            if not self.reading:
                conn.execute("BEGIN IMMEDIATE")  # blind writes: no snapshot, no conflict
            version = self._apply(conn)
            conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            self._release()
            code = getattr(error, "sqlite_errorcode", None)
            if code == SQLITE_BUSY_SNAPSHOT or "locked" in str(error):
                raise FDBError(NOT_COMMITTED) from None
            raise
        self._release()
        self.versionstamp = version.to_bytes(8, "big") + b"\x00\x00"
        self.db.notify_commit()
        if fault == "unknown_after":
            raise FDBError(COMMIT_UNKNOWN_RESULT)

    def _apply(self, conn: sqlite3.Connection) -> int:
        cursor = conn.execute(
            "UPDATE meta SET value = value + 1 WHERE name = 'version' RETURNING value"
        )
        version = int(cursor.fetchone()[0])
        conn.executemany("DELETE FROM kv WHERE key >= ? AND key < ?", self.cleared)
        writes: list[tuple[bytes, bytes]] = []
        deletes: list[tuple[bytes]] = []
        for key, (kind, payload) in self.points.items():
            if kind == "add":
                row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
                writes.append((key, _add(None if row is None else bytes(row[0]), payload)))  # type: ignore[arg-type]
            elif payload is None:
                deletes.append((key,))
            else:
                writes.append((key, payload))  # type: ignore[arg-type]
        stamp = version.to_bytes(8, "big") + b"\x00\x00"
        for key, value in self.stamped:
            offset = struct.unpack("<I", key[-4:])[0]
            writes.append(
                (key[:offset] + stamp + key[offset + _VERSIONSTAMP_PLACEHOLDER : -4], value)
            )
        conn.executemany("DELETE FROM kv WHERE key = ?", deletes)
        conn.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", writes)
        return version

    def reset(self) -> None:
        self._release()
        self.points.clear()
        self.cleared.clear()
        self.stamped.clear()
        self.size = 0
        self.started = time.monotonic()
