# Channels (Django's ASGI layer), as far as realtime/ and wiring/asgi.py use it. The aliases are
# the stubs' own (channels has no such names at run time); code uses realtime/asgi_types.py.
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

# An ASGI scope and its messages are open dicts by the ASGI spec: the boundary's own type.
_Scope: TypeAlias = dict[str, Any]
_Message: TypeAlias = dict[str, Any]
_Receive: TypeAlias = Callable[[], Awaitable[_Message]]
_Send: TypeAlias = Callable[[_Message], Awaitable[None]]
_ASGIApp: TypeAlias = Callable[[_Scope, _Receive, _Send], Awaitable[None]]
