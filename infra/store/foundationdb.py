"""The FoundationDB backend: the official binding, adapted to the store surface.

Used when FDB_CLUSTER_FILE is set. `fdb` loads libfdb_c when its API version is selected,
so nothing here touches the binding until a database is opened.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from typing import Any

from infra.store.api import FDBError

API_VERSION = 730


class FoundationDBTransaction:
    def __init__(self, tr: Any, fdb: Any) -> None:
        self.tr = tr
        self.fdb = fdb
        self._stamp: Any = None

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except self.fdb.FDBError as error:
            raise FDBError(error.code, error.description) from error

    def get(self, key: bytes) -> bytes | None:
        value = self._call(lambda: self.tr.get(key).wait())
        return bytes(value) if value.present() else None

    def get_range(
        self, begin: bytes, end: bytes, *, limit: int = 0, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        rows = self._call(lambda: list(self.tr.get_range(begin, end, limit=limit, reverse=reverse)))
        return [(bytes(kv.key), bytes(kv.value)) for kv in rows]

    def set(self, key: bytes, value: bytes) -> None:
        self._call(lambda: self.tr.set(key, value))

    def clear(self, key: bytes) -> None:
        self._call(lambda: self.tr.clear(key))

    def clear_range(self, begin: bytes, end: bytes) -> None:
        self._call(lambda: self.tr.clear_range(begin, end))

    def add(self, key: bytes, delta: int) -> None:
        self._call(lambda: self.tr.add(key, struct.pack("<q", delta)))

    def set_versionstamped_key(self, key: bytes, value: bytes) -> None:
        self._call(lambda: self.tr.set_versionstamped_key(key, value))
        if self._stamp is None:
            self._stamp = self.tr.get_versionstamp()

    def get_read_version(self) -> int:
        return int(self._call(lambda: self.tr.get_read_version().wait()))

    def get_versionstamp(self) -> Callable[[], bytes]:
        stamp = self._stamp or self.tr.get_versionstamp()
        return lambda: bytes(self._call(stamp.wait))

    def commit(self) -> None:
        self._call(lambda: self.tr.commit().wait())

    def reset(self) -> None:
        self.tr.reset()


class FoundationDBDatabase:
    def __init__(self, cluster_file: str) -> None:
        import fdb

        fdb.api_version(API_VERSION)
        self.fdb = fdb
        self.db = fdb.open(cluster_file)

    def create_transaction(self) -> FoundationDBTransaction:
        return FoundationDBTransaction(self.db.create_transaction(), self.fdb)

    def watch(self, key: bytes, timeout_s: float) -> bool:
        tr = self.db.create_transaction()
        future = tr.watch(key)
        tr.commit().wait()
        fired = threading.Event()
        future.on_ready(lambda _: fired.set())
        if fired.wait(timeout_s):
            return True
        future.cancel()
        return False

    def close(self) -> None:
        """The binding keeps one network thread per process; nothing to close per handle."""
