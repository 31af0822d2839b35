"""The acceptor's side of each FIX session in the simulator's state file.

Per counterparty (its SenderCompID): the next MsgSeqNum we send, the next we expect, and the
application messages we sent (for a ResendRequest), plus which session placed each order (its
execution reports go back on that session, connected or not). Written in the same SQLite
transaction as the venue's own change, so a kill -9 never loses a sequence number or a report.
"""

from __future__ import annotations

import json

from venues.simulator.state import StateFile

RESEND_LOG_LIMIT = 100_000  # application messages kept per session for a resend


class FixStore:
    def __init__(self, file: StateFile, venue: str) -> None:
        self.file, self.venue = file, venue

    def commit(self) -> None:
        self.file.commit()

    def seqs(self, comp: str) -> tuple[int, int]:
        """(next to send, next expected); (1, 1) for a session never seen."""
        out = self.file.meta(f"fix:{comp}:next_out")
        expected = self.file.meta(f"fix:{comp}:next_in")
        return int(out or 1), int(expected or 1)

    def set_next_out(self, comp: str, value: int) -> None:
        self.file.set_meta(f"fix:{comp}:next_out", str(value))

    def set_next_in(self, comp: str, value: int) -> None:
        self.file.set_meta(f"fix:{comp}:next_in", str(value))

    def sessions(self) -> list[str]:
        rows = self.file.db.execute("SELECT key FROM meta WHERE key LIKE 'fix:%:next_out'")
        return sorted(str(key)[4 : -len(":next_out")] for (key,) in rows)

    def reset(self, comp: str) -> None:
        """A logon with ResetSeqNumFlag: both sides start again at 1, nothing to resend."""
        self.set_next_out(comp, 1)
        self.set_next_in(comp, 1)
        self.file.db.execute("DELETE FROM fix_out WHERE comp = ?", (comp,))

    def keep_sent(
        self, comp: str, seq: int, msg_type: str, fields: list[tuple[int, str]], sending_time: str
    ) -> None:
        body = json.dumps({"type": msg_type, "fields": fields, "sending_time": sending_time})
        self.file.db.execute("INSERT OR REPLACE INTO fix_out VALUES (?, ?, ?)", (comp, seq, body))
        if seq % 1000 == 0:
            self.file.db.execute(
                "DELETE FROM fix_out WHERE comp = ? AND seq <= ?", (comp, seq - RESEND_LOG_LIMIT)
            )

    def sent(self, comp: str, first: int, last: int) -> dict[int, dict[str, object]]:
        """The kept application messages with first <= seq <= last."""
        rows = self.file.db.execute(
            "SELECT seq, body FROM fix_out WHERE comp = ? AND seq BETWEEN ? AND ? ORDER BY seq",
            (comp, first, last),
        )
        return {int(seq): json.loads(body) for seq, body in rows}

    def set_owner(self, client_order_id: str, comp: str) -> None:
        self.file.db.execute(
            "INSERT OR IGNORE INTO fix_owner VALUES (?, ?, ?)", (self.venue, client_order_id, comp)
        )

    def owner(self, client_order_id: str) -> str | None:
        row = self.file.db.execute(
            "SELECT comp FROM fix_owner WHERE venue = ? AND client_order_id = ?",
            (self.venue, client_order_id),
        ).fetchone()
        return None if row is None else str(row[0])
