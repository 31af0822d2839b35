"""The fence between a delayed place command and reconciliation's "never placed".

A place command is sent to the venue only before its attempt's send deadline (created_at +
PLACE_WINDOW_S); an HTTP request started before it reaches the venue within the client's
timeout. So an attempt the venue does not know NOT_PLACED_AFTER_S after it was created will
never be placed, and reconciliation may end it as not placed without racing the command.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

PLACE_WINDOW_S = float(os.environ.get("VENUE_PLACE_WINDOW_S", "20"))
CLIENT_TIMEOUT_S = 5.0  # venues/adapters/sim/client.py: one request never takes longer
MARGIN_S = 5.0  # clocks of different hosts, a slow scheduler
NOT_PLACED_AFTER_S = PLACE_WINDOW_S + CLIENT_TIMEOUT_S + MARGIN_S
RECONCILE_INTERVAL_S = float(os.environ.get("RECONCILE_INTERVAL_S", "10"))


def send_deadline(created_at: datetime) -> datetime:
    """After this instant the attempt's place must not be sent (the reconciler may end it)."""
    return created_at + timedelta(seconds=PLACE_WINDOW_S)
