"""ASGI's callables, typed: what the ws-gateway's middlewares take and return."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

# A scope and its messages are open dicts by the ASGI spec (servers and middlewares add keys):
# this is the boundary's own type.
Scope: TypeAlias = dict[str, Any]
Message: TypeAlias = dict[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]
