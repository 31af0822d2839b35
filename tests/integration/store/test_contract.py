"""The store contract, one transaction at a time: what trading-core relies on, as FoundationDB
does it. Every test runs against every backend (see conftest.py); a test that only the
embedded store can run says why it skips the others."""

from __future__ import annotations

import struct

import pytest

from infra.store.api import (
    CLIENT_INVALID_OPERATION,
    INVERTED_RANGE,
    KEY_TOO_LARGE,
    NOT_COMMITTED,
    TRANSACTION_TOO_LARGE,
    TRANSACTION_TOO_OLD,
    USED_DURING_COMMIT,
    VALUE_TOO_LARGE,
    FDBError,
    key_range,
    run,
)
from infra.store.keys import Versionstamp

INT64 = struct.Struct("<q")


def everything(db, space):
    return run(db, lambda tr: tr.get_range(*key_range(space.key())))


def test_keys_sort_bytewise_as_the_tuple_layer_orders_them(db, space):
    ints = [-(2**64), -(10**12), -256, -255, -1, 0, 1, 255, 256, 10**12, 2**64]
    texts = ["", "a", "a\x00", "a\x00b", "ab", "b", "é"]
    raw = [b"", b"\x00", b"\x00\x00", b"\x01", b"a", b"a\x00", b"ab", b"\xfe"]
    keys = [space.pack((i,)) for i in ints] + [space.pack((t,)) for t in texts]
    keys += [space.key() + b"\xfe" + r for r in raw]
    run(db, lambda tr: [tr.set(k, b"") for k in reversed(keys)])
    stored = [k for k, _ in everything(db, space)]
    assert stored == sorted(keys)  # bytewise, as memcmp
    decoded = [space.unpack(k)[0] for k in stored if not k.startswith(space.key() + b"\xfe")]
    assert [d for d in decoded if isinstance(d, int)] == ints  # negatives before positives
    assert [d for d in decoded if isinstance(d, str)] == texts


def test_get_range_begin_end_limit_and_reverse(db, space):
    run(db, lambda tr: [tr.set(space.pack((i,)), b"%d" % i) for i in range(10)])
    begin, end = space.pack((2,)), space.pack((7,))

    def values(**options):
        return [v for _, v in run(db, lambda tr: tr.get_range(begin, end, **options))]

    assert values() == [b"2", b"3", b"4", b"5", b"6"]  # begin included, end excluded
    assert values(limit=2) == [b"2", b"3"]
    assert values(reverse=True) == [b"6", b"5", b"4", b"3", b"2"]
    assert values(limit=2, reverse=True) == [b"6", b"5"]
    assert run(db, lambda tr: tr.get_range(begin, begin)) == []
    # FoundationDB answers an inverted range read with nothing (only a clear refuses it).
    assert run(db, lambda tr: tr.get_range(end, begin)) == []


def test_a_transaction_reads_its_own_writes(db, space):
    k = [space.pack((i,)) for i in range(6)]
    run(db, lambda tr: [tr.set(key, INT64.pack(10 * i)) for i, key in enumerate(k)])

    def body(tr):
        tr.set(k[0], b"new")
        tr.clear(k[1])
        tr.add(k[2], 5)  # over the stored value, which this transaction never read
        tr.set(k[3], INT64.pack(7))
        tr.add(k[3], 1)  # over a buffered value
        tr.clear_range(k[4], k[5] + b"\x00")
        tr.add(k[5], 3)  # over a key this transaction cleared
        return [tr.get(key) for key in k]

    seen = run(db, body)
    assert seen == [b"new", None, INT64.pack(25), INT64.pack(8), None, INT64.pack(3)]
    assert run(db, lambda tr: [tr.get(key) for key in k]) == seen  # and that is what landed


