"""Read-your-writes: the write buffer agrees with applying the same calls one by one."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from infra.store.writes import WriteBuffer, add_le

INT64 = struct.Struct("<q")
KEYS = [b"a", b"b", b"b\x00", b"c", b"d", b"e"]

keys = st.sampled_from(KEYS)
values = st.binary(max_size=10)
deltas = st.integers(min_value=-(2**63), max_value=2**63 - 1)
calls = st.one_of(
    st.tuples(st.just("set"), keys, values),
    st.tuples(st.just("clear"), keys),
    st.tuples(st.just("clear_range"), keys, keys),
    st.tuples(st.just("add"), keys, deltas),
)
stores = st.dictionaries(keys, values)


def apply_one_by_one(stored, script):
    """The model: every call applied to the store as it comes."""
    model = dict(stored)
    for call in script:
        if call[0] == "set":
            model[call[1]] = call[2]
        elif call[0] == "clear":
            model.pop(call[1], None)
        elif call[0] == "clear_range":
            for key in [k for k in model if call[1] <= k < call[2]]:
                del model[key]
        else:
            model[call[1]] = add_le(model.get(call[1]), INT64.pack(call[2]))
    return model


def buffered(script):
    buffer = WriteBuffer()
    for call in script:
        if call[0] == "set":
            buffer.set(call[1], call[2])
        elif call[0] == "clear":
            buffer.set(call[1], None)
        elif call[0] == "clear_range":
            if call[1] < call[2]:
                buffer.clear_range(call[1], call[2])
        else:
            buffer.add(call[1], INT64.pack(call[2]))
    return buffer


def read_range(buffer, stored, begin, end, limit, reverse):
    rows = sorted((k, v) for k, v in stored.items() if begin <= k < end)
    return buffer.merge(iter(rows[::-1] if reverse else rows), begin, end, limit, reverse)


@given(stores, st.lists(calls, max_size=12), keys, keys, st.integers(0, 4), st.booleans())
def test_range_reads_see_the_calls_in_order(stored, script, begin, end, limit, reverse):
    model = apply_one_by_one(stored, script)
    expected = sorted((k, v) for k, v in model.items() if begin <= k < end)
    expected = expected[::-1] if reverse else expected
    expected = expected[:limit] if limit else expected
    assert read_range(buffered(script), stored, begin, end, limit, reverse) == expected


@given(stores, st.lists(calls, max_size=12))
def test_the_net_effect_at_commit_is_the_calls_in_order(stored, script):
    buffer = buffered(script)
    committed = dict(stored)
    for begin, end in buffer.cleared:
        for key in [k for k in committed if begin <= k < end]:
            del committed[key]
    sets, deletes, adds = buffer.net_effect()
    for (key,) in deletes:
        committed.pop(key, None)
    committed.update(sets)
    for key, param in adds:
        committed[key] = add_le(committed.get(key), param)
    assert committed == apply_one_by_one(stored, script)


def test_add_follows_foundationdbs_width_rules():
    assert add_le(None, INT64.pack(5)) == INT64.pack(5)
    assert add_le(b"\x01", INT64.pack(1)) == INT64.pack(2)  # shorter: zero-extended
    assert add_le(b"\x01" + b"\xff" * 9, INT64.pack(1)) == b"\x02" + b"\xff" * 7  # truncated
    assert add_le(INT64.pack(2**63 - 1), INT64.pack(1)) == INT64.pack(-(2**63))  # wraps


@given(st.binary(min_size=8, max_size=12), st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int64_adds_wrap_as_fdb_add(current, delta):
    param = INT64.pack(delta)
    expected = ((int.from_bytes(current[:8], "little") + delta) % 2**64).to_bytes(8, "little")
    assert add_le(current, param) == expected
