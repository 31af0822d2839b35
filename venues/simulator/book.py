"""An order book per instrument, and taking liquidity from it. Pure: no I/O, no clock, Decimal.

The public book is what the control API puts there; the venue's own working (GTC) orders are
not in it. An order takes from the opposite side, best level first, never past its limit,
one fill per level touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from venues.simulator.decimals import ZERO, BadNumber, plain, positive

Side = Literal["buy", "sell"]
MAX_LEVELS = 1_000  # per side


@dataclass(frozen=True)
class Level:
    price: Decimal
    quantity: Decimal


@dataclass(frozen=True)
class Fill:
    price: Decimal
    quantity: Decimal


class BadBook(ValueError):
    """A book the control API will not take; the message says why."""


class Book:
    """Asks lowest first, bids highest first; no two levels at one price; never crossed."""

    def __init__(self, asks: Iterable[Level] = (), bids: Iterable[Level] = ()) -> None:
        self._asks = sorted(asks, key=lambda level: level.price)
        self._bids = sorted(bids, key=lambda level: level.price, reverse=True)
        for name, levels in (("asks", self._asks), ("bids", self._bids)):
            if len(levels) > MAX_LEVELS:
                raise BadBook(f"{name}: at most {MAX_LEVELS} levels")
            prices = [level.price for level in levels]
            if len(set(prices)) != len(prices):
                raise BadBook(f"{name}: two levels at one price")
        if self._asks and self._bids and self._bids[0].price >= self._asks[0].price:
            raise BadBook(
                f"crossed book: best bid {plain(self._bids[0].price)} "
                f">= best ask {plain(self._asks[0].price)}"
            )

    @classmethod
    def parse(cls, asks: object, bids: object) -> Book:
        """From the wire: `[["9980", "1.2"], ...]` per side, in any order."""
        return cls(_parse_side(asks, "asks"), _parse_side(bids, "bids"))

    @property
    def asks(self) -> tuple[Level, ...]:
        return tuple(self._asks)

    @property
    def bids(self) -> tuple[Level, ...]:
        return tuple(self._bids)

    def depth(self, side: Side) -> Decimal:
        """The quantity an order of `side` could take at any price."""
        return sum((level.quantity for level in self._opposite(side)), ZERO)

    def to_wire(self) -> dict[str, list[list[str]]]:
        return {
            "asks": [[plain(level.price), plain(level.quantity)] for level in self._asks],
            "bids": [[plain(level.price), plain(level.quantity)] for level in self._bids],
        }

    def take(self, side: Side, quantity: Decimal, limit: Decimal | None) -> list[Fill]:
        """Take up to `quantity` at `limit` or better (None: any price); one fill per level."""
        levels = self._opposite(side)
        fills: list[Fill] = []
        left = quantity
        while left > 0 and levels:
            best = levels[0]
            if limit is not None and not _at_or_better(side, best.price, limit):
                break
            taken = min(left, best.quantity)
            fills.append(Fill(best.price, taken))
            left -= taken
            if taken == best.quantity:
                levels.pop(0)
            else:
                levels[0] = Level(best.price, best.quantity - taken)
        return fills

    def _opposite(self, side: Side) -> list[Level]:
        return self._asks if side == "buy" else self._bids


def _at_or_better(side: Side, price: Decimal, limit: Decimal) -> bool:
    return price <= limit if side == "buy" else price >= limit


def _parse_side(raw: object, name: str) -> list[Level]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadBook(f'{name} must be a list of ["price", "quantity"] pairs')
    levels = []
    for index, pair in enumerate(raw):
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise BadBook(f'{name}[{index}] must be a ["price", "quantity"] pair')
        try:
            levels.append(
                Level(
                    positive(pair[0], f"{name}[{index}] price"),
                    positive(pair[1], f"{name}[{index}] quantity"),
                )
            )
        except BadNumber as error:
            raise BadBook(str(error)) from None
    return levels
