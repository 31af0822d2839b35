from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.entries import JournalEntry, Posting, UnbalancedEntry, fill_entry

T0 = datetime(2026, 11, 25, tzinfo=UTC)


def seed_fill(**overrides):
    fields = dict(
        entry_id="E1",
        trader_id="T1",
        order_id="O1",
        venue="SIM-A",
        buy=True,
        base="BTC",
        quote="USD",
        quantity=Decimal("1.2"),
        price=Decimal("9980"),
        fee=Decimal("11.976"),
        fee_asset="USD",
        created_at=T0,
    )
    return fill_entry(**{**fields, **overrides})


def test_buy_adds_the_base_and_takes_notional_plus_fee():
    entry = seed_fill()
    trader = defaultdict(int)
    for p in entry.postings:
        if p.account == "trader:T1":
            trader[p.asset] += p.amount
    assert trader == {"BTC": 120_000_000, "USD": -(11976 + 11.976) * 10**8}


def test_an_unbalanced_entry_cannot_exist():
    with pytest.raises(UnbalancedEntry, match="USD"):
        JournalEntry("E", "adjustment", (Posting("a", "USD", 5), Posting("b", "USD", -4)), T0)


def test_a_reversal_undoes_the_entry():
    entry = seed_fill()
    undo = entry.reversal("E1-rev", T0, "wrong price")
    totals = defaultdict(int)
    for p in entry.postings + undo.postings:
        totals[(p.account, p.asset)] += p.amount
    assert set(totals.values()) == {0} and undo.reverses == "E1"


@given(
    st.booleans(),
    st.decimals(min_value="0.0001", max_value=1000, places=4),
    st.decimals(min_value="0.01", max_value=100000, places=2),
    st.decimals(min_value=0, max_value=1000, places=8),
)
def test_every_fill_entry_balances_per_asset(buy, qty, price, fee):
    entry = seed_fill(buy=buy, quantity=qty, price=price, fee=fee)  # __post_init__ checks it
    assert sum(p.amount for p in entry.postings if p.asset == "BTC") == 0
