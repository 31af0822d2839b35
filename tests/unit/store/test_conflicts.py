"""ReadSet.conflicts_with against the definition: some written key or range meets a read."""

from __future__ import annotations

import random

from infra.store.conflicts import ReadSet, encode_writes

KEYS = [bytes([a, b]) for a in range(4) for b in range(4)]


def _range(rng: random.Random) -> tuple[bytes, bytes]:
    begin, end = sorted(rng.sample(KEYS, 2))
    return begin, end


def _covered(points: set[bytes], ranges: list[tuple[bytes, bytes]]) -> set[bytes]:
    """Every key of a small universe that the points or ranges touch (keys plus 1-byte tails)."""
    universe = KEYS + [k + b"\x00" for k in KEYS]
    return {k for k in universe if k in points or any(b <= k < e for b, e in ranges)}


def test_conflicts_match_the_definition_on_random_sets():
    rng = random.Random(7)
    for _ in range(3000):
        reads = ReadSet()
        reads.points = set(rng.sample(KEYS, rng.randint(0, 3)))
        reads.ranges = [_range(rng) for _ in range(rng.randint(0, 2))]
        points = rng.sample(KEYS, rng.randint(0, 3))
        ranges = [_range(rng) for _ in range(rng.randint(0, 2))]
        expected = bool(_covered(reads.points, reads.ranges) & _covered(set(points), ranges))
        assert reads.conflicts_with(encode_writes(points, ranges)) is expected


def test_an_empty_range_conflicts_with_nothing():
    reads = ReadSet()
    reads.ranges = [(b"a", b"a")]
    reads.points = {b"a"}
    assert not reads.conflicts_with(encode_writes([b"b"], [(b"a", b"a")]))
