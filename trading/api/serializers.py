"""edge-api request parsing and the contract's response shapes (for the OpenAPI schema).

Requests are parsed strictly: a string field takes only a JSON string, and a body with a field
the contract does not name is refused (a misspelt `limit_price` must not become a market
order). Decimals are strings ("3", "3.0" and "3.00000000" are the same number); a JSON number
is accepted too and read exactly as written (the parser reads numbers as Decimal, never as a
binary float), so `3.1` and `"3.1"` are the same request.
Responses are built by trading-core's `trading.snapshots`; the serializers below describe them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kernel.edge.views import Wire, field_errors_schema
from kernel.ids import CLIENT_ORDER_ID_PATTERN, CLIENT_ORDER_ID_RULE, valid_client_order_id
from kernel.money import display, within_bounds
from trading.domain.lifecycle import AttemptState, OrderState
from trading.domain.orders import RoutingStrategy

DECIMAL_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DECIMAL = re.compile(DECIMAL_PATTERN.strip("^$"))
MAX_DECIMAL_CHARS = 40
MAX_SYMBOL_CHARS = 32
MAX_ORDER_ID_CHARS = 128

_DECIMAL_DOC = (
    'A decimal number as a string, e.g. "3.0" (a JSON number is read exactly as written).'
)


class StrictCharField(serializers.CharField):
    """A CharField that takes only a JSON string (DRF's would turn 5 into "5")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


@extend_schema_field(
    {"type": "string", "pattern": CLIENT_ORDER_ID_PATTERN, "minLength": 1, "maxLength": 64}
)
class ClientOrderIdField(serializers.CharField):
    """The client_order_id rule of kernel.ids."""

    default_error_messages = {"invalid": CLIENT_ORDER_ID_RULE}

    def to_internal_value(self, data: Any) -> str:
        if not valid_client_order_id(data):
            self.fail("invalid")
        return str(data)


@extend_schema_field(
    {"type": "string", "pattern": DECIMAL_PATTERN, "maxLength": MAX_DECIMAL_CHARS, "example": "3.0"}
)
class DecimalTextField(serializers.Field[Decimal, object, str | None, Wire]):
    """An exact decimal: a string of digits, or a JSON number (parsed as Decimal)."""

    default_error_messages = {
        "invalid": 'Must be a decimal number given as a string, such as "3.0".',
        "max_string_length": f"Must be at most {MAX_DECIMAL_CHARS} characters.",
        "out_of_range": "Must be below 1e21 with at most 20 decimal places.",
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int | Decimal):  # a JSON number, read exactly as written
            number = Decimal(data)
        elif isinstance(data, str):
            if len(data) > MAX_DECIMAL_CHARS:
                self.fail("max_string_length")
            if not _DECIMAL.fullmatch(data):
                self.fail("invalid")
            number = Decimal(data)
        else:
            self.fail("invalid")
        if not number.is_finite():
            self.fail("invalid")
        if not within_bounds(number):  # before any arithmetic: 1e999999999 overflows Decimal
            self.fail("out_of_range")
        return number  # range, step and tick are trading-core's checks

    def to_representation(self, value: Decimal) -> str | None:
        return display(value)


class PlaceOrderSerializer(serializers.Serializer[Wire]):
    client_order_id = ClientOrderIdField(
        required=False,
        allow_null=True,
        help_text="1-64 of [A-Za-z0-9._:-], unique per trader: the same id and body again "
        "answers 200 with the first order, a different body 409.",
    )
    instrument = StrictCharField(max_length=MAX_SYMBOL_CHARS, help_text="e.g. BTC-USD")
    side = serializers.ChoiceField(choices=["buy", "sell"])
    quantity = DecimalTextField(help_text=_DECIMAL_DOC + " A multiple of quantity_step.")
    limit_price = DecimalTextField(
        required=False,
        allow_null=True,
        help_text=_DECIMAL_DOC + " A multiple of price_tick; none means a market order.",
    )
    time_in_force = serializers.ChoiceField(
        choices=["GTC", "IOC", "DAY"],
        required=False,
        allow_null=True,
        help_text="Default: IOC for a market order, GTC for a limit order; DAY ends at 00:00 UTC.",
    )
    venue = StrictCharField(
        required=False,
        allow_null=True,
        max_length=MAX_SYMBOL_CHARS,
        help_text="Pin every attempt of the order to this venue.",
    )
    strategy = serializers.ChoiceField(
        choices=[s.value for s in RoutingStrategy],
        required=False,
        allow_null=True,
        help_text='How attempts are routed. "best" (the default): each attempt whole to the venue '
        'with the best top of book. "split": spread across venues by book depth, fees and each '
        "venue's recent fill ratio, several attempts at once. Default: the trader's setting.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({str(name): ["Unknown field."] for name in unknown})
        return attrs


# --- query parameters ----------------------------------------------------------------------


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant; one outside what Python can hold in UTC is clamped to its edge.

    0001-01-01T00:00:00+13:57 is a valid RFC 3339 date-time that is before datetime.min in
    UTC: as a filter it means "from the beginning", so it is read as that, never a 5xx.
    """

    EARLIEST = datetime.min.replace(tzinfo=UTC)
    LATEST = datetime.max.replace(tzinfo=UTC)

    def enforce_timezone(self, value: datetime) -> datetime:
        if value.tzinfo is not None:
            try:
                return value.astimezone(UTC)
            except OverflowError:
                return self.EARLIEST if value.year == 1 else self.LATEST
        return super().enforce_timezone(value)


class QuerySerializer(serializers.Serializer[Wire]):
    """Query parameters: a parameter given empty (`?instrument=`) is refused, not ignored."""

    def to_internal_value(self, data: Any) -> Any:  # request.query_params: a QueryDict
        names = self.fields.keys()  # (iterating BindingDict gives names; its stubs say fields)
        blank = sorted(n for n in names if n in data and not str(data.get(n, "")).strip())
        if blank:
            raise serializers.ValidationError({name: ["Must not be empty."] for name in blank})
        return super().to_internal_value(data)


class PageQuerySerializer(QuerySerializer):
    cursor = serializers.CharField(
        required=False,
        max_length=1024,
        help_text="Opaque: only the cursor of a `next` link (any other is a 400).",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200)


class OrderListQuerySerializer(PageQuerySerializer):
    state = serializers.ChoiceField(choices=[s.value for s in OrderState], required=False)
    instrument = serializers.CharField(required=False, max_length=MAX_SYMBOL_CHARS)
    client_order_id = ClientOrderIdField(required=False)
    created_after = BoundedDateTimeField(required=False)
    created_before = BoundedDateTimeField(required=False)


class FillListQuerySerializer(PageQuerySerializer):
    order_id = serializers.CharField(required=False, max_length=MAX_ORDER_ID_CHARS)
    instrument = serializers.CharField(required=False, max_length=MAX_SYMBOL_CHARS)


# --- response shapes (documentation of trading.snapshots' dicts) ---------------------------


def _decimal(help_text: str = "", **kwargs: Any) -> serializers.CharField:
    text = f"decimal as a string: {help_text}" if help_text else "decimal as a string"
    return serializers.CharField(help_text=text, **kwargs)


class InstrumentSerializer(serializers.Serializer[Wire]):
    symbol = serializers.CharField()
    base = serializers.CharField()
    quote = serializers.CharField()
    quantity_step = _decimal()
    price_tick = _decimal()
    min_quantity = _decimal()


class AttemptSerializer(serializers.Serializer[Wire]):
    attempt_id = serializers.CharField(help_text='"EA-1", "EA-2", ...')
    venue = serializers.CharField()
    quantity = _decimal()
    filled_quantity = _decimal()
    state = serializers.ChoiceField(choices=[s.value for s in AttemptState])


class OrderSnapshotSerializer(serializers.Serializer[Wire]):
    order_id = serializers.CharField()
    client_order_id = serializers.CharField(allow_null=True)
    instrument = serializers.CharField()
    side = serializers.ChoiceField(choices=["buy", "sell"])
    order_type = serializers.ChoiceField(choices=["market", "limit"])
    time_in_force = serializers.ChoiceField(choices=["GTC", "IOC", "DAY"])
    quantity = _decimal()
    limit_price = _decimal(allow_null=True)
    venue = serializers.CharField(allow_null=True, help_text="the venue the order is pinned to")
    strategy = serializers.ChoiceField(
        choices=[s.value for s in RoutingStrategy], help_text="how its attempts are routed"
    )
    filled_quantity = _decimal()
    remaining_quantity = _decimal(help_text="quantity - filled_quantity, always")
    average_price = _decimal(allow_null=True, help_text="null before the first fill")
    fees = _decimal()
    state = serializers.ChoiceField(choices=[s.value for s in OrderState])
    reason = serializers.CharField(allow_null=True, help_text="why the order ended, if it says")
    seq = serializers.IntegerField(help_text="1 at acceptance, +1 with every change")
    attempts = AttemptSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class FillSerializer(serializers.Serializer[Wire]):
    fill_id = serializers.CharField()
    order_id = serializers.CharField()
    attempt_id = serializers.CharField()
    venue = serializers.CharField()
    venue_fill_id = serializers.CharField()
    instrument = serializers.CharField()
    side = serializers.ChoiceField(choices=["buy", "sell"])
    quantity = _decimal()
    price = _decimal()
    fee = _decimal()
    fee_asset = serializers.CharField()
    executed_at = serializers.DateTimeField()


class PositionSerializer(serializers.Serializer[Wire]):
    instrument = serializers.CharField()
    quantity = _decimal(help_text="signed: long > 0, short < 0")
    average_cost = _decimal(allow_null=True, help_text="null when flat")
    realized_pnl = _decimal(help_text="gross of fees")
    unrealized_pnl = _decimal(
        allow_null=True,
        help_text="at the best venue mark: mid of the best bid and ask across venues, or the "
        "side that exists; null when no venue shows a price",
    )


def _page_of(
    name: str, item: type[serializers.Serializer[Wire]]
) -> type[serializers.Serializer[Wire]]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next": serializers.URLField(
                allow_null=True, help_text="the next page, or null on the last one"
            ),
        },
    )


InstrumentPageSerializer = _page_of("InstrumentPage", InstrumentSerializer)
OrderPageSerializer = _page_of("OrderPage", OrderSnapshotSerializer)
FillPageSerializer = _page_of("FillPage", FillSerializer)
PositionPageSerializer = _page_of("PositionPage", PositionSerializer)

# --- error shapes --------------------------------------------------------------------------


CONFLICT_SCHEMA = field_errors_schema({"client_order_id": ["already used for a different order"]})
