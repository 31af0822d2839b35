"""What the contract tests' child processes run (importable, so `spawn` can start them)."""

from __future__ import annotations

import time
from typing import Any

from infra.store import open_database
from infra.store.api import run

DEADLINE_S = 30.0


def add_many(target: dict[str, str], key: bytes, n: int) -> None:
    """Blind atomic adds: never conflict, so no retry and no lost update."""
    db = open_database(**target)
    try:
        for _ in range(n):
            run(db, lambda tr: tr.add(key, 1))
    finally:
        db.close()


def increment_many(target: dict[str, str], key: bytes, n: int) -> None:
    """Read-modify-write increments: they conflict, and run() retries them."""
    db = open_database(**target)
    try:
        for _ in range(n):
            run(db, lambda tr: tr.set(key, str(int(tr.get(key) or b"0") + 1).encode()))
    finally:
        db.close()


def add_until_stopped(target: dict[str, str], key: bytes, stop: Any) -> None:
    """Change `key` every few ms until the parent has seen it change (or a deadline)."""
    db = open_database(**target)
    deadline = time.monotonic() + DEADLINE_S
    try:
        while not stop.wait(0.005) and time.monotonic() < deadline:
            run(db, lambda tr: tr.add(key, 1))
    finally:
        db.close()


def increment_once(target: dict[str, str], key: bytes) -> None:
    """One read-modify-write of `key`, first try or fail: used to commit between two steps."""
    db = open_database(**target)
    try:
        tr = db.create_transaction()
        tr.set(key, str(int(tr.get(key) or b"0") + 1).encode())
        tr.commit()
    finally:
        db.close()
