"""Positions by the average-cost method: signed quantity, exact cost basis, realized PnL.

Realized PnL is gross of fees (fees are reported beside it); the cost basis is kept exact as
the sum of quantity x price, and only the part taken out on a partial close is rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kernel.money import MINOR_UNIT
from trading.domain.orders import Side


@dataclass
class Position:
    trader_id: str
    instrument: str
    quantity: Decimal = Decimal(0)  # signed: long > 0, short < 0
    cost_basis: Decimal = Decimal(0)  # signed like quantity: sum of open quantity x price
    realized_pnl: Decimal = Decimal(0)

    @property
    def average_cost(self) -> Decimal | None:
        if not self.quantity:
            return None
        return (self.cost_basis / self.quantity).quantize(MINOR_UNIT)

    def unrealized_pnl(self, mark_price: Decimal | None) -> Decimal | None:
        if mark_price is None or not self.quantity:
            return Decimal(0) if not self.quantity else None
        return self.quantity * mark_price - self.cost_basis

    def apply_fill(self, side: Side, quantity: Decimal, price: Decimal) -> None:
        signed = quantity if side is Side.BUY else -quantity
        if not self.quantity or (self.quantity > 0) == (signed > 0):
            self.quantity += signed
            self.cost_basis += signed * price
            return
        closing = min(abs(self.quantity), quantity)
        closing_signed = closing if self.quantity > 0 else -closing
        if closing == abs(self.quantity):
            cost_out = self.cost_basis
        else:
            cost_out = (self.cost_basis * closing / abs(self.quantity)).quantize(MINOR_UNIT)
        # Closing a long sells above cost for a gain; closing a short buys below it.
        self.realized_pnl += closing_signed * price - cost_out
        self.quantity -= closing_signed
        self.cost_basis -= cost_out
        opening = quantity - closing
        if opening:
            self.quantity += opening if signed > 0 else -opening
            self.cost_basis += (opening if signed > 0 else -opening) * price
