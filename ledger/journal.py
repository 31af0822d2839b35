"""The ledger in the store: entries written once, balances and holds kept with atomic adds."""

from __future__ import annotations

import struct

from infra.store.api import Transaction
from infra.store.keys import Subspace, versionstamp
from ledger.domain.entries import JournalEntry
from trading import codec

ROOT = Subspace(("ledger",))
ENTRY = ROOT["entry"]  # (entry_id) -> JournalEntry
ENTRY_LOG = ROOT["entry_log"]  # (versionstamp) -> entry_id, in commit order
BALANCE = ROOT["balance"]  # (account, asset) -> int64 LE minor units
HELD = ROOT["held"]  # (trader_id, asset) -> int64 LE minor units held by open orders

_INT64 = struct.Struct("<q")


def post(tr: Transaction, entry: JournalEntry) -> bool:
    """Write `entry` and apply it to balances; False (and nothing written) if already posted."""
    key = ENTRY.pack((entry.entry_id,))
    if tr.get(key) is not None:
        return False
    tr.set(key, codec.encode(entry))
    tr.set_versionstamped_key(
        ENTRY_LOG.pack_with_versionstamp((versionstamp(tr),)), entry.entry_id.encode()
    )
    for posting in entry.postings:
        tr.add(BALANCE.pack((posting.account, posting.asset)), posting.amount)
    return True


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
