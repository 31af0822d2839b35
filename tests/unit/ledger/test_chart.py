"""The chart of accounts: every name it builds reads back as the same account, of its kind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.chart import (
    ADJUSTMENTS,
    EXTERNAL_DEPOSITS,
    Account,
    AccountKind,
    UnknownAccount,
    VenueBook,
    fill_entry_id,
    kind_of,
    trader_account,
    trader_of,
    venue_account,
)

owners = st.text(st.characters(codec="utf-8", exclude_characters=":"), min_size=1, max_size=20)
trader_ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=20)


def test_the_names_read_as_their_story():
    assert trader_account("T1") == "trader:T1"
    assert venue_account("SIM-A", VenueBook.CLEARING) == "venue:SIM-A:clearing"
    assert venue_account("SIM-A", VenueBook.FEES) == "venue:SIM-A:fees"
    assert EXTERNAL_DEPOSITS == "external:deposits"
    assert ADJUSTMENTS == "adjustments"
    assert fill_entry_id("O-1-F1") == "O-1-F1:trade"


@given(trader_ids)
def test_a_trader_account_round_trips(trader_id: str):
    name = trader_account(trader_id)
    assert Account.parse(name) == Account(AccountKind.TRADER, trader_id)
    assert trader_of(name) == trader_id
    assert kind_of(name) is AccountKind.TRADER
    assert name.startswith(AccountKind.TRADER.prefix)


@given(owners, st.sampled_from(VenueBook))
def test_a_venue_account_round_trips(venue: str, book: VenueBook):
    name = venue_account(venue, book)
    assert Account.parse(name) == Account(AccountKind.VENUE, venue, book)
    assert Account.parse(name).name == name
    assert kind_of(name) is AccountKind.VENUE
    assert trader_of(name) is None


@pytest.mark.parametrize("name", [EXTERNAL_DEPOSITS, ADJUSTMENTS])
def test_the_platform_accounts_round_trip(name: str):
    assert Account.parse(name).name == name
    assert trader_of(name) is None


@pytest.mark.parametrize(
    "name",
    ["", "trader", "trader:", "venue:SIM-A", "venue:SIM-A:rebates", "external:gifts", "bank:1"],
)
def test_a_name_outside_the_chart_is_refused(name: str):
    with pytest.raises(UnknownAccount):
        Account.parse(name)
    assert kind_of(name) is None


@pytest.mark.parametrize(
    "account",
    [
        lambda: Account(AccountKind.TRADER),
        lambda: Account(AccountKind.VENUE, "SIM-A"),
        lambda: Account(AccountKind.VENUE, "SIM:A", VenueBook.FEES),
        lambda: Account(AccountKind.TRADER, "T1", VenueBook.FEES),
        lambda: Account(AccountKind.ADJUSTMENTS, "T1"),
    ],
)
def test_an_account_the_chart_cannot_name_is_refused(account):
    with pytest.raises(UnknownAccount):
        account()


@given(st.sampled_from(AccountKind))
def test_every_kind_has_a_prefix_its_names_start_with(kind: AccountKind):
    assert kind.prefix.startswith(kind.value)
    sample = {
        AccountKind.TRADER: trader_account("T1"),
        AccountKind.VENUE: venue_account("SIM-A", VenueBook.FEES),
        AccountKind.EXTERNAL: EXTERNAL_DEPOSITS,
        AccountKind.ADJUSTMENTS: ADJUSTMENTS,
    }[kind]
    assert sample.startswith(kind.prefix) and kind_of(sample) is kind
