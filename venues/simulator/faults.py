"""A venue's injected faults, as the control API sets them, and the dice that decide them."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from venues.simulator.decimals import ZERO, BadNumber, fraction, plain, to_decimal

MAX_LATENCY_MS = 60_000
_RATES = ("reject_rate", "drop_ack_rate", "duplicate_report_rate", "drop_report_rate")
_SWITCHES = ("reorder_reports", "down")
_DICE_SIDES = 1_000_000  # a rate counts to 6 decimal places


class BadFaults(ValueError):
    """A fault set the control API will not take; the message says why."""


@dataclass(frozen=True)
class Faults:
    latency_ms: int = 0  # every trading answer and every stream message waits this long
    reject_rate: Decimal = ZERO  # that fraction of new orders is rejected
    drop_ack_rate: Decimal = ZERO  # that fraction of accepted orders never gets its HTTP answer
    duplicate_report_rate: Decimal = ZERO  # that fraction of reports goes out twice
    reorder_reports: bool = False  # an order's reports are held and sent reversed at its end
    down: bool = False  # the trading API answers 503, streams are closed and refused
    # that fraction of execution reports is lost on the way: never logged nor streamed (only
    # the query API tells what happened), as if it vanished between the venue and the store
    drop_report_rate: Decimal = ZERO

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Faults:
        """From the control API's body; every field optional, `{}` is no fault at all."""
        unknown = sorted(set(body) - {field.name for field in fields(cls)})
        if unknown:
            raise BadFaults(f"unknown faults: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        try:
            for name in _RATES:
                if body.get(name) is not None:
                    values[name] = fraction(body[name], name)
            if body.get("latency_ms") is not None:
                values["latency_ms"] = _latency_ms(body["latency_ms"])
        except BadNumber as error:
            raise BadFaults(str(error)) from None
        for name in _SWITCHES:
            if body.get(name) is not None:
                if not isinstance(body[name], bool):
                    raise BadFaults(f"{name} must be true or false, not {body[name]!r}")
                values[name] = body[name]
        return cls(**values)

    def to_wire(self) -> dict[str, Any]:
        wire = asdict(self)
        for name in _RATES:
            wire[name] = plain(wire[name])
        return wire


def _latency_ms(value: object) -> int:
    number = to_decimal(value, "latency_ms")
    if number != number.to_integral_value() or not 0 <= number <= MAX_LATENCY_MS:
        raise BadNumber(f"latency_ms must be a whole number from 0 to {MAX_LATENCY_MS}")
    return int(number)


class Dice:
    """Decides whether a fault strikes; seeded, so a run can be replayed exactly."""

    def __init__(self, seed: int | str | None) -> None:
        self._rng = random.Random(seed)

    def strikes(self, rate: Decimal) -> bool:
        """True with probability `rate`; no draw at all for 0, so quiet runs stay aligned."""
        if rate <= 0:
            return False
        return self._rng.randrange(_DICE_SIDES) < rate * _DICE_SIDES
