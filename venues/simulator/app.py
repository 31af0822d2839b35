"""The simulator's server (aiohttp): the trading API and stream per venue, the control API.

Handlers decode, call the venue once, and answer; the venue does the rest. Faults that live
on the wire are applied here: latency before every trading answer, the dropped ack, 503 down.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from venues.simulator.book import BadBook, Book
from venues.simulator.faults import BadFaults, Faults
from venues.simulator.fix.acceptor import Acceptor
from venues.simulator.fix.store import FixStore
from venues.simulator.market import make_venues
from venues.simulator.orders import INSTRUMENT, BadOrder, OrderRequest, Status
from venues.simulator.state import StateFile
from venues.simulator.stream import STREAMS_KEY, close_all_streams, serve_stream
from venues.simulator.venue import CancelResult, Venue, VenueFull

log = logging.getLogger(__name__)

VENUES_KEY = web.AppKey("venues", dict[str, Venue])
ACCEPTORS_KEY = web.AppKey("acceptors", dict[str, Acceptor])
MAX_BODY_BYTES = 64 * 1024
_SINCE = re.compile(r"\d{1,18}")


class Refused(Exception):
    """A request answered with an error status and `{"error": reason}`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every refusal as JSON `{"error": reason}`, aiohttp's own (404, 405, 413) included."""
    try:
        return await handler(request)
    except Refused as refused:
        return web.json_response({"error": refused.reason}, status=refused.status)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return web.json_response({"error": error.reason}, status=error.status)


def _venue(request: web.Request, *, unknown_status: int, trading: bool = False) -> Venue:
    name = request.match_info["venue"]
    venues = request.app[VENUES_KEY]
    venue = venues.get(name)
    if venue is None:
        known = ", ".join(sorted(venues))
        raise Refused(unknown_status, f"unknown venue {name!r} (known: {known})")
    if trading and venue.protocol == "fix":
        raise Refused(404, f"{name} trades over its FIX 4.4 session only (PROTOCOL.md)")
    return venue


