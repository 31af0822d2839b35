"""python manage.py demo (`make demo`): the seed's order against the running platform, live.

Resets the venues' books to the seed's market, follows the order on the websocket while it
works, and prints each change as it happens, then the trader's position and balances.
`--strategy split` (`make demo STRATEGY=split`) instead gives every configured venue a share of
the liquidity (`split_books`) and places the order with the split strategy: one order worked
across all of them at once; then each fill with its ledger entry.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from websockets.sync.client import ClientConnection, connect

SEED_BOOKS = {"SIM-A": [["9980", "1.2"]], "SIM-B": [["9985", "5"]]}
ORDER_QUANTITY = Decimal("3.0")
STEP = Decimal("0.0001")


def split_books(venues: list[str]) -> dict[str, list[list[str]]]:
    """Asks for the split demo: each venue's touch holds a share of the order, one tick apart,
    with more behind it; so the cheapest liquidity is spread across every venue."""
    names = sorted(venues)
    share = (ORDER_QUANTITY / len(names) / STEP).to_integral_value(rounding="ROUND_FLOOR") * STEP
    books = {}
    for i, name in enumerate(names):
        top = ORDER_QUANTITY - share * (len(names) - 1) if i == 0 else share
        books[name] = [[str(9980 + i), format(top, "f")], [str(9990 + i), "5"]]
    return books


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
        parser.add_argument(
            "--strategy",
            choices=["best", "split"],
            default="best",
            help="best: the seed's order and books; split: one order across every venue",
        )

    def handle(self, *args: object, **options: Any) -> None:  # argparse's values
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO line per request is noise
        url = str(options["url"]).rstrip("/")
        timeout_s = float(options["timeout"])
        split = options["strategy"] == "split"
        token_file = Path(settings.VAR_DIR) / "demo-token"
        if not token_file.exists():
            raise CommandError("no var/demo-token: start the platform with `make run` first")
        token = token_file.read_text().strip()
        api = httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=10)
        control = httpx.Client(base_url=f"{settings.VENUE_SIMULATOR_URL}/control", timeout=10)
        books = split_books(_open_venues()) if split else SEED_BOOKS
        for venue, asks in books.items():
            control.put(f"/faults/{venue}", json={}).raise_for_status()
            answer = control.put(
                f"/books/{venue}/BTC-USD", json={"asks": asks, "bids": [["9900", "5"]]}
            )
            if answer.status_code != 200:
                raise CommandError(f"{venue}'s book not set ({answer.status_code}): {answer.text}")
        shown = ", ".join(
            f"{v} asks " + " + ".join(f"{_num(q)} @ {p}" for p, q in asks)
            for v, asks in books.items()
        )
        self.stdout.write(f"books: {shown}")
        _wait_for_quotes(books, timeout_s)
        ws_url = url.replace("http", "ws", 1) + f"/ws/v1/stream?token={token}"
        with connect(ws_url, open_timeout=10) as ws:
            ws.send(json.dumps({"action": "subscribe", "orders": "*"}))
            json.loads(ws.recv(timeout=10))  # {"type": "subscribed"}
            body = {
                "client_order_id": f"demo-{uuid.uuid4().hex[:12]}",
                "instrument": "BTC-USD",
                "side": "buy",
                "quantity": str(ORDER_QUANTITY),
                "limit_price": "10000",
            }
            if split:
                body["strategy"] = "split"
            answer = api.post("/api/v1/orders", json=body)
            if answer.status_code != 201:
                raise CommandError(f"order refused ({answer.status_code}): {answer.text}")
            order = answer.json()
            how = " (split across venues)" if split else ""
            self.stdout.write(f"placed {order['order_id']}: buy 3 BTC-USD, limit 10000{how}")
            self._follow(ws, order, timeout_s)
        if split:
            self._fills_in_ledger(api, order["order_id"])
        self._summary(api)

    def _follow(self, ws: ClientConnection, order: dict[str, Any], timeout_s: float) -> None:
        seen: set[str] = set()
        self._show_attempts(order, seen)
        delta = order
        while delta["state"] not in {"filled", "canceled", "expired", "rejected"}:
            message = json.loads(ws.recv(timeout=timeout_s))
            # Another order's delta (the stream carries all of the trader's) is not ours: its
            # state must not end the loop.
            if message.get("type") != "order.delta" or message["order_id"] != order["order_id"]:
                continue
            delta = message
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

    def _fills_in_ledger(self, api: httpx.Client, order_id: str) -> None:
        """Each fill of the order beside its journal entry in the store (balanced per asset)."""
        from infra.store import database
        from infra.store.api import run
        from ledger import journal
        from ledger.domain.chart import fill_entry_id

        fills = api.get("/api/v1/fills", params={"order_id": order_id}).json()["results"]
        for fill in sorted(fills, key=lambda f: f["fill_id"]):
            entry_id = fill_entry_id(fill["fill_id"])
            entry = run(database(), partial(journal.get_entry, entry_id=entry_id))
            booked = "not in the ledger" if entry is None else f"ledger entry {entry.entry_id}"
            qty, price = _num(fill["quantity"]), _num(fill["price"])
            self.stdout.write(
                f"  {fill['fill_id']}: {qty} @ {price} on {fill['venue']} "
                f"({fill['attempt_id']}), fee {_num(fill['fee'])} {fill['fee_asset']}: {booked}"
            )
        venues = sorted({f["venue"] for f in fills})
        self.stdout.write(f"{len(fills)} fills on {len(venues)} venues: {', '.join(venues)}")


def _open_venues() -> list[str]:
    """The venues the router may use now (configured, not halted)."""
    from infra.store import database
    from infra.store.api import run
    from trading.repository import Repository

    venues = run(database(), lambda tr: Repository(tr).venues())
    return [v.name for v in venues if not v.halted]


def _wait_for_quotes(books: dict[str, list[list[str]]], timeout_s: float) -> None:
    """Until the router's quotes show the books just set and every venue's stream is up:
    else it may route on stale quotes, or without a venue whose circuit is still open."""
    from infra.store import database
    from infra.store.api import run
    from trading.repository import Repository

    def quoted() -> bool:
        quotes, venues = run(
            database(), lambda tr: (Repository(tr).quotes("BTC-USD"), Repository(tr).venues())
        )
        shown = {q.venue: q.levels(True) for q in quotes}
        up = {v.name for v in venues if v.status.available}  # stream up, circuit closed
        return set(books) <= up and all(
            shown.get(venue, ())[: len(asks)] == tuple((Decimal(p), Decimal(q)) for p, q in asks)
            for venue, asks in books.items()
        )

    deadline = time.monotonic() + timeout_s
    while not quoted():
        if time.monotonic() > deadline:
            raise CommandError("the venues' new books never reached the router's quotes")
        time.sleep(0.05)
