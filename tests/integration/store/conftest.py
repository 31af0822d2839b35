"""One fixture, every backend: the contract tests run against each store that can be opened."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from infra.store import open_database
from infra.store.api import (
    TRANSACTION_TIME_LIMIT_S,
    TRANSACTION_TOO_OLD,
    Database,
    FDBError,
    key_range,
    run,
)
from infra.store.keys import Subspace

NO_FDB = "FDB_CLUSTER_FILE is not set: no FoundationDB cluster on this machine"


class FakeClock:
    """Monotonic time that a test can move forward, instead of sleeping 5 s."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset_s

    def advance(self, seconds: float) -> None:
        self.offset_s += seconds


@dataclass
class Backend:
    kind: str
    space: Subspace  # every key of a test lives under it
    target: dict[str, str]  # open_database() arguments that reach this store from any process
    clock: FakeClock | None = None
    opened: list[Database] = field(default_factory=list)

    def open(self, **options: Any) -> Database:
        if self.clock is not None:
            options.setdefault("clock", self.clock)
        db = open_database(**self.target, **options)
        self.opened.append(db)
        return db

    def require_embedded(self, why: str) -> None:
        if self.kind != "embedded":
            pytest.skip(why)

    def outlive_time_limit(self, tr: Any) -> None:
        """Make `tr` older than FoundationDB's 5 s: move the embedded store's clock, or on a
        real cluster poll fresh reads until the cluster refuses the read version."""
        if self.clock is not None:
            self.clock.advance(TRANSACTION_TIME_LIMIT_S + 0.001)
            return
        deadline = time.monotonic() + 4 * TRANSACTION_TIME_LIMIT_S
        for probe in range(10_000):
            try:
                tr.get(self.space.pack(("probe", probe)))  # new keys: no read-your-writes cache
            except FDBError as error:
                if error.code == TRANSACTION_TOO_OLD:
                    return
                raise
            assert time.monotonic() < deadline, "the cluster never refused the old read version"
            threading.Event().wait(0.1)


@pytest.fixture(params=["embedded", "foundationdb"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Backend]:
    if request.param == "foundationdb":
        cluster_file = os.environ.get("FDB_CLUSTER_FILE")
        if not cluster_file:
            pytest.skip(NO_FDB)
        space = Subspace(("store-contract", uuid.uuid4().hex))
        chosen = Backend("foundationdb", space, {"cluster_file": cluster_file})
    else:
        target = {"path": str(tmp_path / "store.sqlite3")}
        chosen = Backend("embedded", Subspace(("t",)), target, clock=FakeClock())
    yield chosen
    if chosen.kind == "foundationdb":
        run(chosen.open(), lambda tr: tr.clear_range(*key_range(chosen.space.key())))
    for db in chosen.opened:
        db.close()


@pytest.fixture
def db(backend: Backend) -> Database:
    return backend.open()


@pytest.fixture
def space(backend: Backend) -> Subspace:
    return backend.space
