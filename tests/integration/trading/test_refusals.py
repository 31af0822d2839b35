"""Every transaction function refuses bad input with a typed error naming the field, and
writes nothing."""

from datetime import UTC, datetime

import pytest

from infra.store.api import run
from kernel.errors import InvalidField
from tests.support.reports import NOW
from tests.support.store import TRADER
from trading import outbox
from trading.domain.errors import InsufficientFunds, UnknownOrder
from trading.services.cancel import OrderNotCancelable, cancel_order
from trading.services.place import PlaceOrder, place_order
from trading.services.reference import deposit


def outbox_size(seeded_db):
    return len(run(seeded_db, lambda tr: outbox.read_after(tr, None, 10_000)))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"instrument": "DOGE-USD"}, "instrument"),
        ({"instrument": 7}, "instrument"),
        ({"side": "hold"}, "side"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0.00001"}, "quantity"),
        ({"quantity": "1.00005"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": "1e20"}, "quantity"),
        ({"limit_price": "10000.001"}, "limit_price"),
        ({"limit_price": "-5"}, "limit_price"),
        ({"time_in_force": "FOK"}, "time_in_force"),
        ({"venue": "NYSE"}, "venue"),
        ({"client_order_id": "has space"}, "client_order_id"),
        ({"client_order_id": "x" * 65}, "client_order_id"),
    ],
)
def test_place_order_names_the_bad_field_and_writes_nothing(seeded_db, changes, field):
    before = outbox_size(seeded_db)
    fields = {
        "instrument": "BTC-USD",
        "side": "buy",
        "quantity": "1",
        "limit_price": "10000",
        **changes,
    }
    with pytest.raises(InvalidField) as error:
        run(seeded_db, lambda tr: place_order(tr, PlaceOrder(TRADER, "O-bad", **fields), NOW))
    assert error.value.field == field
    assert outbox_size(seeded_db) == before


def test_too_little_money_is_refused_on_the_quantity(seeded_db):
    command = PlaceOrder(TRADER, "O-big", "BTC-USD", "buy", "1000", "10000")
    with pytest.raises(InsufficientFunds) as error:
        run(seeded_db, lambda tr: place_order(tr, command, NOW))
    assert error.value.field == "quantity"


def test_cancel_refuses_unknown_foreign_and_ended_orders(seeded_db):
    with pytest.raises(UnknownOrder):
        run(seeded_db, lambda tr: cancel_order(tr, "O-none", NOW))
    command = PlaceOrder(TRADER, "O-c", "BTC-USD", "buy", "1", "9000")  # rests: nothing inside
    run(seeded_db, lambda tr: place_order(tr, command, NOW))
    with pytest.raises(UnknownOrder):
        run(seeded_db, lambda tr: cancel_order(tr, "O-c", NOW, trader_id="T-other"))
    assert run(seeded_db, lambda tr: cancel_order(tr, "O-c", NOW)).state.value == "canceled"
    with pytest.raises(OrderNotCancelable):
        run(seeded_db, lambda tr: cancel_order(tr, "O-c", NOW))


def test_a_deposit_needs_a_known_trader_an_asset_and_an_amount(seeded_db):
    now = datetime.now(UTC)
    for kwargs, field in [
        ({"trader_id": "T-none", "asset": "USD", "amount": "1"}, "trader_id"),
        ({"trader_id": TRADER, "asset": "U S D", "amount": "1"}, "asset"),
        ({"trader_id": TRADER, "asset": "USD", "amount": "0"}, "amount"),
        ({"trader_id": TRADER, "asset": "USD", "amount": "0.000000001"}, "amount"),
    ]:
        with pytest.raises(InvalidField) as error:
            run(seeded_db, lambda tr, k=kwargs: deposit(tr, entry_id="d-x", now=now, **k))
        assert error.value.field == field
