"""The security half of the settings, each value from the environment (wiring/settings.py).

Kept apart so settings stay a flat list; nothing here reads Django's settings.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from infra import install_secrets

MISSING_KEY_HELP = (
    "No secret key: set DJANGO_SECRET_KEY, or start with `make run` (it writes one to "
    "{path} on first start), or set DJANGO_DEBUG=1 on a developer machine."
)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None or value == "" else value.lower() in ("1", "true", "yes")


def secret_key(var_dir: Path, *, debug: bool, testing: bool) -> str:
    """DJANGO_SECRET_KEY, else the per-install file; refuse to start without one in production."""
    path = var_dir / install_secrets.SECRET_KEY_FILE
    key = os.environ.get("DJANGO_SECRET_KEY") or install_secrets.read_secret(path)
    if key:
        return key
    if testing:  # one random key per test session, shared with the processes the tests start
        return os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    if debug:  # a developer machine: the same per-install file `make run` would write
        install_secrets.install(var_dir)
        return install_secrets.read_secret(path)
    raise ImproperlyConfigured(MISSING_KEY_HELP.format(path=path))


def metrics_token(var_dir: Path) -> str:
    """METRICS_TOKEN, else var/metrics-token; empty means /metrics answers nobody."""
    return os.environ.get("METRICS_TOKEN") or install_secrets.read_secret(
        var_dir / install_secrets.METRICS_TOKEN_FILE
    )


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 0.5):
            return True
    except OSError:
        return False


def caches(redis_url: str, *, testing: bool) -> dict[str, Any]:
    """Redis (shared by every process, so throttles hold across them); local memory only
    where no Redis answers (a laptop without one)."""
    location = redis_url or os.environ.get("CACHE_REDIS_URL", "redis://127.0.0.1:6379/1")
    prefix = os.environ.get("CACHE_KEY_PREFIX") or os.environ.get("CELERY_KEY_PREFIX") or ""
    if testing and not prefix:  # one run's throttle counts never meet another's
        prefix = os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{secrets.token_hex(4)}:")
    if not _answers(location):
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"{prefix}backoffice",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def https_settings() -> dict[str, Any]:
    """DJANGO_HTTPS=1 behind TLS: Secure cookies, HSTS, redirect to https; each overridable."""
    https = _flag("DJANGO_HTTPS", False)
    values: dict[str, Any] = {
        "SECURE_SSL_REDIRECT": _flag("DJANGO_SECURE_SSL_REDIRECT", https),
        # Probes and scrapes reach pods over plain HTTP inside the cluster.
        "SECURE_REDIRECT_EXEMPT": [r"^healthz$", r"^livez$", r"^metrics$"],
        "SESSION_COOKIE_SECURE": _flag("DJANGO_SECURE_COOKIES", https),
        "CSRF_COOKIE_SECURE": _flag("DJANGO_SECURE_COOKIES", https),
        "SECURE_HSTS_SECONDS": int(
            os.environ.get("DJANGO_SECURE_HSTS_SECONDS") or (31_536_000 if https else 0)
        ),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": _flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", https),
        "SECURE_HSTS_PRELOAD": _flag("DJANGO_SECURE_HSTS_PRELOAD", https),
        "SESSION_COOKIE_HTTPONLY": True,
    }
    header = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "")  # e.g. X-Forwarded-Proto
    if header:
        values["SECURE_PROXY_SSL_HEADER"] = (
            "HTTP_" + header.upper().replace("-", "_"),
            "https",
        )
    return values


def lockout_settings() -> dict[str, Any]:
    """django-axes: after N failures a username, or an address, is locked for a while."""
    return {
        "AXES_FAILURE_LIMIT": int(os.environ.get("LOGIN_FAILURE_LIMIT", "5")),
        "AXES_COOLOFF_TIME": timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))),
        "AXES_LOCKOUT_PARAMETERS": ["username", "ip_address"],  # each alone locks
        "AXES_RESET_ON_SUCCESS": True,
        "AXES_HTTP_RESPONSE_CODE": 429,
        "AXES_LOCKOUT_TEMPLATE": "registration/locked_out.html",
        "AXES_VERBOSE": False,
        # Failed `Authorization: Token` attempts per address and minute (trading/tokens/auth.py).
        "TOKEN_FAILURES_PER_MINUTE": int(os.environ.get("TOKEN_FAILURES_PER_MINUTE", "30")),
    }


def content_security_policy() -> dict[str, Any]:
    """django-csp: scripts only from our own static files, never inline; nothing off-site."""
    self_ = "'self'"
    return {
        "DIRECTIVES": {
            "default-src": [self_],
            "script-src": [self_],
            # <style> blocks and style attributes of the admin and report templates; no script.
            "style-src": [self_, "'unsafe-inline'"],
            "img-src": [self_, "data:"],
            "font-src": [self_, "data:"],
            "connect-src": [self_],  # CSP 3: 'self' covers ws:/wss: to the same host
            "object-src": ["'none'"],
            "base-uri": [self_],
            "form-action": [self_],
            "frame-ancestors": ["'none'"],
        }
    }
