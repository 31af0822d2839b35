"""django-axes in front of the model backend (AUTHENTICATION_BACKENDS in wiring/settings.py)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Every sign-in from a request (/login, /admin/login/) counts; a call without a request
    (a shell, a test client's `login()`) has no address or form to lock and is let through."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Raises PermissionDenied when locked out; signs no one in (the next backend does)."""
        if request is not None:
            super().authenticate(request, username, password, **kwargs)
