"""Who is on a websocket: `?token=<key>` tried before the session (as the REST API does), and
the Origin check that keeps other sites from riding a trader's session cookie."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from realtime.asgi_types import ASGIApp, Receive, Scope, Send


@database_sync_to_async
def _user_for(key: str) -> AbstractBaseUser | AnonymousUser:
    from trading.tokens.models import user_for_key

    if len(key) > 64 or "\x00" in key:
        return AnonymousUser()
    return user_for_key(key) or AnonymousUser()


class TokenAuthMiddleware(BaseMiddleware):
    """A `token` in the query string decides alone: a bad one is anonymous, session or not."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin1"))
        if "token" in query:
            scope = {**scope, "user": await _user_for(query["token"][0])}
        await super().__call__(scope, receive, send)


DEFAULT_PORTS = {"http": 80, "https": 443}


def normalized(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, the port made explicit; None if it is not one."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _own_origin(scope: Scope) -> tuple[str, str, int] | None:
    """The origin of the page that this handshake's Host serves, if Django accepts that host."""
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin1")
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return normalized(f"{scheme}://{host}")


class ExactOriginValidator:
    """A browser always sends Origin on a websocket handshake: it must equal, in scheme, host
    and port, the page's own origin (from Host) or one of WS_ALLOWED_ORIGINS; otherwise 403.
    A client sending no Origin is not a browser; it presents its own token or cookie."""

    def __init__(self, application: ASGIApp) -> None:
        self.application = application

    def allowed(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers") or [])
        if b"origin" not in headers:
            return True
        origin = normalized(headers[b"origin"].decode("latin1"))
        if origin is None:
            return False
        extra = {normalized(o) for o in getattr(settings, "WS_ALLOWED_ORIGINS", [])}
        return origin == _own_origin(scope) or origin in extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not self.allowed(scope):
            denier = WebsocketDenier()
            await denier(scope, receive, send)
            return
        await self.application(scope, receive, send)


def origin_checked(app: ASGIApp) -> ExactOriginValidator:
    """The websocket app behind the exact Origin check."""
    return ExactOriginValidator(app)
