from typing import Any

from channels import _Message, _Receive, _Scope, _Send

class AsyncConsumer:
    scope: _Scope
    channel_layer: Any
    channel_name: str
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None: ...
    async def dispatch(self, message: _Message) -> None: ...
    # AsyncConsumer.send(message) is left out: AsyncWebsocketConsumer redefines `send`.
    base_send: _Send
    # An ASGI app; Any because Channels routes it with django.urls.path, typed for views.
    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any: ...
