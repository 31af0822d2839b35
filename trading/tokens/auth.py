"""`Authorization: Token <key>` against ApiToken, and a limit on failed token attempts.

Failed attempts are counted per client address in the edge cache (Redis, shared by every web
process: trading/api/edge_cache.py), so guessing keys is slowed down across every web process
alike; past the limit the address gets 429. The count and the token's cached principal are
read in one round trip.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

from trading.api import edge_cache

FAILURE_WINDOW_S = 60


def failure_limit() -> int:
    """Failed token attempts an address may make per minute (TOKEN_FAILURES_PER_MINUTE)."""
    return int(getattr(settings, "TOKEN_FAILURES_PER_MINUTE", 30))


class ApiTokenAuthentication(TokenAuthentication):
    """A missing, unknown, revoked or expired token is 401; too many failures, 429."""

    def authenticate(self, request: Request) -> tuple[User, str] | None:
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None  # no token offered: the session decides
        address = request.META.get("REMOTE_ADDR", "")
        key = _key_of(words)
        failures, cached = edge_cache.lookup(key or "", address)
        if failures >= failure_limit():
            raise Throttled(FAILURE_WINDOW_S, "Too many failed token attempts.")
        try:
            if key is None:  # DRF's own messages for a malformed header
                return super().authenticate(request)
            return self._credentials(key, cached)
        except AuthenticationFailed:
            edge_cache.count_failure(address, FAILURE_WINDOW_S)
            raise

    def authenticate_credentials(self, key: str) -> tuple[User, str]:
        return self._credentials(key, None)

    def _credentials(self, key: str, cached: bytes | None) -> tuple[User, str]:
        if len(key) > 64 or "\x00" in key:  # cannot be a key: never reaches the database
            raise AuthenticationFailed("Invalid token.")
        user = edge_cache.user_for_token(key, cached)  # cached: no query per request
        if user is None:
            raise AuthenticationFailed("Invalid token.")
        return (user, key)


def _key_of(words: list[bytes]) -> str | None:
    """The key of `Token <key>`, or None for a header DRF refuses (no key, spaces, not UTF-8)."""
    if len(words) != 2:
        return None
    try:
        return words[1].decode()
    except UnicodeError:
        return None
