"""`Authorization: Token <key>` against ApiToken, and a limit on failed token attempts.

Failed attempts are counted per client address in the shared cache (Redis), so guessing keys
is slowed down across every web process alike; past the limit the address gets 429.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

from trading.api import edge_cache

FAILURE_WINDOW_S = 60


def failure_limit() -> int:
    """Failed token attempts an address may make per minute (TOKEN_FAILURES_PER_MINUTE)."""
    return int(getattr(settings, "TOKEN_FAILURES_PER_MINUTE", 30))


def failures_key(address: str) -> str:
    """The shared cache's count of failed token attempts from one client address."""
    return f"token-failures:{address}"


class ApiTokenAuthentication(TokenAuthentication):
    """A missing, unknown, revoked or expired token is 401; too many failures, 429."""

    def authenticate(self, request: Request) -> tuple[User, str] | None:
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None  # no token offered: the session decides
        key = failures_key(request.META.get("REMOTE_ADDR", ""))
        if (cache.get(key) or 0) >= failure_limit():
            raise Throttled(FAILURE_WINDOW_S, "Too many failed token attempts.")
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            if cache.add(key, 1, FAILURE_WINDOW_S) is False:
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, FAILURE_WINDOW_S)
            raise

    def authenticate_credentials(self, key: str) -> tuple[User, str]:
        if len(key) > 64 or "\x00" in key:  # cannot be a key: never reaches the database
            raise AuthenticationFailed("Invalid token.")
        user = edge_cache.user_for_token(key)  # cached: no query per request
        if user is None:
            raise AuthenticationFailed("Invalid token.")
        return (user, key)
