"""Per-key conflicts, as FoundationDB's resolver: only a read overwritten since is a conflict."""

from __future__ import annotations

import multiprocessing
import struct

import pytest

from infra.store import commit_log
from infra.store.api import NOT_COMMITTED, TRANSACTION_TOO_OLD, FDBError, key_range, run
from tests.integration.store import workers

INT64 = struct.Struct("<q")


def _refused(tr) -> int:
    with pytest.raises(FDBError) as error:
        tr.commit()
    tr.reset()
    return error.value.code


def test_transactions_on_disjoint_keys_both_commit(db, space):
    a, b = space.pack(("a",)), space.pack(("b",))
    run(db, lambda tr: [tr.set(a, b"1"), tr.set(b, b"1")])
    first, second = db.create_transaction(), db.create_transaction()
    first.set(a, first.get(a) + b"+")
    second.set(b, second.get(b) + b"+")
    second.commit()
    first.commit()  # second committed after first read, but wrote nothing first read
    assert run(db, lambda tr: (tr.get(a), tr.get(b))) == (b"1+", b"1+")


def test_another_process_committing_other_keys_does_not_refuse_a_transaction(backend, db, space):
    mine, theirs = space.pack(("mine",)), space.pack(("theirs",))
    tr = db.create_transaction()
    value = tr.get(mine)
    child = multiprocessing.get_context("spawn").Process(
        target=workers.increment_once, args=(backend.target, theirs)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0
    tr.set(mine, (value or b"") + b"x")
    tr.commit()
    assert run(db, lambda t: (t.get(mine), t.get(theirs))) == (b"x", b"1")


def test_a_read_overwritten_before_commit_is_refused(db, space):
    key, elsewhere = space.pack(("k",)), space.pack(("elsewhere",))
    run(db, lambda tr: tr.set(key, b"1"))
    reader = db.create_transaction()
    seen = reader.get(key)
    reader.set(elsewhere, seen)  # writes only a key nobody else touched
    run(db, lambda tr: tr.set(key, b"2"))
    assert _refused(reader) == NOT_COMMITTED
    assert run(db, lambda tr: tr.get(elsewhere)) is None


def test_a_range_read_is_refused_when_a_key_is_inserted_into_the_range(db, space):
    rows, other = space.pack(("rows",)), space.pack(("other",))
    run(db, lambda tr: tr.set(space.pack(("rows", 1)), b""))
    scanner = db.create_transaction()
    assert len(scanner.get_range(*key_range(rows))) == 1
    scanner.set(other, b"saw one row")
    run(db, lambda tr: tr.set(space.pack(("rows", 2)), b""))  # a phantom
    assert _refused(scanner) == NOT_COMMITTED


def test_a_limited_range_read_covers_only_the_rows_it_returned(db, space):
    rows, other = space.pack(("rows",)), space.pack(("other",))
    run(db, lambda tr: [tr.set(space.pack(("rows", i)), b"") for i in (1, 2)])
    scanner = db.create_transaction()
    assert len(scanner.get_range(*key_range(rows), limit=1)) == 1
    scanner.set(other, b"the first row")
    run(db, lambda tr: tr.set(space.pack(("rows", 3)), b""))  # after what it read
    scanner.commit()


def test_a_range_clear_refuses_a_reader_of_a_key_inside_it(db, space):
    key, other = space.pack(("rows", 5)), space.pack(("other",))
    run(db, lambda tr: tr.set(key, b"v"))
    reader = db.create_transaction()
    reader.set(other, reader.get(key))
    run(db, lambda tr: tr.clear_range(*key_range(space.pack(("rows",)))))
    assert _refused(reader) == NOT_COMMITTED


def test_blind_adds_commit_beside_readers_and_writers_of_the_counter(db, space):
    counter = space.pack(("counter",))
    run(db, lambda tr: tr.add(counter, 1))
    adder = db.create_transaction()
    adder.add(counter, 5)
    writer = db.create_transaction()
    writer.set(counter, INT64.pack(INT64.unpack(writer.get(counter))[0] * 10))
    writer.commit()
    adder.commit()  # read nothing: nothing to conflict with
    assert run(db, lambda tr: INT64.unpack(tr.get(counter))[0]) == 15


def test_a_reader_of_a_counter_conflicts_with_a_later_add(db, space):
    counter, copy = space.pack(("counter",)), space.pack(("copy",))
    run(db, lambda tr: tr.add(counter, 1))
    reader = db.create_transaction()
    reader.set(copy, reader.get(counter))
    run(db, lambda tr: tr.add(counter, 1))
    assert _refused(reader) == NOT_COMMITTED


def test_a_read_version_older_than_the_kept_history_is_too_old(backend, db, space, monkeypatch):
    backend.require_embedded("the embedded store's commit history is trimmed by this test")
    monkeypatch.setattr(commit_log, "HISTORY_S", 0.0)
    key, counter = space.pack(("k",)), space.pack(("counter",))
    old = db.create_transaction()
    old.set(key, (old.get(key) or b"") + b"x")
    for _ in range(3 * commit_log.TRIM_EVERY):  # blind commits; the history behind them is trimmed
        run(db, lambda tr: tr.add(counter, 1))
    assert _refused(old) == TRANSACTION_TOO_OLD  # retryable: run() would read again
    cursor = db.pool.acquire()
    kept = cursor.execute("SELECT count(*) FROM commit_log").fetchone()[0]
    db.pool.release(cursor)
    assert kept <= 2 * commit_log.TRIM_EVERY
    run(db, lambda tr: tr.set(key, (tr.get(key) or b"") + b"y"))
    assert run(db, lambda tr: tr.get(key)) == b"y"
