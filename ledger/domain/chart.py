"""The chart of accounts: every account the ledger posts to, its kind, and how it is named.

Accounts are named, not numbered, so an entry reads as its story:
    trader:<id>               what the trader owns of an asset
    venue:<name>:clearing     what we owe / are owed by the venue for trades
    venue:<name>:fees         fees paid to the venue
    external:deposits         money moved in or out of the platform
    adjustments               manual corrections posted by back-office staff
Names are built and read here only (`Account.name`, `Account.parse`), so the text of an
account is written once; the journal, the read models and the reports keep the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SEPARATOR = ":"


class UnknownAccount(ValueError):
    """A name the chart of accounts does not have."""


class AccountKind(StrEnum):
    """Who an account belongs to; the first part of its name."""

    TRADER = "trader"  # one per trader: what they own
    VENUE = "venue"  # two per venue (VenueBook)
    EXTERNAL = "external"  # the platform's boundary (External)
    ADJUSTMENTS = "adjustments"  # the one account of staff's corrections

    @property
    def prefix(self) -> str:
        """The start every account name of this kind has (`adjustments` is a whole name)."""
        return self.value if self is AccountKind.ADJUSTMENTS else self.value + SEPARATOR


class VenueBook(StrEnum):
    """The two accounts each venue has."""

    CLEARING = "clearing"
    FEES = "fees"


class External(StrEnum):
    """The platform's boundary accounts."""

    DEPOSITS = "deposits"


@dataclass(frozen=True)
class Account:
    """One account: its kind, whose it is (trader id, venue name, boundary) and, for a venue,
    which of its books."""

    kind: AccountKind
    owner: str = ""
    book: VenueBook | None = None

    def __post_init__(self) -> None:
        needs_owner = self.kind is not AccountKind.ADJUSTMENTS
        if needs_owner != bool(self.owner) or (self.kind is AccountKind.VENUE) != bool(self.book):
            raise UnknownAccount(f"not an account of the chart: {self!r}")
        if self.kind is AccountKind.VENUE and SEPARATOR in self.owner:
            raise UnknownAccount(f"a venue name has no {SEPARATOR!r}: {self.owner!r}")
        if self.kind is AccountKind.EXTERNAL and self.owner not in set(External):
            raise UnknownAccount(f"no external account {self.owner!r}")

    @property
    def name(self) -> str:
        """The account as the journal writes it."""
        if self.kind is AccountKind.ADJUSTMENTS:
            return self.kind.prefix
        if self.book is not None:
            return f"{self.kind.prefix}{self.owner}{SEPARATOR}{self.book}"
        return f"{self.kind.prefix}{self.owner}"

    @classmethod
    def parse(cls, name: str) -> Account:
        """The account `name` is; UnknownAccount for a name outside the chart."""
        if name == AccountKind.ADJUSTMENTS.prefix:
            return cls(AccountKind.ADJUSTMENTS)
        head, _, rest = name.partition(SEPARATOR)
        try:
            kind = AccountKind(head)
        except ValueError:
            raise UnknownAccount(f"no account kind {head!r} in {name!r}") from None
        if kind is AccountKind.VENUE:
            venue, _, book = rest.rpartition(SEPARATOR)
            if book not in set(VenueBook):
                raise UnknownAccount(f"no venue book {book!r} in {name!r}")
            return cls(kind, venue, VenueBook(book))
        if kind is AccountKind.ADJUSTMENTS:
            raise UnknownAccount(f"{kind} is a whole name, not {name!r}")
        return cls(kind, rest)


def trader_account(trader_id: str) -> str:
    return Account(AccountKind.TRADER, trader_id).name


def venue_account(venue: str, book: VenueBook) -> str:
    return Account(AccountKind.VENUE, venue, book).name


EXTERNAL_DEPOSITS = Account(AccountKind.EXTERNAL, External.DEPOSITS).name
ADJUSTMENTS = Account(AccountKind.ADJUSTMENTS).name


def trader_of(account: str) -> str | None:
    """The trader id of a `trader:<id>` account, None for any other account."""
    prefix = AccountKind.TRADER.prefix
    return account[len(prefix) :] if account.startswith(prefix) else None


def kind_of(account: str) -> AccountKind | None:
    """The kind of an account name, None for a name outside the chart."""
    try:
        return Account.parse(account).kind
    except UnknownAccount:
        return None


def fill_entry_id(fill_id: str) -> str:
    """The journal entry trading-core books for a fill: `<fill_id>:trade`, one per fill."""
    return f"{fill_id}{SEPARATOR}trade"
