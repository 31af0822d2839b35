"""The store's surface: the part of FoundationDB's Python API that trading-core uses.

Both backends (embedded SQLite and FoundationDB) implement `Database` and `Transaction`
with FoundationDB's semantics: keys and values are bytes ordered bytewise, ranges are
[begin, end), writes are buffered and read back by the same transaction, `add` is
FoundationDB's ADD mutation (little-endian integer, wrapping at the value's width),
and the retry loop treats 1020/1021/1007 as retryable exactly as `Transaction.on_error`.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

# FoundationDB error codes (fdb/impl.py, error_definitions.h).
TRANSACTION_TOO_OLD = 1007
NOT_COMMITTED = 1020
COMMIT_UNKNOWN_RESULT = 1021
TRANSACTION_TIMED_OUT = 1031
TRANSACTION_TOO_LARGE = 2101
KEY_TOO_LARGE = 2102
VALUE_TOO_LARGE = 2103
INVERTED_RANGE = 2005
KEY_OUTSIDE_LEGAL_RANGE = 2004
CLIENT_INVALID_OPERATION = 2000
USED_DURING_COMMIT = 2017
NO_COMMIT_VERSION = 2021

RETRYABLE = frozenset({TRANSACTION_TOO_OLD, NOT_COMMITTED, COMMIT_UNKNOWN_RESULT})

KEY_SIZE_LIMIT = 10_000
VALUE_SIZE_LIMIT = 100_000
TRANSACTION_SIZE_LIMIT = 10_000_000
TRANSACTION_TIME_LIMIT_S = 5.0
MAX_RETRIES = 100

_MESSAGES = {
    TRANSACTION_TOO_OLD: "Transaction is too old to perform reads or be committed",
    NOT_COMMITTED: "Transaction not committed due to conflict with another transaction",
    COMMIT_UNKNOWN_RESULT: "Transaction may or may not have committed",
    TRANSACTION_TIMED_OUT: "Operation aborted because the transaction timed out",
    TRANSACTION_TOO_LARGE: "Transaction exceeds byte limit",
    KEY_TOO_LARGE: "Key length exceeds limit",
    VALUE_TOO_LARGE: "Value length exceeds limit",
    INVERTED_RANGE: "Range begin key larger than end key",
    KEY_OUTSIDE_LEGAL_RANGE: "Key outside legal range",
    CLIENT_INVALID_OPERATION: "Invalid API call",
    USED_DURING_COMMIT: "Operation issued while a commit was outstanding",
    NO_COMMIT_VERSION: "Transaction is read-only and therefore does not have a commit version",
}


class FDBError(Exception):
    """A store error carrying FoundationDB's numeric code (same codes on every backend)."""

    def __init__(self, code: int, description: str | None = None) -> None:
        self.code = code
        self.description = description or _MESSAGES.get(code, "Unknown error")
        super().__init__(f"{self.description} ({code})")

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE


class Transaction(Protocol):
    """One strictly serializable transaction; nothing is visible to others before commit."""

    def get(self, key: bytes) -> bytes | None: ...

    def get_range(
        self, begin: bytes, end: bytes, *, limit: int = 0, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]: ...

    def set(self, key: bytes, value: bytes) -> None: ...

    def clear(self, key: bytes) -> None: ...

    def clear_range(self, begin: bytes, end: bytes) -> None: ...

    def add(self, key: bytes, delta: int) -> None:
        """FoundationDB's ADD: little-endian int64 add, no read, no conflict."""

    def set_versionstamped_key(self, key: bytes, value: bytes) -> None:
        """`key` carries a 10-byte placeholder whose offset is its last 4 bytes (LE uint32)."""

    def get_read_version(self) -> int: ...

    def get_versionstamp(self) -> Callable[[], bytes]:
        """A callable that returns this transaction's 10-byte versionstamp after commit."""


class Database(Protocol):
    """A handle on one store; `create_transaction` is what the retry loop uses."""

    def create_transaction(self) -> CommittableTransaction: ...

    def watch(self, key: bytes, timeout_s: float) -> bool:
        """Block until `key` changes (True) or `timeout_s` passes (False)."""

    def close(self) -> None: ...


class CommittableTransaction(Transaction, Protocol):
    def commit(self) -> None: ...

    def reset(self) -> None: ...


T = TypeVar("T")


def run(db: Database, fn: Callable[[Transaction], T], *, max_retries: int = MAX_RETRIES) -> T:
    """Run `fn` in a transaction, retrying retryable errors as FoundationDB's on_error does.

    `fn` may run more than once, and after `commit_unknown_result` it may run again although
    its first run committed: it must do no I/O and must be idempotent under replay.
    """
    backoff_s = 0.001
    for attempt in range(max_retries + 1):
        tr = db.create_transaction()
        try:
            result = fn(tr)
            tr.commit()
            return result
        except FDBError as error:
            tr.reset()
            if not error.retryable or attempt == max_retries:
                raise
        except BaseException:
            tr.reset()  # nothing of a refused transaction is written
            raise
        time.sleep(backoff_s * random.random())  # jitter, as the client does
        backoff_s = min(backoff_s * 2, 1.0)
    raise AssertionError("unreachable")


def transactional(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator like `@fdb.transactional`: pass a Database and the call runs in `run()`.

    Passing a Transaction instead joins that caller's transaction (no commit here).
    """

    @functools.wraps(fn)
    def wrapper(db_or_tr: Any, *args: Any, **kwargs: Any) -> T:
        if hasattr(db_or_tr, "create_transaction"):
            return run(db_or_tr, lambda tr: fn(tr, *args, **kwargs))
        return fn(db_or_tr, *args, **kwargs)

    return wrapper


def key_range(prefix: bytes) -> tuple[bytes, bytes]:
    """[prefix, strinc(prefix)): every key that starts with `prefix`."""
    return prefix, strinc(prefix)


def strinc(key: bytes) -> bytes:
    """The first key after every key that starts with `key` (fdb.impl.strinc)."""
    stripped = key.rstrip(b"\xff")
    if not stripped:
        raise ValueError("Key must contain at least one byte not equal to 0xFF.")
    return stripped[:-1] + bytes([stripped[-1] + 1])


def check_sizes(key: bytes, value: bytes | None = None) -> None:
    """FoundationDB's key and value limits, checked where the write is made so that code which
    passes on the embedded store also fits FoundationDB."""
    if len(key) > KEY_SIZE_LIMIT:
        raise FDBError(KEY_TOO_LARGE)
    if value is not None and len(value) > VALUE_SIZE_LIMIT:
        raise FDBError(VALUE_TOO_LARGE)
