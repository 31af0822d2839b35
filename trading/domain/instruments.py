"""Instruments and venues: reference data, with the checks an order's numbers must pass."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kernel.errors import InvalidField
from kernel.money import is_multiple


@dataclass(frozen=True)
class Instrument:
    symbol: str
    base: str
    quote: str
    quantity_step: Decimal
    price_tick: Decimal
    min_quantity: Decimal

    def check_quantity(self, quantity: Decimal, *, field: str = "quantity") -> None:
        if quantity <= 0:
            raise InvalidField("must be greater than zero", field=field)
        if quantity < self.min_quantity:
            raise InvalidField(f"must be at least {self.min_quantity}", field=field)
        if not is_multiple(quantity, self.quantity_step):
            raise InvalidField(f"must be a multiple of {self.quantity_step}", field=field)

    def check_price(self, price: Decimal, *, field: str = "limit_price") -> None:
        if price <= 0:
            raise InvalidField("must be greater than zero", field=field)
        if not is_multiple(price, self.price_tick):
            raise InvalidField(f"must be a multiple of {self.price_tick}", field=field)


@dataclass(frozen=True)
class Venue:
    name: str
    taker_fee_rate: Decimal
    halted: bool = False


def _instrument(symbol: str, step: str, tick: str, minimum: str) -> Instrument:
    base, quote = symbol.split("-")
    return Instrument(symbol, base, quote, Decimal(step), Decimal(tick), Decimal(minimum))


DEFAULT_INSTRUMENTS = (
    _instrument("BTC-USD", "0.0001", "0.01", "0.0001"),
    _instrument("ETH-USD", "0.001", "0.01", "0.001"),
)
DEFAULT_VENUES = (
    Venue("SIM-A", Decimal("0.001")),
    Venue("SIM-B", Decimal("0.001")),
    Venue("SIM-F", Decimal("0.001")),  # over FIX 4.4 (venues/adapters/fix/)
)
