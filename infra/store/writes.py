"""A transaction's buffered writes, read back by the transaction itself (read-your-writes).

The buffer keeps each key's net effect, not the list of calls: a read is one dict lookup and a
commit writes each key once. The order of calls still decides the result, as in FoundationDB:
a range clear turns the buffered writes it covers into clears, an add over a buffered value
becomes that value plus the addend, and an add over a value the transaction has not read stays
pending and is applied to the stored value at commit (so blind adds never conflict).

Pure Python, no SQLite: the embedded backend feeds it stored rows; the unit tests feed it a
model of the store and compare with applying the calls one by one.
"""

from __future__ import annotations

import bisect
import enum
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

VERSIONSTAMP_BYTES = 10
_KEPT_SORTED_UP_TO = 512
_U64 = struct.Struct("<Q")
_MASK64 = (1 << 64) - 1  # beyond this many keys, sort on demand instead of on insert


def add_le(current: bytes | None, param: bytes) -> bytes:
    """FoundationDB's ADD: `current` zero-extended or truncated to len(param), plus `param`,
    as little-endian integers wrapping at that width (fdb/fdboptions.py, mutation type 2)."""
    width = len(param)
    if width == 8 and current is not None and len(current) >= 8:  # the common case: int64
        total64 = _U64.unpack_from(current)[0] + _U64.unpack(param)[0]
        return _U64.pack(total64 & _MASK64)
    total = int.from_bytes(current[:width] if current else b"", "little") + int.from_bytes(
        param, "little"
    )
    return (total & ((1 << (8 * width)) - 1)).to_bytes(width, "little")


class PendingAdd:
    """Adds to a key whose stored value the transaction has not seen, summed until commit.

    Summing addends is exact because every add of this store has the same width (int64).
    """

    __slots__ = ("param",)

    def __init__(self, param: bytes) -> None:
        self.param = param


# A key's net effect: its new value, None for a clear, or adds over the stored value.
Entry = bytes | None | PendingAdd


class _Absent(enum.Enum):
    """A key the buffer does not hold: a sentinel mypy narrows on (`is`), unlike object()."""

    ABSENT = enum.auto()


_ABSENT: Final = _Absent.ABSENT


def in_ranges(key: bytes, ranges: list[tuple[bytes, bytes]]) -> bool:
    for begin, end in ranges:
        if begin <= key < end:
            return True
    return False


def resolve(entry: Entry, stored: bytes | None) -> bytes | None:
    """What the transaction reads for a buffered key whose stored value is `stored`."""
    if isinstance(entry, PendingAdd):
        return add_le(stored, entry.param)
    return entry


@dataclass(slots=True)
class StampedKey:
    """A set_versionstamped_key: the key is only known at commit, so range clears made after
    it are remembered and applied to the final key."""

    key: bytes  # without its 4 offset bytes
    offset: int
    value: bytes
    later_clears: list[tuple[bytes, bytes]] = field(default_factory=list)

    def final_key(self, stamp: bytes) -> bytes | None:
        key = self.key[: self.offset] + stamp + self.key[self.offset + VERSIONSTAMP_BYTES :]
        return None if in_ranges(key, self.later_clears) else key


class WriteBuffer:
    """Buffered writes of one transaction, as net effects per key plus range clears."""

    __slots__ = ("entries", "cleared", "stamped", "_sorted")

    def __init__(self) -> None:
        self.entries: dict[bytes, Entry] = {}
        self.cleared: list[tuple[bytes, bytes]] = []  # applied before the entries at commit
        self.stamped: list[StampedKey] = []  # applied after them
        self._sorted: list[bytes] | None = []  # the entries' keys in order, rebuilt on demand

    def __bool__(self) -> bool:
        return bool(self.entries or self.cleared or self.stamped)

    def _new_key(self, key: bytes) -> None:
        keys = self._sorted
        if keys is not None:
            if len(keys) < _KEPT_SORTED_UP_TO:
                bisect.insort(keys, key)
            else:
                self._sorted = None

    def set(self, key: bytes, value: bytes | None) -> None:
        if key not in self.entries:
            self._new_key(key)
        self.entries[key] = value

    def clear_range(self, begin: bytes, end: bytes) -> None:
        for key in self.keys_between(begin, end):
            self.entries[key] = None
        self.cleared.append((begin, end))
        for stamped in self.stamped:
            stamped.later_clears.append((begin, end))

    def add(self, key: bytes, param: bytes) -> None:
        entry = self.entries.get(key, _ABSENT)
        if entry is _ABSENT:
            self._new_key(key)
            cleared = self.cleared and in_ranges(key, self.cleared)
            self.entries[key] = add_le(None, param) if cleared else PendingAdd(param)
        elif isinstance(entry, PendingAdd):
            entry.param = add_le(entry.param, param)
        else:
            self.entries[key] = add_le(entry, param)

    def keys_between(self, begin: bytes, end: bytes) -> list[bytes]:
        """Buffered keys in [begin, end), in order."""
        keys = self._sorted
        if keys is None:
            keys = self._sorted = sorted(self.entries)
        return keys[bisect.bisect_left(keys, begin) : bisect.bisect_left(keys, end)]

    def hides(self, key: bytes) -> bool:
        """True when a stored `key` is cleared by this transaction and not written again."""
        return bool(self.cleared) and key not in self.entries and in_ranges(key, self.cleared)

    def merge(
        self,
        stored: Iterator[tuple[bytes, bytes]],
        begin: bytes,
        end: bytes,
        limit: int,
        reverse: bool,
    ) -> list[tuple[bytes, bytes]]:
        """The range as this transaction sees it: `stored` rows (in the requested order)
        overlaid with the buffer. Consumes `stored` only as far as `limit` needs."""
        local = self.keys_between(begin, end)
        if reverse:
            local.reverse()
        out: list[tuple[bytes, bytes]] = []
        row = next(stored, None)
        i, n = 0, len(local)
        while (row is not None or i < n) and (not limit or len(out) < limit):
            mine = local[i] if i < n else None
            if mine is None or (row is not None and (row[0] > mine if reverse else row[0] < mine)):
                assert row is not None
                if not (self.cleared and in_ranges(row[0], self.cleared)):
                    out.append(row)
                row = next(stored, None)
                continue
            stored_value = None
            if row is not None and row[0] == mine:
                stored_value = row[1]
                row = next(stored, None)
            i += 1
            value = resolve(self.entries[mine], stored_value)
            if value is not None:
                out.append((mine, value))
        return out

    def net_effect(
        self,
    ) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes]], list[tuple[bytes, bytes]]]:
        """(sets, deletes, adds) to apply after the range clears; keys are disjoint."""
        sets: list[tuple[bytes, bytes]] = []
        deletes: list[tuple[bytes]] = []
        adds: list[tuple[bytes, bytes]] = []
        for key, entry in self.entries.items():
            if entry is None:
                deletes.append((key,))
            elif isinstance(entry, PendingAdd):
                adds.append((key, entry.param))
            else:
                sets.append((key, entry))
        return sets, deletes, adds
