"""Who is on a websocket: `?token=<key>` tried before the session (as the REST API does), and
the Origin check that keeps other sites from riding a trader's session cookie."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else AnonymousUser()


class TokenAuthMiddleware(BaseMiddleware):
    """A `token` in the query string decides alone: a bad one is anonymous, session or not."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        query = parse_qs(scope.get("query_string", b"").decode("latin1"))
        if "token" in query:
            scope = {**scope, "user": await _user_for(query["token"][0])}
        return await super().__call__(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """A browser always sends Origin on a websocket handshake: one from another site is refused
    (403). A client sending no Origin is not a browser; it presents its own token or cookie."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        return parsed_origin is None or bool(super().valid_origin(parsed_origin))


def origin_checked(app: Any) -> BrowserOriginValidator:
    """channels' AllowedHostsOriginValidator, letting non-browser clients (no Origin) through."""
    allowed_hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(app, allowed_hosts)
