"""python manage.py demo (`make demo`): the seed's order against the running platform, live.

Resets the venues' books to the seed's market, follows the order on the websocket while it
works, and prints each change as it happens, then the trader's position and balances.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from websockets.sync.client import ClientConnection, connect

SEED_BOOKS = {"SIM-A": [["9980", "1.2"]], "SIM-B": [["9985", "5"]]}


def _num(text: str | None) -> str:
    return "-" if text is None else format(Decimal(text).normalize(), "f")


def _progress(order: dict[str, Any]) -> str:
    return f"{_num(order['filled_quantity'])} / {_num(order['quantity'])}"


class Command(BaseCommand):
    help = "Place the seed's order (buy 3 BTC-USD) on the running platform and show its progress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default=os.environ.get("PLATFORM_URL", "http://127.0.0.1:8000")
        )
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args: object, **options: Any) -> None:  # argparse's values
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO line per request is noise
        url = str(options["url"]).rstrip("/")
        token_file = Path(settings.VAR_DIR) / "demo-token"
        if not token_file.exists():
            raise CommandError("no var/demo-token: start the platform with `make run` first")
        token = token_file.read_text().strip()
        api = httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=10)
        control = httpx.Client(base_url=f"{settings.VENUE_SIMULATOR_URL}/control", timeout=10)
        for venue, asks in SEED_BOOKS.items():
            control.put(f"/faults/{venue}", json={}).raise_for_status()
            control.put(
                f"/books/{venue}/BTC-USD", json={"asks": asks, "bids": [["9900", "5"]]}
            ).raise_for_status()
        self.stdout.write("books: SIM-A asks 1.2 @ 9980, SIM-B asks 5 @ 9985")
        _wait_for_quotes(float(options["timeout"]))
        ws_url = url.replace("http", "ws", 1) + f"/ws/v1/stream?token={token}"
        with connect(ws_url, open_timeout=10) as ws:
            ws.send(json.dumps({"action": "subscribe", "orders": "*"}))
            json.loads(ws.recv(timeout=10))  # {"type": "subscribed"}
            body = {
                "client_order_id": f"demo-{uuid.uuid4().hex[:12]}",
                "instrument": "BTC-USD",
                "side": "buy",
                "quantity": "3.0",
                "limit_price": "10000",
            }
            answer = api.post("/api/v1/orders", json=body)
            if answer.status_code != 201:
                raise CommandError(f"order refused ({answer.status_code}): {answer.text}")
            order = answer.json()
            self.stdout.write(f"placed {order['order_id']}: buy 3 BTC-USD, limit 10000")
            self._follow(ws, order, float(options["timeout"]))
        self._summary(api)

    def _follow(self, ws: ClientConnection, order: dict[str, Any], timeout_s: float) -> None:
        seen: set[str] = set()
        self._show_attempts(order, seen)
        delta = order
        while delta["state"] not in {"filled", "canceled", "expired", "rejected"}:
            delta = json.loads(ws.recv(timeout=timeout_s))
            if delta.get("type") != "order.delta" or delta["order_id"] != order["order_id"]:
                continue
            self._show_attempts(delta, seen)
            if "last_fill" in delta:
                fill = delta["last_fill"]
                qty, price = _num(fill["quantity"]), _num(fill["price"])
                self.stdout.write(
                    f"  fill {qty} @ {price} on {fill['venue']} ({fill['attempt_id']})"
                )
                self.stdout.write(f"  {_progress(delta)} BTC filled")
        average = _num(delta["average_price"])
        self.stdout.write(f"order {delta['state']}: {_progress(delta)} filled at {average}")

    def _show_attempts(self, snapshot: dict[str, Any], seen: set[str]) -> None:
        for attempt in snapshot["attempts"]:
            if attempt["attempt_id"] not in seen:
                seen.add(attempt["attempt_id"])
                qty = _num(attempt["quantity"])
                self.stdout.write(f"  {attempt['attempt_id']} {qty} at {attempt['venue']}")

    def _summary(self, api: httpx.Client) -> None:
        for position in api.get("/api/v1/positions").json()["results"]:
            qty, cost = _num(position["quantity"]), _num(position["average_cost"])
            self.stdout.write(f"position {position['instrument']}: {qty} at {cost}")
        for balance in api.get("/api/v1/balances").json()["results"]:
            total, available = _num(balance["total"]), _num(balance["available"])
            self.stdout.write(f"balance {balance['asset']}: total {total}, available {available}")


def _wait_for_quotes(timeout_s: float) -> None:
    """Until the router's quotes show the books just set: else it may route on stale ones."""
    from infra.store import database
    from infra.store.api import run
    from trading.repository import Repository

    def quoted() -> bool:
        quotes = run(database(), lambda tr: Repository(tr).quotes("BTC-USD"))
        shown = {q.venue: (q.best_ask, q.ask_size) for q in quotes}
        return all(
            shown.get(venue) == (Decimal(asks[0][0]), Decimal(asks[0][1]))
            for venue, asks in SEED_BOOKS.items()
        )

    deadline = time.monotonic() + timeout_s
    while not quoted():
        if time.monotonic() > deadline:
            raise CommandError("the venues' new books never reached the router's quotes")
        time.sleep(0.05)
