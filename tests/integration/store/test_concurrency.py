"""The store contract under concurrency: threads, processes, and watches, on every backend."""

from __future__ import annotations

import multiprocessing
import random
import struct
import threading

import pytest

from infra.store.api import key_range, run
from tests.integration.store import workers

INT64 = struct.Struct("<q")
JOIN_S = 60


def _start(target, *args, context="spawn"):
    process = multiprocessing.get_context(context).Process(target=target, args=args)
    process.start()
    return process


def _join_all(processes):
    for process in processes:
        process.join(JOIN_S)
    assert [p.exitcode for p in processes] == [0] * len(processes)


@pytest.mark.slow
def test_processes_adding_to_one_counter_lose_no_update(backend, db, space):
    key = space.pack(("counter",))
    _join_all([_start(workers.add_many, backend.target, key, 500) for _ in range(4)])
    assert INT64.unpack(run(db, lambda tr: tr.get(key)))[0] == 2000


@pytest.mark.slow
def test_processes_incrementing_through_the_retry_loop_lose_no_update(backend, db, space):
    key = space.pack(("counter",))
    _join_all([_start(workers.increment_many, backend.target, key, 150) for _ in range(4)])
    assert run(db, lambda tr: tr.get(key)) == b"600"


def test_threads_incrementing_through_the_retry_loop_lose_no_update(db, space):
    key = space.pack(("counter",))

    def increment_many():
        for _ in range(100):
            run(db, lambda tr: tr.set(key, b"%d" % (int(tr.get(key) or b"0") + 1)))

    threads = [threading.Thread(target=increment_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_S)
    assert run(db, lambda tr: tr.get(key)) == b"400"


def test_watch_times_out_when_nothing_changes(db, space):
    key = space.pack(("signal",))
    run(db, lambda tr: tr.set(key, b"same"))
    assert db.watch(key, timeout_s=0.05) is False


def test_watch_fires_on_a_change_from_another_thread(db, space):
    key = space.pack(("signal",))
    seen = threading.Event()

    def change_until_seen():  # keeps changing it, so the watch need not be set up first
        for _ in range(2_000):
            run(db, lambda tr: tr.add(key, 1))
            if seen.wait(0.005):
                return

    writer = threading.Thread(target=change_until_seen)
    writer.start()
    try:
        assert db.watch(key, timeout_s=10) is True
    finally:
        seen.set()
        writer.join(JOIN_S)


@pytest.mark.slow
def test_watch_fires_on_a_change_from_another_process(backend, db, space):
    key = space.pack(("signal",))
    context = multiprocessing.get_context("spawn")
    seen = context.Event()
    writer = _start(workers.add_until_stopped, backend.target, key, seen)
    try:
        assert db.watch(key, timeout_s=workers.DEADLINE_S) is True
    finally:
        seen.set()
        _join_all([writer])


@pytest.mark.slow
def test_a_forked_child_uses_the_parents_store_safely(backend, db, space):
    backend.require_embedded("only the embedded store holds connections that fork() copies")
    key = space.pack(("counter",))
    run(db, lambda tr: tr.add(key, 1))  # the parent now has pooled connections
    parents = set(db.pool._mine)
    assert parents

    def child():
        for _ in range(200):
            run(db, lambda tr: tr.set(key, INT64.pack(INT64.unpack(tr.get(key))[0] + 1)))
        # SQLite forbids using a connection across fork(), even where it seems to work.
        assert parents.isdisjoint(db.pool._mine), "the child used its parent's connections"

    forked = _start(child, context="fork")
    for _ in range(200):
        run(db, lambda tr: tr.add(key, 1))
    _join_all([forked])
    assert INT64.unpack(run(db, lambda tr: tr.get(key)))[0] == 401


def test_concurrent_transfers_keep_the_total_in_every_snapshot(db, space):
    accounts = [space.pack(("account", i)) for i in range(8)]
    run(db, lambda tr: [tr.set(k, INT64.pack(100)) for k in accounts])
    balances = key_range(space.pack(("account",)))

    def transfer_many(seed):
        rng = random.Random(seed)
        for _ in range(100):
            source, target = rng.sample(accounts, 2)
            amount = rng.randint(1, 10)

            def body(tr, source=source, target=target, amount=amount):
                tr.set(source, INT64.pack(INT64.unpack(tr.get(source))[0] - amount))
                tr.set(target, INT64.pack(INT64.unpack(tr.get(target))[0] + amount))

            run(db, body)

    def total(tr):
        return sum(INT64.unpack(v)[0] for _, v in tr.get_range(*balances))

    threads = [threading.Thread(target=transfer_many, args=(seed,)) for seed in range(3)]
    for thread in threads:
        thread.start()
    audits = []
    while any(thread.is_alive() for thread in threads):
        audits.append(run(db, total))
    for thread in threads:
        thread.join(JOIN_S)
    assert audits and set(audits) == {800}  # no snapshot ever saw half a transfer
    assert run(db, total) == 800