def test_get_range_merges_buffered_writes_over_stored_rows(db, space):
    k = [space.pack((i,)) for i in range(10)]
    run(db, lambda tr: [tr.set(key, INT64.pack(i)) for i, key in enumerate(k)])

    def body(tr):
        tr.clear_range(k[2], k[6])  # clears 2, 3, 4, 5 ...
        tr.set(k[3], INT64.pack(33))  # ... then writes 3 again
        tr.clear(k[7])
        tr.add(k[8], 100)
        tr.set(space.pack((10,)), INT64.pack(10))
        whole = tr.get_range(*key_range(space.key()))
        first = tr.get_range(*key_range(space.key()), limit=3)
        last = tr.get_range(*key_range(space.key()), limit=3, reverse=True)
        return whole, first, last

    whole, first, last = run(db, body)
    expected = [(0, 0), (1, 1), (3, 33), (6, 6), (8, 108), (9, 9), (10, 10)]
    assert [(space.unpack(key)[0], INT64.unpack(v)[0]) for key, v in whole] == expected
    assert first == whole[:3]
    assert last == whole[::-1][:3]
    assert everything(db, space) == whole


def test_add_is_a_little_endian_int64_that_wraps(db, space):
    missing, big, small, short, long = (space.pack((n,)) for n in "mbsxy")

    def body(tr):
        tr.set(big, INT64.pack(2**63 - 1))
        tr.set(small, INT64.pack(0))
        tr.set(short, b"\x01")  # shorter than 8 bytes: zero-extended
        tr.set(long, b"\x01" + b"\x00" * 9)  # longer: truncated to the addend's 8 bytes

    run(db, body)
    run(db, lambda tr: [tr.add(key, d) for key, d in ((missing, 5), (big, 1), (small, -1))])
    run(db, lambda tr: [tr.add(key, 2) for key in (short, long)])
    values = run(db, lambda tr: [tr.get(key) for key in (missing, big, small, short, long)])
    assert values[0] == b"\x05" + b"\x00" * 7  # little-endian
    assert INT64.unpack(values[1])[0] == -(2**63)  # wraps
    assert values[2] == b"\xff" * 8
    assert values[3] == values[4] == INT64.pack(3)


def test_versionstamped_keys_sort_in_commit_order_and_match_get_versionstamp(db, space):
    def stamped(label):
        tr = db.create_transaction()
        tr.set_versionstamped_key(space.pack_with_versionstamp(("log", Versionstamp())), label)
        return tr, tr.get_versionstamp()

    (first, first_stamp), (second, second_stamp) = stamped(b"first"), stamped(b"second")
    with pytest.raises(FDBError) as error:
        first_stamp()  # not committed yet
    assert error.value.code == CLIENT_INVALID_OPERATION
    second.commit()  # created second, committed first
    first.commit()
    stamps = [second_stamp(), first_stamp()]
    for i in range(3):
        tr = db.create_transaction()
        key = space.pack_with_versionstamp(("log", Versionstamp(user_version=i)))
        tr.set_versionstamped_key(key, b"%d" % i)
        stamps.append(tr.get_versionstamp())
        tr.commit()
        stamps[-1] = stamps[-1]()
    rows = run(db, lambda tr: tr.get_range(*key_range(space.pack(("log",)))))
    assert [v for _, v in rows] == [b"second", b"first", b"0", b"1", b"2"]
    assert [space.unpack(k)[1].tr_version for k, _ in rows] == stamps
    assert all(len(s) == 10 for s in stamps) and stamps == sorted(set(stamps))


def test_the_read_version_moves_forward_with_commits(db, space):
    before = run(db, lambda tr: tr.get_read_version())
    run(db, lambda tr: tr.set(space.pack(("x",)), b"1"))
    assert run(db, lambda tr: tr.get_read_version()) > before


@pytest.mark.parametrize(
    ("write", "code"),
    [
        (lambda tr, s: tr.set(s.pack(("k",)) + b"k" * 10_000, b""), KEY_TOO_LARGE),
        (lambda tr, s: tr.add(s.pack(("k",)) + b"k" * 10_000, 1), KEY_TOO_LARGE),
        (lambda tr, s: tr.set(s.pack(("v",)), b"v" * 100_001), VALUE_TOO_LARGE),
        (
            lambda tr, s: [tr.set(s.pack((i,)), b"v" * 100_000) for i in range(101)],
            TRANSACTION_TOO_LARGE,
        ),
        (lambda tr, s: tr.clear_range(s.pack((2,)), s.pack((1,))), INVERTED_RANGE),
    ],
    ids=["key-10kB", "add-key-10kB", "value-100kB", "transaction-10MB", "inverted-clear"],
)
def test_foundationdb_limits_with_its_codes(db, space, write, code):
    tr = db.create_transaction()
    tr.set(space.pack(("other",)), b"x")

    def write_and_commit():  # FoundationDB reports some of these at commit, not at the call
        write(tr, space)
        tr.commit()

    with pytest.raises(FDBError) as error:
        write_and_commit()
    assert error.value.code == code
    tr.reset()
    assert everything(db, space) == []  # nothing of the transaction was written


