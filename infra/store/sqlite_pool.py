"""SQLite connections to one store file, for one process.

- Pooled: a transaction holds a connection from its first read (or its commit) to its end, so
  several transactions can be open at once in one thread or many (FoundationDB allows it), and
  none pays for opening a connection.
- Fork-aware: SQLite forbids using a connection in a child of the process that opened it, so a
  forked child leaves every inherited connection alone (never used, never closed) and opens its
  own. And a child inherits SQLite's mutexes and its in-memory lock tables in whatever state
  another thread left them: forked while a thread was opening, using or closing a connection,
  it can hang on its first allocation or lock. So the pool opens and closes connections under
  its lock, the checkpointer does all its SQLite work under `checkpointing`, and fork() waits
  for both (a transaction's own statements run in the thread that would fork, or are the
  application's to keep away from fork()).
- One writer at a time, woken at once: a committer takes the store's writer lock (flock on
  `<file>-lock`, and a thread lock for this process's threads) around its SQLite write
  transaction, so a waiting committer, in this process or another, blocks in the kernel and
  runs the moment the holder ends. SQLite's own busy handler (still the backstop) sleeps 1, 2,
  5 ... 100 ms between tries, far longer than a commit: with it, two ingest processes applied
  fewer reports per second than one. The kernel drops a dead holder's flock (kill -9).
- Checkpointed off the commit path: with synchronous=NORMAL a WAL checkpoint is where SQLite
  fsyncs, and inside a commit it costs that transaction milliseconds. A background thread
  checkpoints (PASSIVE: it never blocks readers or writers) after commits; SQLite's own
  autocheckpoint stays as the backstop when the thread falls behind or is not running.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable

BUSY_TIMEOUT_S = 30.0  # how long a blind writer waits for the write lock before giving up
MAX_IDLE_CONNECTIONS = 16
CHECKPOINT_INTERVAL_S = 0.02
AUTOCHECKPOINT_PAGES = 4000  # 16 MB of WAL before a committer checkpoints itself

_POOLS: weakref.WeakSet[ConnectionPool] = weakref.WeakSet()
_POOLS_LOCK = threading.Lock()  # held across fork(): no pool is half made in the child
# The `checkpointing` lock of every running checkpointer, also of a pool already dropped
# whose thread is still closing its connection: fork() waits for each.
_CHECKPOINTERS: set[threading.Lock] = set()
_INHERITED: list[sqlite3.Cursor] = []  # a fork child's inherited connections: kept, unused


class ConnectionPool:
    """Idle connections (as cursors) of one file, plus commit notifications for watchers."""

    def __init__(self, path: str, setup: Callable[[sqlite3.Connection], None]) -> None:
        self.path = path
        self._setup = setup
        self._closed = False
        self._reset()
        with _POOLS_LOCK:
            _POOLS.add(self)

    def _reset(self) -> None:
        """No connections, no checkpointer: at open, and in a fork child."""
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Cursor] = []
        self._mine: set[sqlite3.Cursor] = set()
        self._checkpointer: threading.Thread | None = None
        self.checkpointing = threading.Lock()  # held inside SQLite; fork() waits for it
        self._stop = threading.Event()
        self.committed = threading.Condition()
        self.commits = 0
        self._writer = threading.Lock()  # this process's threads, one at a time at the flock
        self._writer_fd: int | None = None  # a fork child opens its own: flock is per open file

    def lock_writer(self) -> bool:
        """Take the store's writer lock (see the module's docstring); False after the timeout."""
        if not self._writer.acquire(timeout=BUSY_TIMEOUT_S):
            return False
        try:
            fd = self._writer_fd
            if fd is None:
                fd = self._writer_fd = os.open(f"{self.path}-lock", os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)  # a holder only runs SQL: bounded by its busy timeout
        except BaseException:
            self._writer.release()
            raise
        return True

    def unlock_writer(self) -> None:
        fd = self._writer_fd
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._writer.release()

    def connect(self) -> sqlite3.Connection:
        """A new connection, opened while no fork() can copy it half made."""
        with self._lock:
            return self._connect()

    def disconnect(self, conn: sqlite3.Connection) -> None:
        """Close a connection from connect(), while no fork() can copy it half closed."""
        with self._lock:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
        conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        self._setup(conn)
        return conn

    def acquire(self) -> sqlite3.Cursor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the store is closed")
            if self._idle:
                return self._idle.pop()
            cursor = self._connect().cursor()
            self._mine.add(cursor)
            return cursor

    def release(self, cursor: sqlite3.Cursor) -> None:
        """Take a connection back, ending whatever SQLite transaction it still has open."""
        with self._lock:
            mine = cursor in self._mine
            keep = mine and not self._closed and len(self._idle) < MAX_IDLE_CONNECTIONS
            if mine and not keep:
                self._mine.discard(cursor)
        if not mine:  # inherited across fork(): leave it alone
            return
        try:
            if cursor.connection.in_transaction:
                cursor.execute("ROLLBACK")
        except sqlite3.Error:
            keep = False
        with self._lock:
            if keep:
                self._idle.append(cursor)
            else:
                cursor.connection.close()

    def note_commit(self) -> None:
        """Wake this process's watchers, and make sure someone checkpoints."""
        with self.committed:
            self.commits += 1
            self.committed.notify_all()
        if self._checkpointer is None:
            self._start_checkpointer()

    def _start_checkpointer(self) -> None:
        with self._lock:
            if self._checkpointer is not None or self._closed:
                return
            thread = threading.Thread(
                target=_checkpoint_after_commits,
                args=(weakref.ref(self), self._stop),
                name=f"store-checkpoint:{os.path.basename(self.path)}",
                daemon=True,
            )
            self._checkpointer = thread
        thread.start()

    def close(self) -> None:
        """Close idle connections now; those of open transactions close when released."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._mine.difference_update(idle)
            checkpointer = self._checkpointer
            for cursor in idle:
                cursor.connection.close()
        self._stop.set()
        if self._writer.acquire(timeout=BUSY_TIMEOUT_S):  # not while a commit holds it
            fd, self._writer_fd = self._writer_fd, None
            self._writer.release()
            if fd is not None:
                os.close(fd)
        if checkpointer is not None and checkpointer is not threading.current_thread():
            checkpointer.join(timeout=BUSY_TIMEOUT_S)


def _checkpoint_after_commits(pool_ref: weakref.ref[ConnectionPool], stop: threading.Event) -> None:
    """Checkpoint every CHECKPOINT_INTERVAL_S if something was committed since the last one.

    Holds the pool weakly: a pool dropped without close() ends the thread too. Errors end the
    thread quietly (SQLite's autocheckpoint takes over); none reaches a committer.
    """
    pool = pool_ref()
    if pool is None:
        return
    checkpointing = pool.checkpointing
    with _POOLS_LOCK:
        _CHECKPOINTERS.add(checkpointing)
    try:
        _checkpoint_with(pool_ref, stop, pool, checkpointing)
    finally:
        with _POOLS_LOCK:
            _CHECKPOINTERS.discard(checkpointing)


def _checkpoint_with(
    pool_ref: weakref.ref[ConnectionPool],
    stop: threading.Event,
    pool: ConnectionPool,
    checkpointing: threading.Lock,
) -> None:
    try:
        with checkpointing:
            conn = pool._connect()
    except sqlite3.Error:
        return
    del pool
    checkpointed = 0
    try:
        while not stop.wait(CHECKPOINT_INTERVAL_S):
            live = pool_ref()  # held only for these two reads
            if live is None:
                return
            commits, checkpointing = live.commits, live.checkpointing
            del live
            if commits != checkpointed:
                checkpointed = commits
                with checkpointing:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error:
        return
    finally:
        with checkpointing:
            conn.close()


_forking: list[ConnectionPool] = []
_held: list[threading.Lock] = []


def _before_fork() -> None:
    """Fork only while no pool opens or closes a connection and no checkpointer is inside
    SQLite, whose mutexes and lock tables the child inherits."""
    _POOLS_LOCK.acquire()
    _forking[:] = list(_POOLS)
    for pool in _forking:
        pool._lock.acquire()
    _held[:] = list(_CHECKPOINTERS | {pool.checkpointing for pool in _forking})
    for lock in _held:
        lock.acquire()


def _after_fork_in_parent() -> None:
    for lock in _held:
        lock.release()
    for pool in _forking:
        pool._lock.release()
    _held.clear()
    _forking.clear()
    _POOLS_LOCK.release()


def _after_fork_in_child() -> None:
    for pool in _forking:
        _INHERITED.extend(pool._mine)
        pool._reset()  # new locks: the inherited ones stay held, unused
    _forking.clear()
    _held.clear()
    _CHECKPOINTERS.clear()  # their threads are the parent's
    _POOLS_LOCK.release()


os.register_at_fork(
    before=_before_fork,
    after_in_parent=_after_fork_in_parent,
    after_in_child=_after_fork_in_child,
)
