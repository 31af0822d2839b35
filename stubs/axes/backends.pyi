from typing import Any

from django.http import HttpRequest

class AxesStandaloneBackend:
    # Checks the lockout and never signs anyone in: it raises when locked out, else None.
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None: ...
