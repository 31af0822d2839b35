"""Keys: FoundationDB's tuple layer and subspaces, usable without libfdb_c.

`fdb.tuple` only touches `fdb.impl` to unwrap a future in `Versionstamp.to_bytes`; importing
`fdb.impl` loads libfdb_c, which the embedded backend does not have. When it is absent we
register a stand-in module whose `Value` no object is an instance of, so the tuple layer
behaves exactly as it does with the client library loaded.
"""

from __future__ import annotations

import struct
import sys
import types
import weakref
from typing import TypeAlias

import fdb

try:  # pragma: no cover - depends on whether libfdb_c is installed
    import fdb.impl  # noqa: F401
except Exception:  # libfdb_c missing: OSError or the binding's own Exception
    _stand_in = types.ModuleType("fdb.impl")

    class _NoFuture:  # no value is ever an instance: nothing to unwrap
        pass

    vars(_stand_in)["Value"] = _NoFuture
    sys.modules["fdb.impl"] = _stand_in
    fdb.impl = _stand_in

from fdb import tuple as fdb_tuple  # noqa: E402
from fdb.subspace_impl import Subspace as _FDBSubspace  # noqa: E402

_STRING = b"\x02"
_VERSIONSTAMP = b"\x33"
_INCOMPLETE = b"\xff" * 10  # an incomplete versionstamp's transaction version
_OFFSET = struct.Struct("<L")
_CACHED_KEYS = 4096  # per subspace: the hot keys of a process (counters, instruments, orders)


def _pack_strings(items: tuple[object, ...]) -> bytes | None:
    """The tuple layer's encoding of a tuple of strings, or None if it holds anything else.

    Most trading-core keys are strings only; this is the tuple layer's own encoding (type code
    0x02, UTF-8, NUL escaped as 00 FF, terminated by 00) without its per-element dispatch.
    """
    parts = []
    for item in items:
        if type(item) is not str:
            return None
        parts.append(_STRING + item.encode().replace(b"\x00", b"\x00\xff") + b"\x00")
    return b"".join(parts)


class Subspace(_FDBSubspace):
    """fdb's Subspace with fast paths for string-only tuples and string tuples ending in an
    incomplete versionstamp (same bytes, tested), and a cache of packed string keys."""

    def __init__(self, prefixTuple: tuple[object, ...] = (), rawPrefix: bytes = b"") -> None:
        super().__init__(prefixTuple, rawPrefix)
        self._packed: dict[tuple[object, ...], bytes] = {}

    def __getitem__(self, name: object) -> Subspace:
        return Subspace((name,), self.rawPrefix)

    def pack(self, t: tuple[object, ...] = ()) -> bytes:
        cache = self._packed
        packed = cache.get(t) if type(t) is tuple else None
        if packed is not None:  # only string tuples are cached: equal means equal bytes
            return packed
        fast = _pack_strings(t)
        if fast is None:
            return fdb_tuple.pack(t, prefix=self.rawPrefix)
        if len(cache) >= _CACHED_KEYS:
            cache.clear()
        packed = cache[t] = self.rawPrefix + fast
        return packed

    def pack_with_versionstamp(self, t: tuple[object, ...] = ()) -> bytes:
        stamp = t[-1] if t else None
        if (
            type(stamp) is Versionstamp
            and not stamp.is_complete()
            and not (fdb.is_api_version_selected() and fdb.get_api_version() < 520)
        ):
            head = _pack_strings(t[:-1])
            if head is not None:
                key = self.rawPrefix + head + _VERSIONSTAMP
                offset = len(key)
                return b"".join(
                    (key, _INCOMPLETE, stamp.user_version.to_bytes(2, "big"), _OFFSET.pack(offset))
                )
        return fdb_tuple.pack_with_versionstamp(t, prefix=self.rawPrefix)


pack = fdb_tuple.pack
unpack = fdb_tuple.unpack
pack_with_versionstamp = fdb_tuple.pack_with_versionstamp
Versionstamp: TypeAlias = fdb_tuple.Versionstamp

_user_versions: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()


def versionstamp(tr: object) -> Versionstamp:
    """An incomplete versionstamp unique within `tr`: its user version counts up per transaction.

    Every versionstamped key of one transaction shares the commit version, so keys that would
    otherwise be equal must differ in the user version, whichever code path writes them.
    """
    n = _user_versions.get(tr, 0)
    _user_versions[tr] = n + 1
    return Versionstamp(user_version=n)


__all__ = ["Subspace", "Versionstamp", "pack", "pack_with_versionstamp", "unpack", "versionstamp"]
