"""The FoundationDB backend: the official binding, adapted to the store surface (api.py).

Used when FDB_CLUSTER_FILE is set. Importing this module touches nothing of the binding: `fdb`
loads libfdb_c when a database is opened, and this machine has no libfdb_c, so the contract
suite runs these classes only where a cluster exists. The binding's errors are re-raised as
api.FDBError with the same code, so the retry loop and callers see one error type.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from infra.store.api import (
    CLIENT_INVALID_OPERATION,
    MAX_RETRIES,
    FDBError,
)

API_VERSION = 730
_INT64 = struct.Struct("<q")


@contextmanager
def _translated(fdb: Any) -> Iterator[None]:
    try:
        yield
    except fdb.FDBError as error:
        raise FDBError(error.code, error.description) from error


class FoundationDBTransaction:
    """One fdb.Transaction, waiting on each future so callers get plain bytes back."""

    def __init__(self, tr: Any, fdb: Any) -> None:
        self.tr = tr
        self.fdb = fdb
        self._committed = False

    def get(self, key: bytes) -> bytes | None:
        with _translated(self.fdb):
            value = self.tr.get(key).wait()
            return bytes(value) if value.present() else None

    def get_range(
        self, begin: bytes, end: bytes, *, limit: int = 0, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        with _translated(self.fdb):
            rows = self.tr.get_range(
                begin,
                end,
                limit=limit,
                reverse=reverse,
                streaming_mode=self.fdb.StreamingMode.want_all,
            )
            return [(bytes(kv.key), bytes(kv.value)) for kv in rows]

    def set(self, key: bytes, value: bytes) -> None:
        with _translated(self.fdb):
            self.tr.set(key, value)

    def clear(self, key: bytes) -> None:
        with _translated(self.fdb):
            self.tr.clear(key)

    def clear_range(self, begin: bytes, end: bytes) -> None:
        with _translated(self.fdb):
            self.tr.clear_range(begin, end)

    def add(self, key: bytes, delta: int) -> None:
        with _translated(self.fdb):
            self.tr.add(key, _INT64.pack(delta))

    def set_versionstamped_key(self, key: bytes, value: bytes) -> None:
        with _translated(self.fdb):
            self.tr.set_versionstamped_key(key, value)

    def get_read_version(self) -> int:
        with _translated(self.fdb):
            return int(self.tr.get_read_version().wait())

    def get_versionstamp(self) -> Callable[[], bytes]:
        """FoundationDB wants this asked before commit; the answer is readable after it."""
        with _translated(self.fdb):
            future = self.tr.get_versionstamp()

        def versionstamp() -> bytes:
            if not self._committed:  # waiting would block until a commit that may never come
                raise FDBError(CLIENT_INVALID_OPERATION, "The transaction has not committed")
            with _translated(self.fdb):
                return bytes(future.wait())

        return versionstamp

    def commit(self) -> None:
        with _translated(self.fdb):
            self.tr.commit().wait()
        self._committed = True

    def reset(self) -> None:
        self.tr.reset()
        self._committed = False


class FoundationDBDatabase:
    """A FoundationDB cluster, through the binding at API version 730."""

    def __init__(self, cluster_file: str) -> None:
        import fdb

        try:  # keys.py registers a stand-in fdb.impl when libfdb_c is missing: no _capi
            import fdb.impl

            fdb.impl._capi  # noqa: B018
        except Exception as error:  # the binding raises a bare Exception when it finds no library
            raise RuntimeError(
                "FDB_CLUSTER_FILE is set but libfdb_c (the FoundationDB client) is not installed"
            ) from error
        fdb.api_version(API_VERSION)
        self.fdb = fdb
        self.db = fdb.open(cluster_file)

    def create_transaction(self) -> FoundationDBTransaction:
        return FoundationDBTransaction(self.db.create_transaction(), self.fdb)

    def watch(self, key: bytes, timeout_s: float) -> bool:
        """FoundationDB's own watch: registered by a committed transaction, it fires when the
        key's value changes from the one that transaction read."""
        future = self._register_watch(key)
        fired = threading.Event()
        future.on_ready(lambda _: fired.set())
        if not fired.wait(timeout_s):
            future.cancel()
            return False
        with _translated(self.fdb):
            future.wait()  # a watch can also end in an error (e.g. 1032 too_many_watches)
        return True

    def _register_watch(self, key: bytes) -> Any:
        tr = self.db.create_transaction()
        with _translated(self.fdb):
            for _ in range(MAX_RETRIES):
                try:
                    future = tr.watch(key)
                    tr.commit().wait()
                    return future
                except self.fdb.FDBError as error:
                    tr.on_error(error.code).wait()  # raises when the error is not retryable
        raise FDBError(CLIENT_INVALID_OPERATION, "Could not register the watch")

    def close(self) -> None:
        """The binding keeps one network thread per process; nothing to close per handle."""
