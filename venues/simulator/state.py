"""The simulator's state on disk (SQLite): orders with their fills, books, the stream log,
the seq and id counters, the session, and the FIX sessions' sequence numbers and resend log
(venues/simulator/fix/store.py), so a restart is a venue that was briefly down.

The venue writes through a VenueState during one operation and commits before any of that
operation's messages reach a stream or its answer is sent: nothing a client saw is forgotten.
Faults (a test's injection) and reports held by the reorder fault are not kept.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (venue TEXT, client_order_id TEXT, body TEXT NOT NULL,
                                   PRIMARY KEY (venue, client_order_id));
CREATE TABLE IF NOT EXISTS books (venue TEXT, instrument TEXT, body TEXT NOT NULL,
                                  PRIMARY KEY (venue, instrument));
CREATE TABLE IF NOT EXISTS log (venue TEXT, seq INTEGER, body TEXT NOT NULL,
                                PRIMARY KEY (venue, seq));
CREATE TABLE IF NOT EXISTS fix_out (comp TEXT, seq INTEGER, body TEXT NOT NULL,
                                    PRIMARY KEY (comp, seq));
CREATE TABLE IF NOT EXISTS fix_owner (venue TEXT, client_order_id TEXT, comp TEXT NOT NULL,
                                      PRIMARY KEY (venue, client_order_id));
"""


class StateFile:
    """One SQLite file for the whole simulator; None as the path keeps it in memory only."""

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(":memory:" if path is None else str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a power cut keeps all but the last
        self.db.executescript(_SCHEMA)
        self.db.execute("BEGIN")

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def venue(self, name: str) -> VenueState:
        return VenueState(self, name)


class VenueState:
    """One venue's rows in the state file."""

    def __init__(self, file: StateFile, venue: str) -> None:
        self.file, self.venue = file, venue

    def commit(self) -> None:
        self.file.commit()

    def counter(self, name: str) -> int:
        return int(self.file.meta(f"{self.venue}:{name}") or 0)

    def set_counter(self, name: str, value: int) -> None:
        self.file.set_meta(f"{self.venue}:{name}", str(value))

    def put_order(self, client_order_id: str, wire: dict[str, Any]) -> None:
        self.file.db.execute(
            "INSERT OR REPLACE INTO orders VALUES (?, ?, ?)",
            (self.venue, client_order_id, json.dumps(wire)),
        )

    def orders(self) -> list[dict[str, Any]]:
        rows = self.file.db.execute(
            "SELECT body FROM orders WHERE venue = ? ORDER BY rowid", (self.venue,)
        )
        return [json.loads(body) for (body,) in rows]

    def put_book(self, instrument: str, wire: dict[str, Any]) -> None:
        self.file.db.execute(
            "INSERT OR REPLACE INTO books VALUES (?, ?, ?)",
            (self.venue, instrument, json.dumps(wire)),
        )

    def books(self) -> dict[str, dict[str, Any]]:
        rows = self.file.db.execute(
            "SELECT instrument, body FROM books WHERE venue = ?", (self.venue,)
        )
        return {instrument: json.loads(body) for instrument, body in rows}

    def append_log(self, message: dict[str, Any]) -> None:
        self.file.db.execute(
            "INSERT OR REPLACE INTO log VALUES (?, ?, ?)",
            (self.venue, message["seq"], json.dumps(message)),
        )

    def trim_log(self, keep_after: int) -> None:
        self.file.db.execute(
            "DELETE FROM log WHERE venue = ? AND seq <= ?", (self.venue, keep_after)
        )

    def log(self, limit: int) -> list[dict[str, Any]]:
        rows = self.file.db.execute(
            "SELECT body FROM log WHERE venue = ? ORDER BY seq DESC LIMIT ?", (self.venue, limit)
        )
        return [json.loads(body) for (body,) in rows][::-1]
