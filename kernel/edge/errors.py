"""A request body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, checked before anything reads it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions, status


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


def body_limit_bytes() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body is larger than {body_limit_bytes()} bytes.")


def check_body_size(meta: dict[str, Any]) -> None:
    """Refuse a declared body over the limit before anything reads it.

    DRF reads the body as a stream, which does not apply Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    (only `HttpRequest.body` does), so the edge checks Content-Length itself.
    """
    limit = body_limit_bytes()
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # Django and DRF read an unparsable length as "no body"
    if limit and length > limit:
        raise too_large()
