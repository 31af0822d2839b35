"""/ws/v1/stream: a trader's order deltas as they reach Kafka (DESIGN.md, "Public contract").

Delivery: at most once per (order, seq) per connection, per order in increasing seq; a gap
in seq means "fetch the snapshot". Subscribing sends no state: the client reads snapshots.
Everything a connection is sent goes through its bounded queue, in order; the queue fills
only when the client does not take what its socket holds. Then the connection is dropped:
an error message carrying the reason, then close code 4408 (daphne does not send close
reasons, so the message is how a client learns it).
"""

from __future__ import annotations

import asyncio
import logging
import os

from channels.generic.websocket import AsyncWebsocketConsumer

from kernel.ids import trader_id_for
from realtime.backpressure import SCOPE_KEY, Backpressure
from realtime.fanout import BATCH_MAX, Fanout, fanout
from realtime.protocol import (
    SUBSCRIBED,
    BadMessage,
    Delta,
    Subscription,
    error,
    parse_client_message,
)

log = logging.getLogger(__name__)

UNAUTHORIZED = 4401
TOO_SLOW = 4408
TOO_SLOW_REASON = "too far behind: fetch snapshots and reconnect"
TRY_AGAIN_LATER = 1013
READY_TIMEOUT_S = 15  # the reader's first assignment; Kafka down -> 1013, the client retries
CLOSE_WAIT_S = 10  # a dropped client's time to take what its socket holds before the close


# Messages a connection may have waiting (WS_CLIENT_QUEUE_MAX): at least one fanout hand-over.
QUEUE_MAX = max(BATCH_MAX, int(os.environ.get("WS_CLIENT_QUEUE_MAX", "1000")))


class StreamConsumer(AsyncWebsocketConsumer):
    # No channel layer: the fanout reads Kafka itself (an alias that is not configured).
    channel_layer_alias = "ws-gateway:none"
    trader_id: str | None = None

    async def connect(self) -> None:
        await self.accept()  # a close code reaches the client only on an accepted websocket
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHORIZED)
            return
        self.trader_id = trader_id_for(user)
        self.subscription: Subscription | None = None
        self.dropped = False
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_MAX)
        self.backpressure: Backpressure = self.scope.get(SCOPE_KEY) or Backpressure()
        self.fanout: Fanout = fanout()
        self.tasks: set[asyncio.Future[None]] = {asyncio.ensure_future(self._send_loop())}

    async def disconnect(self, code: int) -> None:
        if self.trader_id is not None:
            self.fanout.remove(self.trader_id, self)
            for task in self.tasks:
                task.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.trader_id is None or self.dropped:
            return
        try:
            subscription = parse_client_message(text_data)
        except BadMessage as problem:
            self._enqueue(error(str(problem)))
            return
        if not await self._reader_ready():
            self.dropped = True
            await self.send(text_data=error("the stream is not available: try again later"))
            await self.close(code=TRY_AGAIN_LATER)
            return
        self.subscription = subscription
        self.fanout.add(self.trader_id, self)  # deltas routed from here on follow `subscribed`
        self._enqueue(SUBSCRIBED)

    def deliver(self, delta: Delta) -> None:
        """Called by the fanout, on the event loop, for each new delta of this trader."""
        if self.subscription is not None and self.subscription.wants(delta.order_id):
            self._enqueue(delta.text)

    async def _reader_ready(self) -> bool:
        try:
            await asyncio.wait_for(self.fanout.ready.wait(), READY_TIMEOUT_S)
        except TimeoutError:
            return False
        return True

    def _enqueue(self, text: str) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self._drop()

    def _drop(self) -> None:
        assert self.trader_id is not None
        log.info("ws-gateway: %s too far behind; closing with %s", self.trader_id, TOO_SLOW)
        self.dropped = True
        self.fanout.remove(self.trader_id, self)
        for task in self.tasks:
            task.cancel()
        self.tasks.add(asyncio.ensure_future(self._close_too_slow()))

    async def _send_loop(self) -> None:
        while True:
            text = await self.queue.get()
            if self.backpressure.paused():
                await self.backpressure.writable()
            await self.send(text_data=text)

    async def _close_too_slow(self) -> None:
        # Sent once the socket takes more: behind at most its buffers, not behind the backlog.
        await self.backpressure.writable(CLOSE_WAIT_S)
        await self.send(text_data=error(TOO_SLOW_REASON))
        await self.close(code=TOO_SLOW, reason=TOO_SLOW_REASON)