def test_the_largest_key_and_value_fit(db, space):
    key = space.pack(("k",))
    key += b"k" * (10_000 - len(key))
    run(db, lambda tr: tr.set(key, b"v" * 100_000))
    assert run(db, lambda tr: tr.get(key)) == b"v" * 100_000


def test_a_transaction_older_than_5_s_is_refused_on_read_and_at_commit(backend, db, space):
    key = space.pack(("x",))
    tr = db.create_transaction()
    tr.get(key)
    tr.set(key, b"late")
    backend.outlive_time_limit(tr)
    for refused in (lambda: tr.get(space.pack(("y",))), tr.commit):
        with pytest.raises(FDBError) as error:
            refused()
        assert error.value.code == TRANSACTION_TOO_OLD
    tr.reset()
    assert run(db, lambda t: t.get(key)) is None


def test_the_retry_loop_retries_a_transaction_that_got_too_old(backend, db, space):
    backend.require_embedded("needs the embedded store's clock to age a transaction at once")
    attempts = []

    def body(tr):
        attempts.append(tr.get(space.pack(("x",))))
        if len(attempts) == 1:
            backend.outlive_time_limit(tr)
        tr.set(space.pack(("x",)), b"done")

    run(db, body)
    assert attempts == [None, None]
    assert run(db, lambda tr: tr.get(space.pack(("x",)))) == b"done"


def test_overlapping_transactions_conflict_and_the_retry_loop_gets_it_right(db, space):
    key = space.pack(("balance",))
    run(db, lambda tr: tr.set(key, b"10"))
    first, second = db.create_transaction(), db.create_transaction()
    a, b = int(first.get(key)), int(second.get(key))
    first.set(key, b"%d" % (a + 1))
    second.set(key, b"%d" % (b + 1))
    first.commit()
    with pytest.raises(FDBError) as error:
        second.commit()
    assert error.value.code == NOT_COMMITTED
    second.reset()

    attempts = 0

    def increment(tr):
        nonlocal attempts
        attempts += 1
        value = int(tr.get(key))
        if attempts == 1:  # someone else commits between our read and our commit
            run(db, lambda other: other.set(key, b"%d" % (int(other.get(key)) + 100)))
        tr.set(key, b"%d" % (value + 1))

    run(db, increment)
    assert attempts == 2
    assert run(db, lambda tr: tr.get(key)) == b"112"


def test_a_reader_keeps_its_snapshot_and_commits_without_conflict(db, space):
    key = space.pack(("k",))
    run(db, lambda tr: tr.set(key, b"old"))
    reader = db.create_transaction()
    assert reader.get(key) == b"old"
    run(db, lambda tr: tr.set(key, b"new"))
    assert reader.get(space.pack(("other",))) is None
    assert reader.get_range(*key_range(space.key())) == [(key, b"old")]  # one snapshot
    reader.commit()  # read-only: nothing to conflict with


def test_blind_adds_never_conflict(db, space):
    counter, key = space.pack(("counter",)), space.pack(("k",))
    adder = db.create_transaction()
    adder.add(counter, 1)
    run(db, lambda tr: [tr.set(key, b"%d" % int(tr.get(key) or b"0")), tr.add(counter, 10)])
    adder.commit()
    assert run(db, lambda tr: INT64.unpack(tr.get(counter))[0]) == 11


def test_a_committed_transaction_is_finished_until_reset(backend, db, space):
    backend.require_embedded("FoundationDB defers this error to a later call")
    tr = db.create_transaction()
    tr.set(space.pack(("a",)), b"1")
    tr.commit()
    for late in (lambda: tr.set(space.pack(("b",)), b"2"), lambda: tr.get(space.pack(("a",)))):
        with pytest.raises(FDBError) as error:
            late()
        assert error.value.code == USED_DURING_COMMIT
    tr.reset()
    assert tr.get(space.pack(("a",))) == b"1"
    tr.commit()
