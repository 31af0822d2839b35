"""/api/v1/tokens: a signed-in user lists, issues, rotates and revokes their own API tokens."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from kernel.edge.views import ERROR_400, ERROR_404, READ_ERRORS, EdgeAPIView, Wire
from trading.tokens import models


class TokenSerializer(serializers.ModelSerializer[models.ApiToken]):
    token_id = serializers.IntegerField(source="id", read_only=True)
    prefix = serializers.CharField(read_only=True)
    expired = serializers.SerializerMethodField()

    class Meta:
        model = models.ApiToken
        fields = ["token_id", "name", "prefix", "created_at", "expires_at", "last_used_at"]
        fields += ["expired"]
        read_only_fields = fields

    def get_expired(self, token: models.ApiToken) -> bool:
        return token.expires_at is not None and token.expires_at <= timezone.now()


class IssuedTokenSerializer(TokenSerializer):
    key = serializers.CharField(read_only=True, help_text="The whole key: shown this once.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class TokenPageSerializer(serializers.Serializer[Wire]):
    results = TokenSerializer(many=True)
    next = serializers.CharField(allow_null=True)


class IssueSerializer(serializers.Serializer[Wire]):
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields.keys())
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs

    def validate_expires_at(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        return value


class RotateSerializer(IssueSerializer):
    name = None  # type: ignore[assignment]  # a rotated token keeps its name


TOKEN_ID = OpenApiParameter("token_id", int, OpenApiParameter.PATH)


class TokenViewBase(EdgeAPIView):
    permission_classes = [permissions.IsAuthenticated]  # anyone signed in: their own tokens

    def parsed(self, serializer_class: type[serializers.Serializer[Wire]]) -> dict[str, Any]:
        data = self.request.data
        if not isinstance(data, dict):  # a JSON list, string or number
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def own(self, token_id: int) -> models.ApiToken:
        token = models.active(self.signed_in_user()).filter(pk=token_id).first()
        if token is None:
            raise NotFound(f"no token {token_id}")
        return token


class TokensView(TokenViewBase):
    @extend_schema(
        operation_id="tokens_list",
        tags=["tokens"],
        summary="Your API tokens that are not revoked (keys shown by prefix only)",
        responses={200: TokenPageSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        tokens = models.active(self.signed_in_user())
        return Response({"results": TokenSerializer(tokens, many=True).data, "next": None})

    @extend_schema(
        operation_id="tokens_create",
        tags=["tokens"],
        summary="Issue a new API token, optionally expiring",
        request=IssueSerializer,
        responses={201: IssuedTokenSerializer, 400: ERROR_400, **READ_ERRORS},
    )
    def post(self, request: Request) -> Response:
        fields = self.parsed(IssueSerializer)
        token = models.issue(self.signed_in_user(), fields["name"], fields["expires_at"])
        return _issued(token)


class TokenRotateView(TokenViewBase):
    @extend_schema(
        operation_id="tokens_rotate",
        tags=["tokens"],
        summary="Revoke a token and issue its successor (same name, same lifetime)",
        parameters=[TOKEN_ID],
        request=RotateSerializer,
        responses={201: IssuedTokenSerializer, 400: ERROR_400, 404: ERROR_404, **READ_ERRORS},
    )
    def post(self, request: Request, token_id: int) -> Response:
        fields = self.parsed(RotateSerializer)
        token = models.rotate(self.own(token_id), fields["expires_at"])
        return _issued(token)


class TokenView(TokenViewBase):
    @extend_schema(
        operation_id="tokens_revoke",
        tags=["tokens"],
        summary="Revoke a token: from now on it is a 401",
        parameters=[TOKEN_ID],
        request=None,
        responses={204: OpenApiResponse(description="Revoked."), 404: ERROR_404, **READ_ERRORS},
    )
    def delete(self, request: Request, token_id: int) -> Response:
        models.revoke(self.own(token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _issued(token: models.ApiToken) -> Response:
    """201 with the new token's secret: the one response that shows it."""
    return Response(IssuedTokenSerializer(token).data, status=status.HTTP_201_CREATED)
