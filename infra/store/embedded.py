"""The embedded store: FoundationDB's transaction semantics over one SQLite file.

- Keys are BLOBs in a WITHOUT ROWID table; SQLite compares BLOBs with memcmp, which is exactly
  FoundationDB's bytewise key order.
- Strictly serializable, optimistically, with per-key conflicts as FoundationDB's resolver
  (conflicts.py): a transaction's reads run in one deferred SQLite read transaction (one
  snapshot, taken at its first read, whose version is the newest in `commit_log`) and are
  remembered as its read set; its writes are buffered (writes.py) and read back by itself. At
  commit it ends the snapshot, takes the write lock (BEGIN IMMEDIATE) and checks its read set
  against the write sets of the commits after its read version: any overlap is 1020
  not_committed. Otherwise it writes, and records its own write set under its version.
  Transactions on disjoint keys (two ingest processes on different orders) both commit; blind
  writes (no reads, e.g. atomic adds) never conflict.
- `commit_log` (commit_log.py) is bounded to the 5 s limit's history; older reads get 1007.
- Safe across threads and processes: connections are pooled per process (sqlite_pool.py), a
  transaction holding one from its first read (or its commit) to its end; SQLite's WAL locking
  orders processes.
- FoundationDB's limits with its error codes, and injectable 1020 / 1021 at commit.
"""

from __future__ import annotations

import enum
import random
import sqlite3
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from infra.store import commit_log
from infra.store.api import (
    CLIENT_INVALID_OPERATION,
    COMMIT_UNKNOWN_RESULT,
    INVERTED_RANGE,
    KEY_OUTSIDE_LEGAL_RANGE,
    KEY_SIZE_LIMIT,
    NO_COMMIT_VERSION,
    NOT_COMMITTED,
    TRANSACTION_SIZE_LIMIT,
    TRANSACTION_TIME_LIMIT_S,
    TRANSACTION_TOO_LARGE,
    TRANSACTION_TOO_OLD,
    USED_DURING_COMMIT,
    FDBError,
    check_sizes,
)
from infra.store.conflicts import ReadSet, encode_writes
from infra.store.sqlite_pool import ConnectionPool
from infra.store.writes import VERSIONSTAMP_BYTES, StampedKey, WriteBuffer, add_le, resolve

SQLITE_BUSY = 5  # SQLITE_BUSY_SNAPSHOT (517) and SQLITE_BUSY_RECOVERY (261) share its low byte
WATCH_POLL_S = 0.002
_MAX_KEY = b"\xff"  # keys from here on are FoundationDB's system keys
_INT64 = struct.Struct("<q")

