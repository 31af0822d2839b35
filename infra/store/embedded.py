"""The embedded store: FoundationDB's transaction semantics over one SQLite file.

- Keys are BLOBs in a WITHOUT ROWID table; SQLite compares BLOBs with memcmp, which is exactly
  FoundationDB's bytewise key order.
- Strictly serializable, optimistically, with per-key conflicts as FoundationDB's resolver
  (conflicts.py): a transaction's reads run in one deferred SQLite read transaction (one
  snapshot, taken at its first read, whose version is the newest in `commit_log`) and are
  remembered as its read set; its writes are buffered (writes.py) and read back by itself. At
  commit it ends the snapshot, takes the write lock (the pool's writer lock, then BEGIN
  IMMEDIATE) and checks its read set against the write sets of the commits after its read
  version: any overlap is 1020 not_committed. Otherwise it writes, and records its own write
  set under its version.
  Transactions on disjoint keys (two ingest processes on different orders) both commit; blind
  writes (no reads, e.g. atomic adds) never conflict.
- `commit_log` (commit_log.py) is bounded to the 5 s limit's history; older reads get 1007.
- Safe across threads and processes: connections are pooled per process (sqlite_pool.py), a
  transaction holding one from its first read (or its commit) to its end; the writer lock
  (a flock) hands the write lock from process to process, SQLite's WAL locking backs it up.
- Its SQLite layout, statements and durability choice: sqlite_kv.py.
- FoundationDB's limits with its error codes, and injectable 1020 / 1021 at commit.
"""

from __future__ import annotations

import enum
import random
import sqlite3
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from infra.store import commit_log, sqlite_kv
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
from infra.store.conflicts import ReadSet
from infra.store.sqlite_pool import ConnectionPool
from infra.store.writes import VERSIONSTAMP_BYTES, StampedKey, WriteBuffer, resolve

WATCH_POLL_S = 0.002
_MAX_KEY = b"\xff"  # keys from here on are FoundationDB's system keys
_INT64 = struct.Struct("<q")

# Fault injection outcomes at commit.
_NOT_COMMITTED = "not_committed"
_UNKNOWN_COMMITTED = "unknown_committed"  # 1021 although the writes landed
_UNKNOWN_DROPPED = "unknown_dropped"  # 1021 and nothing landed
_setup_connection = sqlite_kv.setup_connection  # the name the fork tests open a pool with


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
        sqlite_kv.create(cursor)
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
            start = conn.execute(sqlite_kv.GET, (key,)).fetchone()
            seen = pool.commits
            while (left := deadline - time.monotonic()) > 0:
                with pool.committed:
                    if pool.commits == seen:
                        pool.committed.wait(timeout=min(left, WATCH_POLL_S))
                    seen = pool.commits
                current = conn.execute("PRAGMA data_version").fetchone()[0]
                if current != data_version:
                    data_version = current
                    if conn.execute(sqlite_kv.GET, (key,)).fetchone() != start:
                        return True
            return False
        finally:
            pool.disconnect(conn)

    def close(self) -> None:
        """Close idle connections now; those of open transactions close when they end."""
        self.pool.close()


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
            row = cursor.execute(sqlite_kv.GET, (key,)).fetchone()
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
            sql = sqlite_kv.RANGE_REVERSE if reverse else sqlite_kv.RANGE
            result = cursor.execute(sql, (begin, end, limit or -1)).fetchall()
        else:
            batch = limit + len(buffer.entries) if limit else -1
            rows = sqlite_kv.stored_rows(cursor, begin, end, reverse, batch)
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
        pool = self._db.pool
        cursor = self._cursor
        try:
            if cursor is None:
                cursor = self._cursor = pool.acquire()
            else:
                cursor.execute("ROLLBACK")  # the snapshot ends; the read set is checked instead
            if not pool.lock_writer():
                raise FDBError(NOT_COMMITTED)
            try:
                cursor.execute("BEGIN IMMEDIATE")  # SQLite's write lock: free but for outsiders
                stamp = self._commit_writes(cursor, fault)
            finally:
                try:
                    if cursor.connection.in_transaction:  # refused: end it before the next writer
                        cursor.execute("ROLLBACK")
                finally:
                    pool.unlock_writer()
        except sqlite3.OperationalError as error:
            if sqlite_kv.busy(error):
                raise FDBError(NOT_COMMITTED) from None
            raise
        return stamp

    def _commit_writes(self, cursor: sqlite3.Cursor, fault: str | None) -> bytes:
        """Check the read set, write, record the write set and commit (under the write lock)."""
        latest: int = cursor.execute(commit_log.READ_VERSION).fetchone()[0]
        if self._reads and latest != self._read_version:
            commit_log.check(cursor, self._read_version, self._reads)
        version = latest + 1
        stamp = version.to_bytes(8, "big") + b"\x00\x00"
        commit_log.record(cursor, version, sqlite_kv.write_buffer(cursor, self._buffer, stamp))
        if fault == _UNKNOWN_DROPPED:
            raise FDBError(COMMIT_UNKNOWN_RESULT)  # rolled back: nothing landed
        cursor.execute("COMMIT")
        return stamp

    def reset(self) -> None:
        self._end()
        self._reads = ReadSet()
        self._buffer = WriteBuffer()
        self._size = 0
        self._stamp = _Versionstamp()
        self._state = _OPEN
