"""The simulator's HTTP and websocket server (aiohttp): trading API, stream, control API."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from venues.simulator.book import Book
from venues.simulator.venue import Faults, Venue

VENUES = {"SIM-A": Decimal("0.001"), "SIM-B": Decimal("0.001")}
SEED_BOOKS = {
    ("SIM-A", "BTC-USD"): {"asks": [["9980", "1.2"]], "bids": [["9970", "2"]]},
    ("SIM-B", "BTC-USD"): {"asks": [["9985", "5"]], "bids": [["9975", "4"]]},
    ("SIM-A", "ETH-USD"): {"asks": [["2000", "10"]], "bids": [["1995", "10"]]},
    ("SIM-B", "ETH-USD"): {"asks": [["2001", "20"]], "bids": [["1996", "20"]]},
}
VENUES_KEY = web.AppKey("venues", dict)
SESSION_KEY = web.AppKey("session", str)


def _venue(request: web.Request) -> Venue:
    venue = request.app[VENUES_KEY].get(request.match_info["venue"])
    if venue is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": "unknown venue"}), content_type="application/json"
        )
    return venue


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "body must be JSON"}), content_type="application/json"
        ) from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "body must be an object"}), content_type="application/json"
        )
    return body


async def _trading_gate(venue: Venue) -> None:
    """Latency on every answer; 503 while the venue is down."""
    if venue.faults.latency_ms:
        await asyncio.sleep(venue.faults.latency_ms / 1000)
    if venue.faults.down:
        raise web.HTTPServiceUnavailable(
            text=json.dumps({"error": "venue down"}), content_type="application/json"
        )


async def place(request: web.Request) -> web.StreamResponse:
    venue = _venue(request)
    body = await _body(request)
    await _trading_gate(venue)
    try:
        status, answer = venue.place(body)
    except ValueError as error:
        return _json(400, {"error": str(error)})
    if status == 200 and venue.rng.random() < venue.faults.drop_ack_rate:
        # The order is in and executed, but the answer never arrives: the client must ask.
        assert request.transport is not None
        request.transport.close()
        raise asyncio.CancelledError
    return _json(status, answer)


async def query(request: web.Request) -> web.Response:
    venue = _venue(request)
    await _trading_gate(venue)
    order = venue.orders.get(request.match_info["coid"])
    return _json(200, order.view()) if order else _json(404, {"error": "unknown order"})


async def cancel(request: web.Request) -> web.Response:
    venue = _venue(request)
    await _trading_gate(venue)
    status, answer = venue.cancel(request.match_info["coid"])
    return _json(status, answer)


async def stream(request: web.Request) -> web.WebSocketResponse:
    venue = _venue(request)
    if venue.faults.down:
        raise web.HTTPServiceUnavailable(text="venue down")
    try:
        since = int(request.query.get("since", "0"))
    except ValueError:
        raise web.HTTPBadRequest(text="since must be an integer") from None
    ws = web.WebSocketResponse(heartbeat=10)
    await ws.prepare(request)
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    venue.subscribers.add(queue)
    try:
        # A session id per simulator run: a client whose cursor is from another run starts over.
        await ws.send_str(
            json.dumps({"type": "hello", "venue": venue.name, "session": request.app[SESSION_KEY]})
        )
        for message in venue.replay(since):
            await ws.send_str(json.dumps(message))
        for instrument in sorted(venue.books):
            await ws.send_str(json.dumps({**venue.book_message(instrument), "seq": 0}))
        reader = asyncio.ensure_future(ws.receive())
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                getter.cancel()
                message = reader.result()
                if message.type in (
                    WSMsgType.CLOSE,
                    WSMsgType.CLOSING,
                    WSMsgType.CLOSED,
                    WSMsgType.ERROR,
                ):
                    break
                reader = asyncio.ensure_future(ws.receive())
                continue
            item = getter.result()
            if item is None:  # the venue went down
                break
            await ws.send_str(json.dumps(item))
        reader.cancel()
    finally:
        venue.subscribers.discard(queue)
        await ws.close()
    return ws


async def put_book(request: web.Request) -> web.Response:
    venue = _venue(request)
    body = await _body(request)
    try:
        book = Book.from_levels(body.get("asks", []), body.get("bids", []))
    except (ValueError, ArithmeticError, TypeError) as error:
        return _json(400, {"error": f"bad book: {error}"})
    venue.set_book(request.match_info["instrument"], book)
    return await get_book(request)


async def get_book(request: web.Request) -> web.Response:
    venue = _venue(request)
    instrument = request.match_info["instrument"]
    book = venue.books.setdefault(instrument, Book())
    return _json(200, {"venue": venue.name, "instrument": instrument, **book.levels()})


async def put_faults(request: web.Request) -> web.Response:
    venue = _venue(request)
    try:
        faults = Faults.parse(await _body(request))
    except (ValueError, TypeError) as error:
        return _json(400, {"error": str(error)})
    venue.faults = faults
    if faults.down:
        venue.close_streams()
    return _json(200, faults.as_dict())


async def get_faults(request: web.Request) -> web.Response:
    return _json(200, _venue(request).faults.as_dict())


async def health(request: web.Request) -> web.Response:
    return _json(200, {"status": "ok"})


def make_app(*, seed_books: bool = False, seed: int | None = None) -> web.Application:
    app = web.Application()
    rng = random.Random(seed)
    venues = {name: Venue(name, fee, rng) for name, fee in VENUES.items()}
    if seed_books:
        for (venue, instrument), levels in SEED_BOOKS.items():
            venues[venue].books[instrument] = Book.from_levels(levels["asks"], levels["bids"])
    app[VENUES_KEY] = venues
    app[SESSION_KEY] = uuid.uuid4().hex
    app.add_routes(
        [
            web.post("/venues/{venue}/orders", place),
            web.get("/venues/{venue}/orders/{coid}", query),
            web.delete("/venues/{venue}/orders/{coid}", cancel),
            web.get("/venues/{venue}/stream", stream),
            web.put("/control/books/{venue}/{instrument}", put_book),
            web.get("/control/books/{venue}/{instrument}", get_book),
            web.put("/control/faults/{venue}", put_faults),
            web.get("/control/faults/{venue}", get_faults),
            web.get("/control/health", health),
        ]
    )
    return app
