"""The ledger family: `evt.ledger.entry.v1` (`EntryV1`), one message per journal entry posted.

Kafka key: the order id, or the trader's id for an entry without an order (deposit,
adjustment). Amounts are integer minor units (1e-8 of the asset); an entry's postings sum to
zero per asset.
"""

from __future__ import annotations

import msgspec

from contracts.values import Id, Timestamp, check_times

ENTRY = "evt.ledger.entry.v1"


class PostingV1(msgspec.Struct, frozen=True):
    account: Id
    asset: Id
    amount_minor: int  # signed: positive = the account holds more


class EntryV1(msgspec.Struct, frozen=True):
    """One balanced journal entry (fill, deposit, adjustment, reversal)."""

    entry_id: Id
    kind: Id
    order_id: str | None
    memo: str
    reverses: str | None
    created_at: Timestamp
    postings: list[PostingV1]

    def __post_init__(self) -> None:
        check_times(created_at=self.created_at)
