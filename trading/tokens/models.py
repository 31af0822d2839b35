"""API tokens: several per user, each listable, rotatable, revocable, with an optional expiry.

`Authorization: Token <key>` as DRF's authtoken has it; the key is shown whole only when it is
issued, lists show its first characters.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

KEY_BYTES = 20  # 40 hex characters, as DRF's authtoken keys
LAST_USED_EVERY = timedelta(minutes=1)  # at most one write per token per minute


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=64, blank=True, default="")
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def prefix(self) -> str:
        return self.key[:8]

    def usable(self, now: datetime) -> bool:
        """Not revoked, not past its expiry, and its user still active."""
        return (
            self.revoked_at is None
            and (self.expires_at is None or now < self.expires_at)
            and self.user.is_active
        )


def issue(user: User, name: str = "", expires_at: datetime | None = None) -> ApiToken:
    """A new token for `user`; its `key` is the only time the whole key is shown."""
    return ApiToken.objects.create(
        user=user, name=name, key=secrets.token_hex(KEY_BYTES), expires_at=expires_at
    )


def revoke(token: ApiToken) -> ApiToken:
    """Revoke once; revoking again changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def rotate(token: ApiToken, expires_at: datetime | None = None) -> ApiToken:
    """Revoke `token` and issue its successor (same name; the same lifetime unless given)."""
    now = timezone.now()
    if expires_at is None and token.expires_at is not None:
        expires_at = now + (token.expires_at - token.created_at)
    with transaction.atomic():
        revoke(token)
        return issue(token.user, token.name, expires_at)


def active(user: User) -> models.QuerySet[ApiToken]:
    """The user's tokens that are not revoked (expired ones too, so they can be seen)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def user_for_key(key: str) -> User | None:
    """The active user of a usable token, or None; notes when it was last used."""
    token = ApiToken.objects.select_related("user").filter(key=key).first()
    now = timezone.now()
    if token is None or not token.usable(now):
        return None
    note_used(token, now)
    return token.user


def note_used(token: ApiToken, now: datetime) -> None:
    """Record when the token was last used, at most once per LAST_USED_EVERY."""
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
