"""The ledger in the store: entries written once, balances and holds kept with atomic adds."""

from __future__ import annotations

import struct

from infra.store.api import Transaction
from infra.store.keys import Subspace, versionstamp
from kernel import codec
from kernel.errors import InvalidField
from kernel.money import display, from_minor
from ledger.domain.chart import trader_of
from ledger.domain.entries import JournalEntry

ROOT = Subspace(("ledger",))
ENTRY = ROOT["entry"]  # (entry_id) -> JournalEntry
ENTRY_LOG = ROOT["entry_log"]  # (versionstamp) -> entry_id, in commit order
BALANCE = ROOT["balance"]  # (account, asset) -> int64 LE minor units
HELD = ROOT["held"]  # (trader_id, asset) -> int64 LE minor units held by open orders

_INT64 = struct.Struct("<q")
# Trades are covered by the hold their order took at acceptance (the hold is released as the
# fill lands), so only the other kinds (deposits, adjustments, reversals) are checked here.
COVERED_BY_HOLD = frozenset({"fill"})


class Overdraft(InvalidField):
    """A debit that would take a trader below zero or below what their open orders hold."""

    field = "amount"


def post(tr: Transaction, entry: JournalEntry) -> bool:
    """Write `entry` and apply it to balances; False (and nothing written) if already posted.

    Raises Overdraft, writing nothing, when an entry other than a trade would leave a trader's
    balance below zero or below the amount their open orders hold of that asset.
    """
    key = ENTRY.pack((entry.entry_id,))
    if tr.get(key) is not None:
        return False
    if entry.kind not in COVERED_BY_HOLD:
        check_cover(tr, entry)
    tr.set(key, codec.encode(entry))
    tr.set_versionstamped_key(
        ENTRY_LOG.pack_with_versionstamp((versionstamp(tr),)), entry.entry_id.encode()
    )
    for posting in entry.postings:
        tr.add(BALANCE.pack((posting.account, posting.asset)), posting.amount)
    return True


def check_cover(tr: Transaction, entry: JournalEntry) -> None:
    """Refuse (Overdraft) a debit of a trader below zero or below their open orders' holds."""
    for posting in entry.postings:
        trader_id = trader_of(posting.account)
        if trader_id is None or posting.amount >= 0:
            continue
        before = balance(tr, posting.account, posting.asset)
        after = before + posting.amount
        floor = max(held(tr, trader_id, posting.asset), 0)
        if after < floor:
            below = (
                "below zero"
                if not floor
                else f"below the {display(from_minor(floor))} held by open orders"
            )
            raise Overdraft(
                f"refused: this would take the {posting.asset} balance from "
                f"{display(from_minor(before))} to {display(from_minor(after))}, {below}"
            )


def get_entry(tr: Transaction, entry_id: str) -> JournalEntry | None:
    data = tr.get(ENTRY.pack((entry_id,)))
    return None if data is None else codec.decode(data, JournalEntry)


def balance(tr: Transaction, account: str, asset: str) -> int:
    return _read_int(tr, BALANCE.pack((account, asset)))


def held(tr: Transaction, trader_id: str, asset: str) -> int:
    return _read_int(tr, HELD.pack((trader_id, asset)))


def change_hold(tr: Transaction, trader_id: str, asset: str, delta: int) -> None:
    if delta:
        tr.add(HELD.pack((trader_id, asset)), delta)


def account_balances(tr: Transaction, account: str) -> dict[str, int]:
    """Every asset's balance of one account."""
    rng = BALANCE.range((account,))
    return {BALANCE.unpack(k)[1]: _INT64.unpack(v)[0] for k, v in tr.get_range(rng.start, rng.stop)}


def holds(tr: Transaction, trader_id: str) -> dict[str, int]:
    rng = HELD.range((trader_id,))
    return {HELD.unpack(k)[1]: _INT64.unpack(v)[0] for k, v in tr.get_range(rng.start, rng.stop)}


def _read_int(tr: Transaction, key: bytes) -> int:
    data = tr.get(key)
    return 0 if data is None else int(_INT64.unpack(data)[0])