_SCHEMA = (
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
_GET = "SELECT value FROM kv WHERE key = ?"
_RANGE = "SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"
_RANGE_REVERSE = "SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key DESC LIMIT ?"
PAGE_SIZE = 4096
_CLEAR_RANGE = "DELETE FROM kv WHERE key >= ? AND key < ?"
_DELETE = "DELETE FROM kv WHERE key = ?"
_SET = "INSERT INTO kv VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
_ADD = "INSERT INTO kv VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = fdb_add(value, ?2)"

# Fault injection outcomes at commit.
_NOT_COMMITTED = "not_committed"
_UNKNOWN_COMMITTED = "unknown_committed"  # 1021 although the writes landed
_UNKNOWN_DROPPED = "unknown_dropped"  # 1021 and nothing landed


def _setup_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("fdb_add", 2, add_le, deterministic=True)


class EmbeddedDatabase:
    """One store file; cheap to open in every process and to share between threads."""

    def __init__(
        self,
        path: str | Path,
        *,
        not_committed_rate: float = 0.0,
        commit_unknown_rate: float = 0.0,
        seed: int | None = None,
        time_limit_s: float = TRANSACTION_TIME_LIMIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for rate in (not_committed_rate, commit_unknown_rate):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"a fault rate is a probability, not {rate}")
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.not_committed_rate = not_committed_rate
        self.commit_unknown_rate = commit_unknown_rate
        self.time_limit_s = time_limit_s
        self.clock = clock
        self._random = random.Random(seed)
        self.pool = ConnectionPool(self.path, _setup_connection)
        cursor = self.pool.acquire()
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")  # a new file only; an old keeps its own
        cursor.execute("PRAGMA journal_mode=WAL")  # persistent: recorded in the file
        for statement in _SCHEMA:
            cursor.execute(statement)
        self.pool.release(cursor)

    def create_transaction(self) -> EmbeddedTransaction:
        return EmbeddedTransaction(self)

    def _draw_fault(self) -> str | None:
        """Which fault, if any, this commit suffers (seeded: runs are reproducible)."""
        if self.not_committed_rate and self._random.random() < self.not_committed_rate:
            return _NOT_COMMITTED
        if self.commit_unknown_rate and self._random.random() < self.commit_unknown_rate:
            return _UNKNOWN_COMMITTED if self._random.random() < 0.5 else _UNKNOWN_DROPPED
        return None

    def watch(self, key: bytes, timeout_s: float) -> bool:
        """Block until `key`'s value differs from its value now (True) or `timeout_s` passes.

        This process's commits wake it at once; other processes' are seen by polling
        `PRAGMA data_version` (one read of shared memory) every 2 ms. The key itself is re-read
        only when something was committed.
        """
        deadline = time.monotonic() + timeout_s
        pool = self.pool
        conn = pool.connect()
        try:
            data_version = conn.execute("PRAGMA data_version").fetchone()[0]
            start = conn.execute(_GET, (key,)).fetchone()
            seen = pool.commits
            while (left := deadline - time.monotonic()) > 0:
                with pool.committed:
                    if pool.commits == seen:
                        pool.committed.wait(timeout=min(left, WATCH_POLL_S))
                    seen = pool.commits
                current = conn.execute("PRAGMA data_version").fetchone()[0]
                if current != data_version:
                    data_version = current
                    if conn.execute(_GET, (key,)).fetchone() != start:
                        return True
            return False
        finally:
            pool.disconnect(conn)

    def close(self) -> None:
        """Close idle connections now; those of open transactions close when they end."""
        self.pool.close()


def _busy(error: sqlite3.OperationalError) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == SQLITE_BUSY


class _Versionstamp:
    """The 10-byte versionstamp of one attempt of a transaction, known once it committed."""

    __slots__ = ("value", "read_only")

    def __init__(self) -> None:
        self.value: bytes | None = None
        self.read_only = False

    def __call__(self) -> bytes:
        if self.value is None:
            if self.read_only:
                raise FDBError(NO_COMMIT_VERSION)
            raise FDBError(CLIENT_INVALID_OPERATION, "The transaction has not committed")
        return self.value


_OPEN, _DONE = 0, 1


class _Unbuffered(enum.Enum):
    """A key the write buffer does not hold: a sentinel mypy narrows on, unlike object()."""

    UNBUFFERED = enum.auto()


_UNBUFFERED: Final = _Unbuffered.UNBUFFERED


class EmbeddedTransaction:
    """One transaction: reads from one snapshot, writes buffered until commit.

    Like FoundationDB's, it is unusable after commit() (successful or not) until reset().
    """

    __slots__ = (
        "_db",
        "_cursor",
        "_read_at",
        "_read_version",
        "_reads",
        "_buffer",
        "_size",
        "_stamp",
        "_state",
        "__weakref__",  # keys.versionstamp() counts user versions per transaction, weakly
    )

    def __init__(self, db: EmbeddedDatabase) -> None:
        self._db = db
        self._cursor: sqlite3.Cursor | None = None  # held from the first read to the end
        self._read_at = 0.0
        self._read_version = 0
        self._reads = ReadSet()
        self._buffer = WriteBuffer()
        self._size = 0
        self._stamp = _Versionstamp()
        self._state = _OPEN

    def __del__(self) -> None:  # dropped without commit or reset: give the connection back
        if self._cursor is not None:
            try:
                self._end()
            except Exception:  # noqa: S110 - interpreter shutdown; nothing left to release to
                pass

    def _end(self) -> None:
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            self._db.pool.release(cursor)

    # --- reads ------------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Cursor:
        """The snapshot's cursor; the snapshot starts at the transaction's first read."""
        if self._state:
            raise FDBError(USED_DURING_COMMIT)
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self._db.pool.acquire()
            cursor.execute("BEGIN")
            self._read_version = cursor.execute(commit_log.READ_VERSION).fetchone()[
                0
            ]  # the snapshot
            self._read_at = self._db.clock()
        elif self._db.clock() - self._read_at > self._db.time_limit_s:
            raise FDBError(TRANSACTION_TOO_OLD)
        return cursor

    def get_read_version(self) -> int:
        self._reader()
        return self._read_version

    def get(self, key: bytes) -> bytes | None:
        if key >= _MAX_KEY:
            raise FDBError(KEY_OUTSIDE_LEGAL_RANGE)
        buffer = self._buffer
        entry = buffer.entries.get(key, _UNBUFFERED)
        if entry is None or type(entry) is bytes or (entry is _UNBUFFERED and buffer.hides(key)):
            if self._state:  # answered from the buffer: the stored value does not matter
                raise FDBError(USED_DURING_COMMIT)
            return entry if entry is not _UNBUFFERED else None
        cursor = self._reader()
        stored = None
        if len(key) <= KEY_SIZE_LIMIT:  # no longer key can exist (FoundationDB answers so too)
            row = cursor.execute(_GET, (key,)).fetchone()
            stored = None if row is None else row[0]
        self._reads.points.add(key)
        return stored if entry is _UNBUFFERED else resolve(entry, stored)

    def get_range(
        self, begin: bytes, end: bytes, *, limit: int = 0, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        if begin > _MAX_KEY or end > _MAX_KEY:
            raise FDBError(KEY_OUTSIDE_LEGAL_RANGE)
        cursor = self._reader()
        if begin >= end:
            return []  # FoundationDB answers an inverted range with nothing, not an error
        buffer = self._buffer
        if not (buffer.entries or buffer.cleared):
            sql = _RANGE_REVERSE if reverse else _RANGE
            result = cursor.execute(sql, (begin, end, limit or -1)).fetchall()
        else:
            batch = limit + len(buffer.entries) if limit else -1
            rows = _stored_rows(cursor, begin, end, reverse, batch)
            result = buffer.merge(rows, begin, end, limit, reverse)
        if limit and len(result) == limit:  # read only as far as the last row returned
            if reverse:
                begin = result[-1][0]
            else:
                end = result[-1][0] + b"\x00"
        self._reads.ranges.append((begin, end))
        return result

    # --- writes -----------------------------------------------------------------------------
    def _write(self, key: bytes, value: bytes | None, size: int) -> None:
        if self._state:
            raise FDBError(USED_DURING_COMMIT)
        if key >= _MAX_KEY:
            raise FDBError(KEY_OUTSIDE_LEGAL_RANGE)
        check_sizes(key, value)
        self._size += size
        if self._size > TRANSACTION_SIZE_LIMIT:
            raise FDBError(TRANSACTION_TOO_LARGE)

    def set(self, key: bytes, value: bytes) -> None:
        if type(value) is not bytes:  # SQLite would store a str as TEXT, out of key order
            raise TypeError("Value must be of type bytes")
        self._write(key, value, len(key) + len(value))
        self._buffer.set(key, value)

    def clear(self, key: bytes) -> None:
        self._write(key, None, len(key))
        self._buffer.set(key, None)

    def clear_range(self, begin: bytes, end: bytes) -> None:
        if begin > end:
            raise FDBError(INVERTED_RANGE)
        if end > _MAX_KEY:
            raise FDBError(KEY_OUTSIDE_LEGAL_RANGE)
        self._write(begin, None, len(begin) + len(end))
        if begin < end:
            self._buffer.clear_range(begin, end)

    def add(self, key: bytes, delta: int) -> None:
        param = _INT64.pack(delta)
        self._write(key, param, len(key) + len(param))
        self._buffer.add(key, param)

    def set_versionstamped_key(self, key: bytes, value: bytes) -> None:
        key, offset = key[:-4], int.from_bytes(key[-4:], "little")
        if len(key) < offset + VERSIONSTAMP_BYTES:
            raise FDBError(CLIENT_INVALID_OPERATION, "Versionstamp offset outside the key")
        self._write(key, value, len(key) + len(value))
        self._buffer.stamped.append(StampedKey(key, offset, value))

    def get_versionstamp(self) -> Callable[[], bytes]:
        if self._state:
            raise FDBError(USED_DURING_COMMIT)
        return self._stamp

    # --- commit -----------------------------------------------------------------------------
    def commit(self) -> None:
        if self._state:
            raise FDBError(USED_DURING_COMMIT)
        self._state = _DONE
        if not self._buffer:  # read-only: its reads were one snapshot, nothing to check
            self._stamp.read_only = True
            self._end()
            return
        db = self._db
        try:
            if self._cursor is not None and db.clock() - self._read_at > db.time_limit_s:
                raise FDBError(TRANSACTION_TOO_OLD)
            fault = db._draw_fault()
            if fault == _NOT_COMMITTED:
                raise FDBError(NOT_COMMITTED)
            stamp = self._apply(fault)
        finally:
            self._end()
        db.pool.note_commit()
        if fault == _UNKNOWN_COMMITTED:
            raise FDBError(COMMIT_UNKNOWN_RESULT)
        self._stamp.value = stamp

    def _apply(self, fault: str | None) -> bytes:
        """Write the buffer in one SQLite write transaction; its commit version's stamp."""
        cursor = self._cursor
        try:
            if cursor is None:
                cursor = self._cursor = self._db.pool.acquire()
            else:
                cursor.execute("ROLLBACK")  # the snapshot ends; the read set is checked instead
            cursor.execute("BEGIN IMMEDIATE")  # waits for the write lock
            latest: int = cursor.execute(commit_log.READ_VERSION).fetchone()[0]
            if self._reads and latest != self._read_version:
                commit_log.check(cursor, self._read_version, self._reads)
            version = latest + 1
            stamp = version.to_bytes(8, "big") + b"\x00\x00"
            commit_log.record(cursor, version, _write_buffer(cursor, self._buffer, stamp))
            if fault == _UNKNOWN_DROPPED:
                raise FDBError(COMMIT_UNKNOWN_RESULT)  # _end() rolls back
            cursor.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if _busy(error):
                raise FDBError(NOT_COMMITTED) from None
            raise
        return stamp

    def reset(self) -> None:
        self._end()
        self._reads = ReadSet()
        self._buffer = WriteBuffer()
        self._size = 0
        self._stamp = _Versionstamp()
        self._state = _OPEN


def _stored_rows(
    cursor: sqlite3.Cursor, begin: bytes, end: bytes, reverse: bool, batch: int
) -> Iterator[tuple[bytes, bytes]]:
    """Stored rows of [begin, end) in order, fetched `batch` at a time (-1: all at once)."""
    sql = _RANGE_REVERSE if reverse else _RANGE
    while True:
        rows = cursor.execute(sql, (begin, end, batch)).fetchall()
        yield from rows
        if batch < 0 or len(rows) < batch:
            return
        if reverse:
            end = rows[-1][0]
        else:
            begin = rows[-1][0] + b"\x00"


def _write_buffer(cursor: sqlite3.Cursor, buffer: WriteBuffer, stamp: bytes) -> bytes:
    """Apply the net effect of the buffered writes: range clears, then keys, then stamps.

    Returns the transaction's write conflict set, encoded for commit_log."""
    for begin, end in buffer.cleared:
        cursor.execute(_CLEAR_RANGE, (begin, end))
    sets, deletes, adds = buffer.net_effect()
    if deletes:
        cursor.executemany(_DELETE, deletes)
    if sets:
        cursor.executemany(_SET, sets)
    if adds:
        cursor.executemany(_ADD, adds)
    points = list(buffer.entries)
    if buffer.stamped:
        final = [(s.final_key(stamp), s.value) for s in buffer.stamped]
        stamped = [(key, value) for key, value in final if key is not None]
        cursor.executemany(_SET, stamped)
        points += [key for key, _ in stamped]
    return encode_writes(points, buffer.cleared)
