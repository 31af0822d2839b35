"""Injected commit faults: the retry and idempotency paths run here, as FoundationDB's
simulator runs them. Only the embedded store injects faults (FoundationDB's client has no
such switch), so these tests skip the other backends."""

from __future__ import annotations

import pytest

from infra.store import database, use_database
from infra.store.api import COMMIT_UNKNOWN_RESULT, NOT_COMMITTED, FDBError, key_range, run

EMBEDDED_ONLY = "fault injection is the embedded store's (FoundationDB has its own simulator)"


def test_an_idempotent_transaction_lands_exactly_once_under_frequent_faults(backend, space):
    backend.require_embedded(EMBEDDED_ONLY)
    db = backend.open(not_committed_rate=0.3, commit_unknown_rate=0.3, seed=7)
    attempts = replays = 0
    for i in range(100):

        def credit(tr, i=i):
            nonlocal attempts, replays
            attempts += 1
            marker = space.pack(("credited", i))
            if tr.get(marker) is not None:  # a commit_unknown_result that had committed
                replays += 1
                return
            tr.set(marker, b"")
            tr.add(space.pack(("total",)), i)

        run(db, credit)
    total = run(db, lambda tr: tr.get(space.pack(("total",))))
    assert int.from_bytes(total, "little") == sum(range(100))
    assert len(run(db, lambda tr: tr.get_range(*key_range(space.pack(("credited",)))))) == 100
    assert attempts > 130 and replays > 0  # faults were frequent, and some 1021s had committed


def test_commit_unknown_result_sometimes_commits_and_sometimes_does_not(backend, space):
    backend.require_embedded(EMBEDDED_ONLY)
    db = backend.open(commit_unknown_rate=1.0, seed=3)
    for i in range(40):
        tr = db.create_transaction()
        tr.set(space.pack((i,)), b"")
        with pytest.raises(FDBError) as error:
            tr.commit()
        assert error.value.code == COMMIT_UNKNOWN_RESULT
    landed = len(run(backend.open(), lambda tr: tr.get_range(*key_range(space.key()))))
    assert 5 < landed < 35


def test_not_committed_never_commits_and_faults_are_reproducible(backend, space):
    backend.require_embedded(EMBEDDED_ONLY)

    def outcomes(seed):
        db = backend.open(not_committed_rate=0.5, seed=seed)
        codes = []
        for i in range(30):
            tr = db.create_transaction()
            tr.set(space.pack((seed, i)), b"")
            try:
                tr.commit()
                codes.append(0)
            except FDBError as error:
                codes.append(error.code)
        return codes

    first, again = outcomes(11), outcomes(11)
    assert first == again and set(first) == {0, NOT_COMMITTED}
    rows = run(backend.open(), lambda tr: tr.get_range(*key_range(space.pack((11,)))))
    landed = sorted(space.unpack(key)[1] for key, _ in rows)
    assert landed == [i for i, code in enumerate(first) if code == 0]


def test_the_process_store_reads_its_fault_rates_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("FDB_CLUSTER_FILE", raising=False)
    monkeypatch.setenv("STORE_PATH", str(tmp_path / "env" / "store.sqlite3"))
    monkeypatch.setenv("STORE_FAULT_NOT_COMMITTED_RATE", "0.25")
    monkeypatch.setenv("STORE_FAULT_COMMIT_UNKNOWN_RATE", "0.125")
    use_database(None)
    db = database()
    try:
        assert database() is db  # opened once per process
        assert (db.not_committed_rate, db.commit_unknown_rate) == (0.25, 0.125)
        assert db.path == str(tmp_path / "env" / "store.sqlite3")
    finally:
        use_database(None)
        db.close()
