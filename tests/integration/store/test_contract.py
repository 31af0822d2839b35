"""One contract for every store backend: what trading-core relies on, as FoundationDB does it."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from infra.store import open_database
from infra.store.api import (
    INVERTED_RANGE,
    KEY_TOO_LARGE,
    NOT_COMMITTED,
    TRANSACTION_TOO_LARGE,
    TRANSACTION_TOO_OLD,
    VALUE_TOO_LARGE,
    FDBError,
    key_range,
    run,
)
from infra.store.keys import Subspace, Versionstamp, pack

NO_FDB = "FDB_CLUSTER_FILE is not set: no FoundationDB cluster on this machine"


@pytest.fixture(params=["embedded", "foundationdb"])
def backend(request, tmp_path):
    """(kind, factory): the factory opens the backend with extra options (embedded only)."""
    if request.param == "foundationdb":
        cluster_file = os.environ.get("FDB_CLUSTER_FILE")
        if not cluster_file:
            pytest.skip(NO_FDB)
        space = Subspace(("contract-test", os.getpid()))
        db = open_database(cluster_file=cluster_file)
        run(db, lambda tr: tr.clear_range(*key_range(space.key())))
        return request.param, lambda **_: db, space
    path = str(tmp_path / "store.sqlite3")
    return request.param, lambda **opts: open_database(path=path, **opts), Subspace(("t",))


@pytest.fixture
def db(backend):
    _, factory, _ = backend
    database = factory()
    yield database
    database.close()


@pytest.fixture
def space(backend):
    return backend[2]


def test_keys_sort_bytewise_as_tuples_do(db, space):
    # The tuple layer orders by type code first: strings (0x02) before integers (0x0b-0x1d).
    values = ["", "a", "a\x00b", "ab", "b", -(10**12), -5, -1, 0, 1, 7, 255, 256, 10**12]
    run(db, lambda tr: [tr.set(space.pack((v,)), b"x") for v in reversed(values)])
    rows = run(db, lambda tr: tr.get_range(*key_range(space.key())))
    assert [space.unpack(k)[0] for k, _ in rows] == values
    assert [k for k, _ in rows] == sorted(k for k, _ in rows)


def test_ranges_with_limit_and_reverse(db, space):
    run(db, lambda tr: [tr.set(space.pack((i,)), str(i).encode()) for i in range(10)])
    begin, end = space.pack((2,)), space.pack((7,))
    assert [v for _, v in run(db, lambda tr: tr.get_range(begin, end))] == [
        b"2",
        b"3",
        b"4",
        b"5",
        b"6",
    ]
    assert [v for _, v in run(db, lambda tr: tr.get_range(begin, end, limit=2))] == [b"2", b"3"]
    assert [v for _, v in run(db, lambda tr: tr.get_range(begin, end, limit=2, reverse=True))] == [
        b"6",
        b"5",
    ]
    with pytest.raises(FDBError) as error:
        run(db, lambda tr: tr.get_range(end, begin))
    assert error.value.code == INVERTED_RANGE


def test_a_transaction_reads_its_own_writes(db, space):
    run(db, lambda tr: [tr.set(space.pack((i,)), b"old") for i in range(5)])

    def body(tr):
        tr.set(space.pack((9,)), b"new")
        tr.clear_range(space.pack((1,)), space.pack((3,)))
        tr.add(space.pack(("n",)), 5)
        tr.add(space.pack(("n",)), 2)
        tr.clear(space.pack((4,)))
        return tr.get(space.pack(("n",))), [
            space.unpack(k)[0] for k, _ in tr.get_range(*key_range(space.key()))
        ]

    counter, keys = run(db, body)
    assert int.from_bytes(counter, "little") == 7
    assert keys == ["n", 0, 3, 9]
    assert run(db, lambda tr: tr.get(space.pack((1,)))) is None


def test_atomic_add_is_little_endian_and_wraps(db, space):
    key = space.pack(("counter",))
    run(db, lambda tr: tr.add(key, 1))
    run(db, lambda tr: tr.add(key, -2))
    assert run(db, lambda tr: tr.get(key)) == (2**64 - 1).to_bytes(8, "little")
    assert int.from_bytes(run(db, lambda tr: tr.get(key)), "little", signed=True) == -1


def test_versionstamped_keys_sort_in_commit_order(db, space):
    stamps = []
    for i in range(5):

        def body(tr, i=i):
            tr.set_versionstamped_key(
                space.pack_with_versionstamp(("log", Versionstamp())), str(i).encode()
            )
            return tr.get_versionstamp()

        stamps.append(run(db, body)())
    rows = run(db, lambda tr: tr.get_range(*key_range(space.pack(("log",)))))
    assert [v for _, v in rows] == [b"0", b"1", b"2", b"3", b"4"]
    assert [space.unpack(k)[1].tr_version for k, _ in rows] == stamps
    assert stamps == sorted(stamps) and len(set(stamps)) == 5


@pytest.mark.parametrize(
    ("write", "code"),
    [
        (lambda tr, s: tr.set(b"k" * 10_001, b""), KEY_TOO_LARGE),
        (lambda tr, s: tr.set(s.pack(("v",)), b"v" * 100_001), VALUE_TOO_LARGE),
        (
            lambda tr, s: [tr.set(s.pack((i,)), b"v" * 99_000) for i in range(102)],
            TRANSACTION_TOO_LARGE,
        ),
    ],
    ids=["key-10kB", "value-100kB", "transaction-10MB"],
)
def test_foundationdb_limits_with_its_codes(db, space, write, code):
    with pytest.raises(FDBError) as error:
        run(db, lambda tr: write(tr, space))
    assert error.value.code == code
    assert run(db, lambda tr: tr.get_range(*key_range(space.key()))) == []  # nothing written


def test_a_transaction_older_than_its_limit_is_refused(backend, space):
    kind, factory, _ = backend
    if kind != "embedded":
        pytest.skip("FoundationDB's own 5 s limit is not shortened for tests")
    db = factory(time_limit_s=0.05)
    try:
        tr = db.create_transaction()
        tr.get(space.pack(("x",)))
        threading.Event().wait(0.1)
        with pytest.raises(FDBError) as error:
            tr.get(space.pack(("x",)))
        assert error.value.code == TRANSACTION_TOO_OLD
        tr.reset()
    finally:
        db.close()


def test_a_conflict_is_not_committed_and_the_retry_loop_gets_it_right(db, space):
    key = space.pack(("balance",))
    run(db, lambda tr: tr.set(key, b"10"))
    first, second = db.create_transaction(), db.create_transaction()
    a, b = int(first.get(key)), int(second.get(key))
    first.set(key, str(a + 1).encode())
    second.set(key, str(b + 1).encode())
    first.commit()
    with pytest.raises(FDBError) as error:
        second.commit()
    assert error.value.code == NOT_COMMITTED
    second.reset()
    run(db, lambda tr: tr.set(key, str(int(tr.get(key)) + 1).encode()))
    assert run(db, lambda tr: tr.get(key)) == b"12"


def test_injected_faults_are_retried_and_an_idempotent_transaction_lands_once(backend, space):
    kind, factory, _ = backend
    if kind != "embedded":
        pytest.skip("fault injection is the embedded backend's (FoundationDB has its simulator)")
    db = factory(not_committed_rate=0.3, commit_unknown_rate=0.3, seed=7)
    replays = 0
    try:
        for i in range(100):

            def body(tr, i=i):
                nonlocal replays
                marker = space.pack(("done", i))
                if tr.get(marker) is not None:
                    replays += 1  # committed before its commit_unknown_result
                    return
                tr.set(marker, b"")
                total = tr.get(space.pack(("total",)))
                tr.set(space.pack(("total",)), str(int(total or b"0") + i).encode())

            run(db, body)
        assert run(db, lambda tr: tr.get(space.pack(("total",)))) == str(sum(range(100))).encode()
        assert replays > 0  # commit_unknown_result really did commit sometimes
    finally:
        db.close()


def test_watch_fires_on_a_change_and_times_out_otherwise(db, space):
    key = space.pack(("signal",))
    assert db.watch(key, timeout_s=0.05) is False
    timer = threading.Timer(0.05, lambda: run(db, lambda tr: tr.add(key, 1)))
    timer.start()
    assert db.watch(key, timeout_s=5) is True
    timer.join()


def _add_many(path: str, key: bytes, n: int) -> None:
    db = open_database(path=path)
    for _ in range(n):
        run(db, lambda tr: tr.add(key, 1))
    db.close()


def _increment_many(path: str, key: bytes, n: int) -> None:
    db = open_database(path=path)
    for _ in range(n):
        run(db, lambda tr: tr.set(key, str(int(tr.get(key) or b"0") + 1).encode()))
    db.close()


@pytest.mark.parametrize(
    "worker", [_add_many, _increment_many], ids=["atomic-add", "read-modify-write"]
)
def test_several_processes_lose_no_update(backend, space, worker):
    kind, factory, _ = backend
    if kind != "embedded":
        pytest.skip("the processes open the embedded file by path")
    db = factory()
    path = db.path
    key = space.pack(("shared",))
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=worker, args=(path, key, 300)) for _ in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
        assert p.exitcode == 0
    value = run(db, lambda tr: tr.get(key))
    db.close()
    total = int.from_bytes(value, "little") if worker is _add_many else int(value)
    assert total == 1200


def test_strinc_and_prefix_ranges():
    from infra.store.api import strinc

    assert strinc(b"a") == b"b"
    assert strinc(b"a\xff\xff") == b"b"
    assert key_range(pack(("x",)))[1] == pack(("x",))[:-1] + b"\x01"
    with pytest.raises(ValueError, match="0xFF"):
        strinc(b"\xff")
