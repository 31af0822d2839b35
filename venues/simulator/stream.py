"""A venue's websocket stream: hello, the replay after `since`, book snapshots, then live.

Delivery to one client is in seq order; the latency fault delays each live message by the
same amount from when it was published, so order is kept. A client that falls too far
behind is closed (code 1013) and resumes with `since`, as from any other disconnect.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

from venues.simulator.venue import LOG_LIMIT, Message, Venue

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0
CLOSE_TIMEOUT_S = 1.0  # how long a close waits for the client's close frame
QUEUE_LIMIT = LOG_LIMIT  # live messages waiting for one client
CLOSE_TRY_AGAIN = 1013  # venue down, or the client too slow: reconnect later with since
CLOSE_GOING_AWAY = 1001  # the simulator is shutting down


class Subscription:
    """One open stream, as the venue's listener: live messages wait here until sent."""

    def __init__(self, venue: Venue) -> None:
        self._venue = venue
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.closed = asyncio.Event()
        self.reason = ""
        self.code = CLOSE_TRY_AGAIN

    def deliver(self, message: Message) -> None:
        if self.closed.is_set():
            return
        if self._queue.qsize() >= QUEUE_LIMIT:
            self.close(f"more than {QUEUE_LIMIT} messages behind: reconnect with since")
            return
        due = self._loop.time() + self._venue.faults.latency_ms / 1000
        self._queue.put_nowait((due, json.dumps(message)))

    def close(self, reason: str, code: int = CLOSE_TRY_AGAIN) -> None:
        if not self.closed.is_set():
            self.reason, self.code = reason, code
            self.closed.set()

    async def next(self) -> str:
        due, text = await self._queue.get()
        delay = due - self._loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        return text


STREAMS_KEY = web.AppKey("streams", set[Subscription])


async def serve_stream(request: web.Request, venue: Venue, since: int) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(
        heartbeat=HEARTBEAT_S, timeout=CLOSE_TIMEOUT_S, max_msg_size=64 * 1024
    )
    await ws.prepare(request)
    subscription = Subscription(venue)
    if venue.faults.down:  # it went down while we shook hands
        subscription.close("venue down")
        backlog: list[Message] = []
    else:
        backlog = venue.subscribe(subscription, since)
    streams: set[Subscription] = request.app[STREAMS_KEY]
    streams.add(subscription)
    try:
        await _pump_until_closed(ws, backlog, subscription)
    finally:
        streams.discard(subscription)
        venue.unsubscribe(subscription)
        await ws.close(code=subscription.code, message=subscription.reason.encode()[:120])
    return ws


async def _pump_until_closed(
    ws: web.WebSocketResponse, backlog: list[Message], subscription: Subscription
) -> None:
    async def pump() -> None:
        for message in backlog:
            await ws.send_str(json.dumps(message))
        while True:
            await ws.send_str(await subscription.next())

    async def read() -> None:
        async for _ in ws:  # the client says nothing we act on; this ends when it closes
            pass

    tasks = {
        asyncio.create_task(pump()),
        asyncio.create_task(read()),
        asyncio.create_task(subscription.closed.wait()),
    }
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception) and not isinstance(result, ConnectionError):
            log.warning("a stream ended on %r", result)


async def close_all_streams(app: web.Application) -> None:
    """on_shutdown: tell every open stream the simulator is going away."""
    streams = app[STREAMS_KEY]
    for subscription in list(streams):
        subscription.close("simulator shutting down", CLOSE_GOING_AWAY)
