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

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            self._idle.clear()


def _read_committed(conn: sqlite3.Connection, key: bytes) -> bytes | None:
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return None if row is None else bytes(row[0])


class EmbeddedTransaction:
    """One transaction; use it from one thread, then commit() or drop it."""

    def __init__(self, db: EmbeddedDatabase) -> None:
        self.db = db
        self._conn: sqlite3.Connection | None = None
        self.started = time.monotonic()
        self.reading = False
        self.read_version: int | None = None
        # Writes in order: ("set", key, value) | ("clear", begin, end) | ("add", key, delta)
        # | ("vkey", key, value).
        self.ops: list[tuple[str, bytes, bytes | int]] = []
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

    def get(self, key: bytes) -> bytes | None:
        check_sizes(key)
        row = self._snapshot().execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        value = None if row is None else bytes(row[0])
        return self._overlay_one(key, value)

    def _overlay_one(self, key: bytes, value: bytes | None) -> bytes | None:
        for op, a, b in self.ops:
            if op == "set" and a == key:
                value = b  # type: ignore[assignment]
            elif op == "clear" and a <= key < b:  # type: ignore[operator]
                value = None
            elif op == "add" and a == key:
                value = _add(value, b)  # type: ignore[arg-type]
        return value

    def get_range(
        self, begin: bytes, end: bytes, *, limit: int = 0, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        if begin > end:
            raise FDBError(INVERTED_RANGE)
        conn = self._snapshot()
        touched = self._touched_keys(begin, end)
        # Read enough committed rows to fill `limit` after buffered clears remove some.
        sql_limit = -1 if not limit or touched else limit
        order = "DESC" if reverse else "ASC"
        rows = conn.execute(
            f"SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key {order} LIMIT ?",  # noqa: S608 - order is one of two literals
            (begin, end, sql_limit),
        ).fetchall()
        if not touched:
            return [(bytes(k), bytes(v)) for k, v in rows]
        merged = {bytes(k): bytes(v) for k, v in rows}
        for key in touched:
            merged.setdefault(key, None)  # type: ignore[arg-type]
        result = []
        for key in sorted(merged, reverse=reverse):
            value = self._overlay_one(key, merged[key])
            if value is not None:
                result.append((key, value))
                if limit and len(result) == limit:
                    break
        return result

    def _touched_keys(self, begin: bytes, end: bytes) -> list[bytes]:
        """Keys in [begin, end) this transaction wrote, and a marker that clears happened."""
        keys: list[bytes] = []
        touched = False
        for op, a, b in self.ops:
            if op == "clear":
                if a < end and b > begin:  # type: ignore[operator]
                    touched = True
            elif op in ("set", "add") and begin <= a < end:
                keys.append(a)
        if touched and not keys:
            keys.append(begin)  # forces the merging path; a missing key reads as absent
        return sorted(set(keys))

    # --- writes ---------------------------------------------------------------------------
    def _write(self, op: str, a: bytes, b: bytes | int, size: int) -> None:
        self._check_age()
        self.size += size
        if self.size > TRANSACTION_SIZE_LIMIT:
            raise FDBError(TRANSACTION_TOO_LARGE)
        self.ops.append((op, a, b))

    def set(self, key: bytes, value: bytes) -> None:
        check_sizes(key, value)
        self._write("set", key, value, len(key) + len(value))

    def clear(self, key: bytes) -> None:
        check_sizes(key)
        self._write("clear", key, key + b"\x00", len(key))

    def clear_range(self, begin: bytes, end: bytes) -> None:
        if begin > end:
            raise FDBError(INVERTED_RANGE)
        self._write("clear", begin, end, len(begin) + len(end))

    def add(self, key: bytes, delta: int) -> None:
        check_sizes(key)
        self._write("add", key, delta, len(key) + 8)

    def set_versionstamped_key(self, key: bytes, value: bytes) -> None:
        check_sizes(key[:-4], value)
        offset = struct.unpack("<I", key[-4:])[0]
        if offset + _VERSIONSTAMP_PLACEHOLDER > len(key) - 4:
            raise FDBError(CLIENT_INVALID_OPERATION, "Versionstamp offset outside the key")
        self._write("vkey", key, value, len(key) + len(value))

    def get_versionstamp(self) -> Callable[[], bytes]:
        def result() -> bytes:
            if self.versionstamp is None:
                raise FDBError(CLIENT_INVALID_OPERATION, "The transaction has not committed")
            return self.versionstamp

        return result

    # --- commit ---------------------------------------------------------------------------
    def commit(self) -> None:
        self._check_age()
        if not self.ops:
            self._end_read()
            return
        fault = self.db.inject()
        if fault in ("not_committed", "unknown_before"):
            self._end_read()
            raise FDBError(NOT_COMMITTED if fault == "not_committed" else COMMIT_UNKNOWN_RESULT)
        conn = self.conn
        try:
            if not self.reading:
                conn.execute("BEGIN IMMEDIATE")
            version = self._apply(conn)
            conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            self._rollback()
            if getattr(error, "sqlite_errorcode", None) == SQLITE_BUSY_SNAPSHOT or "locked" in str(
                error
            ):
                raise FDBError(NOT_COMMITTED) from None
            raise
        self._release()
        self.versionstamp = version.to_bytes(8, "big") + b"\x00\x00"
        self.db.notify_commit()
        if fault == "unknown_after":
            raise FDBError(COMMIT_UNKNOWN_RESULT)

    def _apply(self, conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "UPDATE meta SET value = value + 1 WHERE name = 'version' RETURNING value"
        )
        version = int(row.fetchone()[0])
        stamp = version.to_bytes(8, "big") + b"\x00\x00"
        for op, a, b in self.ops:
            if op == "set":
                conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (a, b))
            elif op == "clear":
                conn.execute("DELETE FROM kv WHERE key >= ? AND key < ?", (a, b))
            elif op == "add":
                current = conn.execute("SELECT value FROM kv WHERE key = ?", (a,)).fetchone()
                new = _add(None if current is None else bytes(current[0]), b)  # type: ignore[arg-type]
                conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (a, new))
            else:
                offset = struct.unpack("<I", a[-4:])[0]
                key = a[:offset] + stamp + a[offset + _VERSIONSTAMP_PLACEHOLDER : -4]
                conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, b))
        return version

    def _end_read(self) -> None:
        self._release()  # release rolls back the read transaction: it wrote nothing

    def _rollback(self) -> None:
        self._release()

    def reset(self) -> None:
        self._rollback()
        self.ops.clear()
        self.size = 0
        self.started = time.monotonic()
