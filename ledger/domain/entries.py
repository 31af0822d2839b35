"""Double-entry journal entries: immutable, and every entry sums to zero per asset.

Amounts are integer minor units (1e-8 of the asset). A correction is a reversing entry,
never an edit. The accounts posted to are those of the chart (ledger/domain/chart.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kernel.money import to_minor
from ledger.domain.chart import VenueBook, trader_account, venue_account


class UnbalancedEntry(ValueError):
    """An entry whose postings do not sum to zero for some asset."""


@dataclass(frozen=True)
class Posting:
    account: str
    asset: str
    amount: int  # minor units; positive = the account holds more


@dataclass(frozen=True)
class JournalEntry:
    entry_id: str
    kind: str  # fill, deposit, adjustment, reversal
    postings: tuple[Posting, ...]
    created_at: datetime
    memo: str = ""
    order_id: str | None = None
    reverses: str | None = None

    def __post_init__(self) -> None:
        if not self.postings:
            raise UnbalancedEntry(f"entry {self.entry_id} has no postings")
        totals: dict[str, int] = defaultdict(int)
        for posting in self.postings:
            totals[posting.asset] += posting.amount
        unbalanced = {asset: total for asset, total in totals.items() if total}
        if unbalanced:
            raise UnbalancedEntry(f"entry {self.entry_id} does not balance: {unbalanced}")

    def reversal(self, entry_id: str, created_at: datetime, memo: str) -> JournalEntry:
        """The entry that undoes this one."""
        return JournalEntry(
            entry_id=entry_id,
            kind="reversal",
            postings=tuple(Posting(p.account, p.asset, -p.amount) for p in self.postings),
            created_at=created_at,
            memo=memo,
            order_id=self.order_id,
            reverses=self.entry_id,
        )


def fill_entry(
    *,
    entry_id: str,
    trader_id: str,
    order_id: str,
    venue: str,
    buy: bool,
    base: str,
    quote: str,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    fee_asset: str,
    created_at: datetime,
) -> JournalEntry:
    """A trade with a venue: base against the venue's clearing, quote likewise, fee to the venue."""
    trader = trader_account(trader_id)
    clearing = venue_account(venue, VenueBook.CLEARING)
    base_units = to_minor(quantity)
    quote_units = to_minor(quantity * price)
    sign = 1 if buy else -1
    postings = [
        Posting(trader, base, sign * base_units),
        Posting(clearing, base, -sign * base_units),
        Posting(trader, quote, -sign * quote_units),
        Posting(clearing, quote, sign * quote_units),
    ]
    fee_units = to_minor(fee)
    if fee_units:
        postings += [
            Posting(trader, fee_asset, -fee_units),
            Posting(venue_account(venue, VenueBook.FEES), fee_asset, fee_units),
        ]
    return JournalEntry(
        entry_id=entry_id,
        kind="fill",
        postings=tuple(postings),
        created_at=created_at,
        memo=f"{'buy' if buy else 'sell'} {quantity} {base} @ {price} on {venue}",
        order_id=order_id,
    )


def transfer_entry(
    *,
    entry_id: str,
    kind: str,
    trader_id: str,
    asset: str,
    amount: Decimal,
    counter_account: str,
    created_at: datetime,
    memo: str = "",
) -> JournalEntry:
    """Move `amount` of `asset` to a trader (negative: from) against `counter_account`."""
    units = to_minor(amount)
    return JournalEntry(
        entry_id=entry_id,
        kind=kind,
        postings=(
            Posting(trader_account(trader_id), asset, units),
            Posting(counter_account, asset, -units),
        ),
        created_at=created_at,
        memo=memo,
    )
