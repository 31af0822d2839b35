"""Per-key conflict detection, as FoundationDB's resolver does it.

A transaction conflicts only if a key or range it read was written by a transaction that
committed after its read version. Each transaction keeps its read conflict set (point keys and
[begin, end) ranges); each commit records its write conflict set with its version in the store
(embedded.py's commit_log), and a committer checks its read set against the write sets of the
commits since its read version, under the write lock. Blind writes read nothing: never refused.

Pure Python, no SQLite: unit-tested on its own.
"""

from __future__ import annotations

import bisect

import msgspec

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(tuple[list[bytes], list[tuple[bytes, bytes]]])


class ReadSet:
    """What one transaction read: point keys, and ranges [begin, end)."""

    __slots__ = ("points", "ranges")

    def __init__(self) -> None:
        self.points: set[bytes] = set()
        self.ranges: list[tuple[bytes, bytes]] = []

    def __bool__(self) -> bool:
        return bool(self.points or self.ranges)

    def conflicts_with(self, written: bytes) -> bool:
        """True when a commit whose write set is `written` (encode_writes) touched our reads."""
        points, ranges = _decoder.decode(written)
        mine = self.points
        for key in points:
            if key in mine:
                return True
        if self.ranges:
            begins, ends = _merged(self.ranges)
            for key in points:
                i = bisect.bisect_right(begins, key) - 1
                if i >= 0 and key < ends[i]:
                    return True
            for begin, end in ranges:
                if _overlaps(begins, ends, begin, end):
                    return True
        if ranges and mine:
            ordered = sorted(mine)
            for begin, end in ranges:
                i = bisect.bisect_left(ordered, begin)
                if i < len(ordered) and ordered[i] < end:
                    return True
        return False


def _merged(ranges: list[tuple[bytes, bytes]]) -> tuple[list[bytes], list[bytes]]:
    """Disjoint, sorted ranges covering `ranges`, as (begins, ends)."""
    begins: list[bytes] = []
    ends: list[bytes] = []
    for begin, end in sorted(ranges):
        if ends and begin <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            begins.append(begin)
            ends.append(end)
    return begins, ends


def _overlaps(begins: list[bytes], ends: list[bytes], begin: bytes, end: bytes) -> bool:
    i = bisect.bisect_right(begins, begin) - 1
    if i >= 0 and ends[i] > begin:
        return True
    return i + 1 < len(begins) and begins[i + 1] < end


def encode_writes(points: list[bytes], ranges: list[tuple[bytes, bytes]]) -> bytes:
    """A commit's write conflict set as stored beside its version."""
    return _encoder.encode((points, ranges))
