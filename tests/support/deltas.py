"""The order delta a websocket client is sent, as the public contract lists it (DESIGN.md)."""

# Written out, not read from contracts/trading.py: a test of the contract must not follow a
# change of the code. `last_fill` comes on top when a fill made the change; never `trader_id`.
CLIENT_DELTA_FIELDS = frozenset(
    {
        "type",
        "order_id",
        "seq",
        "state",
        "instrument",
        "quantity",
        "filled_quantity",
        "remaining_quantity",
        "average_price",
        "attempts",
        "updated_at",  # the store time of the change: a client sees its lag
    }
)
