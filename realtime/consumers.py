"""/ws/v1/stream: subscribe to your orders, receive order.delta messages in seq order."""

from __future__ import annotations

import asyncio
import json
import os
from collections import OrderedDict
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from realtime.fanout import fanout
from realtime.protocol import BadMessage, Subscription, client_delta, parse_client_message

UNAUTHORIZED = 4401
TOO_SLOW = 4408
QUEUE_MAX = int(os.environ.get("WS_CLIENT_QUEUE_MAX", 1000))
SEEN_MAX = 10_000  # (order, seq) pairs remembered per connection for dedupe


class StreamConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHORIZED)
            return
        from trading.accounts import trader_id_for

        self.trader_id = trader_id_for(user)
        self.subscription: Subscription | None = None
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_MAX)
        self.seen: OrderedDict[tuple[str, int], None] = OrderedDict()
        self.sender = asyncio.ensure_future(self._send_loop())
        self.fanout = fanout()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "sender"):
            self.sender.cancel()
            self.fanout.remove(self.trader_id, self)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not hasattr(self, "queue"):
            return
        try:
            self.subscription = parse_client_message(text_data or "")
        except BadMessage as error:
            await self.send(json.dumps({"type": "error", "detail": str(error)}))
            return
        await self.fanout.ready.wait()  # deltas from here on are delivered
        self.fanout.add(self.trader_id, self)
        await self.send(json.dumps({"type": "subscribed"}))

    def deliver(self, payload: dict[str, Any]) -> None:
        """Called on the event loop by the fanout for each delta of this trader."""
        order_id, seq = payload.get("order_id", ""), payload.get("seq", 0)
        if self.subscription is None or not self.subscription.wants(order_id):
            return
        if (order_id, seq) in self.seen:
            return  # a redelivered message: pushed once
        self.seen[(order_id, seq)] = None
        if len(self.seen) > SEEN_MAX:
            self.seen.popitem(last=False)
        try:
            self.queue.put_nowait(client_delta(payload))
        except asyncio.QueueFull:
            self.fanout.remove(self.trader_id, self)
            asyncio.ensure_future(
                self.close(code=TOO_SLOW, reason="too far behind: fetch snapshots and reconnect")
            )

    async def _send_loop(self) -> None:
        while True:
            delta = await self.queue.get()
            await self.send(json.dumps(delta))
