"""edge-api's policies, shared by every context's views: who may call, how often, what a body is.

Each context's views subclass EdgeAPIView; refusals are mapped by trading.api.errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.utils import json
from rest_framework.views import APIView

from kernel import roles
from kernel.edge.cache import WindowRateThrottle
from kernel.edge.errors import check_body_size
from kernel.ids import trader_id_for

# What these serializers read and write: the JSON objects of the REST contract (the API's
# snapshots are dicts already; input is request data), so an instance is a plain mapping.
Wire = Mapping[str, object]


def field_errors_schema(example: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": 'DRF\'s shape: {"<field>": ["message", ...]}; "non_field_errors" or '
        '"detail" when no one field is at fault.',
        # A field's messages are a list; DRF's "detail" (a body that is not JSON...) a string.
        "additionalProperties": {
            "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
        },
        "example": example,
    }


FIELD_ERRORS_SCHEMA = field_errors_schema({"quantity": ["must be a multiple of 0.0001"]})
DETAIL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}


class IsTrader(permissions.BasePermission):
    message = "Only traders have orders, fills, positions and balances."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return roles.has_role(request.user, roles.TRADER)


class EdgeRateThrottle(WindowRateThrottle):
    """Per user; REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["edge-api"] overrides the default."""

    scope = "edge-api"
    default_rate = "6000/min"

    def get_rate(self) -> str:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return str(rates.get(self.scope) or self.default_rate)


class DecimalJSONParser(JSONParser):
    """JSON whose numbers are read as Decimal, exactly as written: never through a float."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json.loads(text, parse_float=Decimal)
        except ValueError as exc:  # bad JSON, NaN/Infinity, bad encoding, 4300+ digit ints
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:  # "[[[[..." nested deeper than the interpreter's stack
            raise ParseError("JSON parse error - nested too deeply") from None


class EdgeAPIView(APIView):
    # REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] (wiring.settings): the API token, then
    # the session; the token's model lives with trading, so the kernel names no class of it.
    permission_classes = [permissions.IsAuthenticated, IsTrader]
    throttle_classes = [EdgeRateThrottle]
    parser_classes = [DecimalJSONParser]
    renderer_classes = [JSONRenderer]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        check_body_size(request.META)  # 413 before anything reads the body
        super().initial(request, *args, **kwargs)

    def signed_in_user(self) -> User:
        """The request's user: IsAuthenticated lets no anonymous request reach a handler."""
        user = self.request.user
        if not isinstance(user, User):
            raise NotAuthenticated()
        return user

    def trader_id(self) -> str:
        return trader_id_for(self.signed_in_user())


# --- OpenAPI pieces ------------------------------------------------------------------------

ERROR_400 = OpenApiResponse(FIELD_ERRORS_SCHEMA, description="Refused: the fields at fault.")
ERROR_401 = OpenApiResponse(DETAIL_SCHEMA, description="No or bad token (or session).")
ERROR_403 = OpenApiResponse(DETAIL_SCHEMA, description="Signed in, but not a trader.")
ERROR_404 = OpenApiResponse(DETAIL_SCHEMA, description="Unknown id, or someone else's.")
ERROR_413 = OpenApiResponse(DETAIL_SCHEMA, description="Body over 64 kB.")
ERROR_415 = OpenApiResponse(DETAIL_SCHEMA, description="Body is not application/json.")
ERROR_429 = OpenApiResponse(DETAIL_SCHEMA, description="Throttled.")
READ_ERRORS = {401: ERROR_401, 403: ERROR_403, 429: ERROR_429}
