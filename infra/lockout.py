"""django-axes in front of the model backend (AUTHENTICATION_BACKENDS in infra/settings.py)."""

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
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