async def _body(request: web.Request, *, empty_is: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Refused(413, f"body over {MAX_BODY_BYTES} bytes") from None
    if not raw.strip() and empty_is is not None:
        return empty_is
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, or nested too deep
        raise Refused(400, f"body must be JSON: {error}") from None
    if not isinstance(body, dict):
        raise Refused(400, "body must be a JSON object")
    return body


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number here")


# --- trading API ------------------------------------------------------------------------


async def _answer(venue: Venue, status: int, body: dict[str, Any]) -> web.Response:
    """Every trading answer waits out the venue's latency first."""
    if venue.faults.latency_ms:
        await asyncio.sleep(venue.faults.latency_ms / 1000)
    return web.json_response(body, status=status)


def _down(venue: Venue) -> dict[str, Any]:
    return {"error": f"{venue.name} is down"}


async def place(request: web.Request) -> web.StreamResponse:
    venue = _venue(request, unknown_status=404, trading=True)
    if venue.faults.down:
        return await _answer(venue, 503, _down(venue))
    try:
        order, known = venue.place(OrderRequest.parse(await _body(request)))
    except Refused as refused:
        return await _answer(venue, refused.status, {"error": refused.reason})
    except BadOrder as error:
        return await _answer(venue, 400, {"error": str(error)})
    except VenueFull as error:
        return await _answer(venue, 503, {"error": str(error)})
    if known:
        return await _answer(venue, 409, order.to_wire())
    if order.status is not Status.REJECTED and venue.strikes(venue.faults.drop_ack_rate):
        # The order is in and has executed, but its answer never arrives: the client must ask.
        if venue.faults.latency_ms:
            await asyncio.sleep(venue.faults.latency_ms / 1000)
        if request.transport is not None:
            request.transport.close()
        log.info("%s: dropped the ack of %s", venue.name, order.client_order_id)
        return web.Response(status=200)  # written to a closed transport: never delivered
    return await _answer(venue, 200, order.ack())


async def query(request: web.Request) -> web.Response:
    venue = _venue(request, unknown_status=404, trading=True)
    if venue.faults.down:
        return await _answer(venue, 503, _down(venue))
    order = venue.order(request.match_info["client_order_id"])
    if order is None:
        return await _answer(venue, 404, {"error": "unknown order"})
    return await _answer(venue, 200, order.to_wire())


async def cancel(request: web.Request) -> web.Response:
    venue = _venue(request, unknown_status=404, trading=True)
    if venue.faults.down:
        return await _answer(venue, 503, _down(venue))
    result, order = venue.cancel(request.match_info["client_order_id"])
    if order is None:
        return await _answer(venue, 404, {"error": "unknown order"})
    return await _answer(venue, 200 if result is CancelResult.CANCELED else 409, order.to_wire())


async def stream(request: web.Request) -> web.StreamResponse:
    venue = _venue(request, unknown_status=404, trading=True)
    since = request.query.get("since", "0")
    if not _SINCE.fullmatch(since):
        return await _answer(venue, 400, {"error": "since must be a whole number >= 0"})
    if venue.faults.down:
        return await _answer(venue, 503, _down(venue))
    return await serve_stream(request, venue, int(since))


# --- control API ------------------------------------------------------------------------


def _instrument(request: web.Request) -> str:
    instrument = request.match_info["instrument"]
    if not INSTRUMENT.fullmatch(instrument):
        raise Refused(400, f'instrument must be a symbol like "BTC-USD", not {instrument!r}')
    return instrument


def _book_answer(venue: Venue, instrument: str, book: Book) -> web.Response:
    return web.json_response({"venue": venue.name, "instrument": instrument, **book.to_wire()})


async def put_book(request: web.Request) -> web.Response:
    venue = _venue(request, unknown_status=400)
    instrument = _instrument(request)
    body = await _body(request)
    unknown = sorted(set(body) - {"asks", "bids"})
    if unknown:
        raise Refused(400, f"unknown fields: {', '.join(unknown)} (a book has asks and bids)")
    try:
        book = Book.parse(body.get("asks"), body.get("bids"))
    except BadBook as error:
        raise Refused(400, f"bad book: {error}") from None
    venue.set_book(instrument, book)
    log.info("%s %s book: %s", venue.name, instrument, book.to_wire())
    return _book_answer(venue, instrument, book)


async def get_book(request: web.Request) -> web.Response:
    venue = _venue(request, unknown_status=400)
    instrument = _instrument(request)
    book = venue.book(instrument)
    if book is None:
        raise Refused(404, f"{venue.name} has no {instrument} book")
    return _book_answer(venue, instrument, book)


async def put_faults(request: web.Request) -> web.Response:
    venue = _venue(request, unknown_status=400)
    try:
        faults = Faults.parse(await _body(request, empty_is={}))
    except BadFaults as error:
        raise Refused(400, str(error)) from None
    venue.set_faults(faults)
    log.info("%s faults: %s", venue.name, faults.to_wire())
    return web.json_response(faults.to_wire())


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(_venue(request, unknown_status=400).faults.to_wire())


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _acceptor(request: web.Request) -> Acceptor:
    acceptors = request.app[ACCEPTORS_KEY]
    name = request.match_info["venue"]
    if name not in acceptors:
        raise Refused(404, f"no FIX acceptor for {name!r} (FIX venues: {', '.join(acceptors)})")
    return acceptors[name]


async def fix_sessions(request: web.Request) -> web.Response:
    return web.json_response(_acceptor(request).sessions())


async def fix_drop(request: web.Request) -> web.Response:
    comp = request.match_info["comp"]
    if not _acceptor(request).drop(comp):
        raise Refused(404, f"{comp} is not logged on")
    return web.json_response({"dropped": comp})


def make_app(
    *,
    seed_books: bool = False,
    seed: int | None = None,
    state_path: Path | None = None,
    fix_port: int | None = None,
    fix_host: str = "127.0.0.1",
) -> web.Application:
    """The simulator; with `state_path` it keeps its state there and resumes from it; with
    `fix_port` its FIX venues (SIM-F) accept sessions there."""
    app = web.Application(middlewares=[json_errors], client_max_size=MAX_BODY_BYTES)
    state = StateFile(state_path)
    venues = make_venues(seed=seed, seed_books=seed_books, state=state)
    app[VENUES_KEY] = venues
    app[ACCEPTORS_KEY] = {
        name: Acceptor(venue, FixStore(state, name))
        for name, venue in venues.items()
        if venue.protocol == "fix"
    }
    app[STREAMS_KEY] = set()
    app.on_shutdown.append(close_all_streams)
    if fix_port is not None:
        app.cleanup_ctx.append(_serve_fix(fix_host, fix_port))
    app.add_routes(
        [
            web.post("/venues/{venue}/orders", place),
            web.get("/venues/{venue}/orders/{client_order_id}", query),
            web.delete("/venues/{venue}/orders/{client_order_id}", cancel),
            web.get("/venues/{venue}/stream", stream),
            web.put("/control/books/{venue}/{instrument}", put_book),
            web.get("/control/books/{venue}/{instrument}", get_book),
            web.put("/control/faults/{venue}", put_faults),
            web.get("/control/faults/{venue}", get_faults),
            web.get("/control/health", health),
            web.get("/control/fix/{venue}/sessions", fix_sessions),
            web.post("/control/fix/{venue}/sessions/{comp}/drop", fix_drop),
        ]
    )
    return app


def _serve_fix(host: str, port: int) -> Any:
    """cleanup_ctx: the FIX acceptors listen before the HTTP side answers (one port: SIM-F is
    the only FIX venue), and log their sessions out on shutdown."""

    async def serve(app: web.Application) -> Any:
        acceptors = list(app[ACCEPTORS_KEY].values())
        if len(acceptors) > 1:
            raise RuntimeError("one FIX port serves one venue")
        for acceptor in acceptors:
            await acceptor.start(host, port)
        yield
        for acceptor in acceptors:
            await acceptor.stop()

    return serve
