"""The outbox writes only what its topic's contract allows: a message that breaks it fails the
transaction that made it (a bug, seen where it is made, never by a consumer)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from contracts.envelope import Refused
from contracts.trading import AttemptV1, OrderDeltaV1
from infra.store.api import run
from trading import outbox as ob

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DELTA = OrderDeltaV1(
    "O-1", "T1", 1, "new", "BTC-USD", "3", "0", "3", None,
    [AttemptV1("EA-1", "SIM-A", "3", "0", "pending")], NOW.isoformat(),
)  # fmt: skip


def message(payload: object) -> ob.OutboxMessage:
    return ob.OutboxMessage("O-1:1:delta", ob.ORDER_EVENTS, "O-1", payload, NOW)  # type: ignore[arg-type]


def written(db) -> list[ob.OutboxMessage]:
    return [m for _, m in run(db, lambda tr: ob.read_after(tr, None, 100)) if m.key == "O-1"]


def test_a_message_is_read_back_as_its_topic_s_struct(seeded_db):
    run(seeded_db, lambda tr: ob.Outbox(tr).write(message(DELTA)))
    [back] = written(seeded_db)
    assert back.payload == DELTA


def test_a_payload_that_breaks_its_contract_is_never_written(seeded_db):
    bad = msgspec.structs.replace(DELTA, quantity="3.000000001")
    with pytest.raises(Refused, match=r"\$.quantity"):
        run(seeded_db, lambda tr: ob.Outbox(tr).write(message(bad)))
    with pytest.raises(Refused, match="missing required field `attempts`"):
        message({k: v for k, v in msgspec.to_builtins(DELTA).items() if k != "attempts"})
    assert written(seeded_db) == []
