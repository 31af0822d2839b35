"""Typed refusals of trading-core: each names its field, so edges answer 400/404/409."""

from __future__ import annotations

from kernel.errors import InvalidField, TradingError


class InsufficientFunds(TradingError):
    """The trader's available balance does not cover what the order must reserve."""

    field = "quantity"


class UnknownOrder(TradingError):
    field = "order_id"


class ClientOrderIdConflict(TradingError):
    """The same client_order_id was used before with a different request."""

    field = "client_order_id"


class TraderHalted(TradingError):
    """The back office halted this trader (kill switch)."""


class RiskRefused(InvalidField):
    """A pre-trade risk limit refused the order; `limit` names it (e.g. max_order_quantity)."""

    def __init__(self, message: str, *, field: str, limit: str) -> None:
        super().__init__(message, field=field)
        self.limit = limit


class Refusal(Exception):
    """An execution report that must not be applied; it is quarantined with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IllegalTransition(Exception):
    """A move the order's or attempt's transition table does not allow.

    A bug in trading-core, never bad input: raised (not asserted, so it holds under
    `python -O`) before anything changed, so the transaction that tried it writes nothing.
    """

    def __init__(self, entity: str, state: str, event: str, detail: str = "") -> None:
        message = f"{entity}: {event} in {state}" + (f" ({detail})" if detail else "")
        super().__init__(message)
        self.entity, self.state, self.event = entity, state, event
