"""How edge-api answers a refusal: DRF's error shapes, never a 5xx for what a client sends.

settings.REST_FRAMEWORK["EXCEPTION_HANDLER"] = "trading.api.errors.exception_handler".

- A typed trading-core refusal is a 400 `{"<field>": ["message"]}` (its `.field`), except an
  unknown (or someone else's) order, 404 `{"detail": ...}`, and a client_order_id used before
  for a different order or an order that has already ended, 409.
- A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413; other refused request shapes
  (SuspiciousOperation, a broken multipart body) are 400s.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from kernel.edge.errors import too_large
from kernel.errors import TradingError
from trading.domain.errors import ClientOrderIdConflict, UnknownOrder
from trading.services.cancel import OrderNotCancelable


def trading_error_status(error: TradingError) -> int:
    if isinstance(error, UnknownOrder):
        return status.HTTP_404_NOT_FOUND
    if isinstance(error, ClientOrderIdConflict | OrderNotCancelable):
        return status.HTTP_409_CONFLICT
    return status.HTTP_400_BAD_REQUEST


def trading_error_body(error: TradingError) -> dict[str, Any]:
    if isinstance(error, UnknownOrder):
        return {"detail": error.message}
    return {error.field: [error.message]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus trading-core's typed refusals and Django's request-shape errors."""
    if isinstance(exc, TradingError):
        set_rollback()
        return Response(trading_error_body(exc), status=trading_error_status(exc))
    if isinstance(exc, RequestDataTooBig):
        exc = too_large()
    elif isinstance(exc, SuspiciousOperation | MultiPartParserError):
        exc = exceptions.ParseError(str(exc) or "Malformed request.")
    return drf_exception_handler(exc, context)
