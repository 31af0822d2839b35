"""Reference data and money movements: instruments, venues, traders, deposits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from infra.store.api import Transaction
from kernel.errors import InvalidField
from kernel.money import MINOR_UNIT, parse_decimal
from ledger import journal
from ledger.domain.chart import EXTERNAL_DEPOSITS
from ledger.domain.entries import JournalEntry, transfer_entry
from trading import outbox as ob
from trading.domain.instruments import DEFAULT_INSTRUMENTS, DEFAULT_VENUES
from trading.domain.orders import RoutingStrategy
from trading.repository import Repository, Trader, VenueRecord
from trading.services.execution import entry_payload
from trading.services.risk import seed_default_limits


def seed_reference_data(tr: Transaction) -> None:
    """Instruments, venues and default risk limits; existing venue records (halts) and limits
    (staff's edits) are kept."""
    repo = Repository(tr)
    for instrument in DEFAULT_INSTRUMENTS:
        repo.save_instrument(instrument)
    for venue in DEFAULT_VENUES:
        if repo.venue(venue.name) is None:
            repo.save_venue(venue)
    seed_default_limits(tr)


def ensure_trader(tr: Transaction, trader_id: str, name: str) -> Trader:
    repo = Repository(tr)
    trader = repo.trader(trader_id)
    if trader is None:
        trader = Trader(trader_id, name)
        repo.save_trader(trader)
    return trader


def set_trader_halted(tr: Transaction, trader_id: str, halted: bool) -> Trader:
    repo = Repository(tr)
    trader = _known_trader(repo, trader_id)
    updated = replace(trader, halted=halted)
    repo.save_trader(updated)
    return updated


def set_trader_strategy(tr: Transaction, trader_id: str, strategy: object) -> Trader:
    """The routing strategy of the trader's orders that name none ("best" or "split")."""
    repo = Repository(tr)
    trader = _known_trader(repo, trader_id)
    updated = replace(trader, strategy=parse_strategy(strategy))
    if updated != trader:
        repo.save_trader(updated)
    return updated


def _known_trader(repo: Repository, trader_id: str) -> Trader:
    trader = repo.trader(trader_id)
    if trader is None:
        raise InvalidField("unknown trader", field="trader_id")
    return trader


def parse_strategy(value: object) -> RoutingStrategy:
    """A strategy name, or InvalidField naming `strategy`."""
    names = [s.value for s in RoutingStrategy]
    if not isinstance(value, str) or value not in names:
        raise InvalidField(f"must be one of {', '.join(map(repr, names))}", field="strategy")
    return RoutingStrategy(value)


def order_strategy(repo: Repository, trader_id: str, requested: object) -> RoutingStrategy:
    """The order's strategy: the one it names, else its trader's default."""
    if requested is not None:
        return parse_strategy(requested)
    trader = repo.trader(trader_id)
    return trader.strategy if trader is not None else RoutingStrategy.BEST


def set_venue_state(
    tr: Transaction, venue: str, *, halted: bool | None = None, circuit_open: bool | None = None
) -> VenueRecord:
    """Halt a venue (kill switch) or open/close its circuit; the router skips it while either."""
    repo = Repository(tr)
    record = repo.venue(venue)
    if record is None:
        raise InvalidField(f"unknown venue {venue!r}", field="venue")
    updated = VenueRecord(
        record.name,
        record.taker_fee_rate,
        record.halted if halted is None else halted,
        record.circuit_open if circuit_open is None else circuit_open,
    )
    if updated != record:
        repo.save_venue(updated)
    return updated


def known_assets(repo: Repository) -> set[str]:
    """The assets the platform keeps: the base and quote of every instrument."""
    return {a for i in repo.instruments() for a in (i.base, i.quote)}


def deposit(
    tr: Transaction,
    *,
    entry_id: str,
    trader_id: str,
    asset: str,
    amount: object,
    now: datetime,
    memo: str = "deposit",
    kind: str = "deposit",
    counter_account: str = EXTERNAL_DEPOSITS,
) -> bool:
    """Move money in (or out, when negative) for a trader; False if `entry_id` was posted before.

    Refused (InvalidField naming the field) for an unknown asset or trader, a zero or malformed
    amount, and a debit that would leave the trader below zero or below their open orders'
    holds (journal.Overdraft, field `amount`): nothing is written then.
    """
    if journal.get_entry(tr, entry_id) is not None:
        return False
    entry = transfer(
        tr,
        entry_id=entry_id,
        trader_id=trader_id,
        asset=asset,
        amount=amount,
        now=now,
        memo=memo,
        kind=kind,
        counter_account=counter_account,
    )
    if not journal.post(tr, entry):  # refuses (Overdraft) a debit below zero or the holds
        return False
    ob.Outbox(tr).write(
        ob.OutboxMessage(
            message_id=f"{entry_id}:entry",
            topic=ob.LEDGER_EVENTS,
            key=trader_id,
            payload=entry_payload(entry),
            created_at=now,
        )
    )
    return True


def transfer(
    tr: Transaction,
    *,
    entry_id: str,
    trader_id: str,
    asset: str,
    amount: object,
    now: datetime,
    memo: str,
    kind: str,
    counter_account: str,
) -> JournalEntry:
    """The checked journal entry of a deposit or adjustment (not posted; see `deposit`)."""
    value = parse_decimal(amount, field="amount")
    if not value:
        raise InvalidField("must not be zero", field="amount")
    if value != value.quantize(MINOR_UNIT):
        raise InvalidField("at most 8 decimal places", field="amount")
    if not isinstance(asset, str) or not asset or not asset.isalnum() or len(asset) > 12:
        raise InvalidField("must be an asset code like USD", field="asset")
    repo = Repository(tr)
    asset = asset.upper()
    assets = known_assets(repo)
    if asset not in assets:
        known = ", ".join(sorted(assets)) or "nothing yet (seed_reference_data first)"
        raise InvalidField(f"unknown asset {asset}: the instruments trade {known}", field="asset")
    if repo.trader(trader_id) is None:
        raise InvalidField("unknown trader", field="trader_id")
    return transfer_entry(
        entry_id=entry_id,
        kind=kind,
        trader_id=trader_id,
        asset=asset,
        amount=value,
        counter_account=counter_account,
        created_at=now,
        memo=memo,
    )


DEMO_DEPOSITS = {"USD": Decimal(1_000_000), "BTC": Decimal(100), "ETH": Decimal(1_000)}
