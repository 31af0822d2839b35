"""An order book per instrument and the matching of IOC/GTC child orders against it. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

Level = list[Decimal]  # [price, quantity]


@dataclass
class Book:
    asks: list[Level] = field(default_factory=list)  # best (lowest) first
    bids: list[Level] = field(default_factory=list)  # best (highest) first

    @classmethod
    def from_levels(cls, asks: list[list[str]], bids: list[list[str]]) -> Book:
        def parse(levels: list[list[str]]) -> list[Level]:
            parsed = [[Decimal(str(p)), Decimal(str(q))] for p, q in levels]
            if any(not p.is_finite() or not q.is_finite() or p <= 0 or q <= 0 for p, q in parsed):
                raise ValueError("prices and quantities must be positive numbers")
            return parsed

        return cls(
            asks=sorted(parse(asks), key=lambda lv: lv[0]),
            bids=sorted(parse(bids), key=lambda lv: -lv[0]),
        )

    def levels(self) -> dict[str, list[list[str]]]:
        return {
            "asks": [[str(p), str(q)] for p, q in self.asks],
            "bids": [[str(p), str(q)] for p, q in self.bids],
        }

    def take(
        self, side: str, quantity: Decimal, limit: Decimal | None
    ) -> list[tuple[Decimal, Decimal]]:
        """Fill up to `quantity` at or better than `limit`: one (price, qty) per level touched."""
        levels = self.asks if side == "buy" else self.bids
        fills: list[tuple[Decimal, Decimal]] = []
        left = quantity
        while left > 0 and levels:
            price, size = levels[0]
            if limit is not None and (price > limit if side == "buy" else price < limit):
                break
            qty = min(left, size)
            fills.append((price, qty))
            left -= qty
            if qty == size:
                levels.pop(0)
            else:
                levels[0][1] = size - qty
        return fills
