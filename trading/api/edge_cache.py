"""Per-request cost of the edge: who a token is, from the shared cache (kernel.edge.cache).

Without it every API request ran three queries before the view (the token joined to its user,
the user's groups for the trader check) and the throttle kept a list of up to 6,000
timestamps per user in a per-process cache (one pickle of that list per request, and a limit
that each web worker counted on its own).

- Token -> principal (user id, name, flags, role names) is kept `TTL_S` seconds in Redis
  (settings.EDGE_CACHE_URL, shared by every web worker; this process's memory when it is "",
  as in in-process tests), through one redis-py client per process: Django's Redis cache
  builds a client per call, which cost more than the query it saved. API token rows
  (trading.tokens) and users changed through the ORM invalidate themselves (signals below); a
  change made another way calls `invalidate_token(key)` or is seen within `TTL_S`. So a revoke,
  a rotation or a deactivation is seen by the next request on every worker. A token is never
  cached past its expiry.
- The throttle (kernel.edge.cache) counts requests per user in fixed windows: one INCR +
  EXPIRE round trip.
- Failed token attempts per client address (trading.tokens.auth) are counted here too, so a
  request reads that count and its token's principal in one MGET: two round trips a request.
- The cache is an optimisation, never a dependency: if it does not answer, the token is read
  from the database and the request is let through the throttle.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

import msgspec
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from kernel.edge.cache import prefixed, store

if TYPE_CHECKING:  # models load with the apps; this module is imported before
    from trading.tokens.models import ApiToken

log = logging.getLogger(__name__)

TTL_S = 30
ROLES_ATTR = "_edge_roles"  # role names of a cached principal (kernel.roles reads it)


def _token_key(key: str) -> str:
    return prefixed("token:" + hashlib.sha256(key.encode()).hexdigest()[:40])  # never in clear


def _principal(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "roles": sorted(user.groups.values_list("name", flat=True)),
    }


def _user(principal: dict[str, Any]) -> User:
    user = User(
        id=principal["id"],
        username=principal["username"],
        is_active=True,
        is_staff=principal["is_staff"],
        is_superuser=principal["is_superuser"],
    )
    setattr(user, ROLES_ATTR, frozenset(principal["roles"]))
    return user


def failures_key(address: str) -> str:
    """The count of failed token attempts from one client address (trading.tokens.auth)."""
    return prefixed("token-failures:" + address)


def lookup(key: str, address: str) -> tuple[int, bytes | None]:
    """(failed token attempts from `address` in its window, the cached principal of `key`):
    one round trip; (0, None) when the cache does not answer."""
    try:
        failures, cached = store().mget([failures_key(address), _token_key(key)])
    except Exception as problem:  # noqa: BLE001 - the database still answers
        log.warning("edge cache: %s", problem)
        return 0, None
    return int(failures or 0), cached


def count_failure(address: str, window_s: int) -> None:
    """One more failed token attempt from `address`; the count lives `window_s` from the first."""
    try:
        store().incr(failures_key(address), window_s)
    except Exception as problem:  # noqa: BLE001 - never a 5xx because the cache is away
        log.warning("edge cache: %s", problem)


def forget_failures(address: str) -> None:
    """Start `address`'s failed token attempts at zero again (tests)."""
    try:
        store().delete(failures_key(address))
    except Exception as problem:  # noqa: BLE001
        log.warning("edge cache: %s", problem)


def user_for_token(key: str, cached: bytes | None = None) -> User | None:
    """The active user whose token is `key`, or None; `cached` is its principal from `lookup`
    (None: read the database, and cache what it says)."""
    from trading.tokens.models import ApiToken, note_used

    if cached is not None:
        return _user(msgspec.json.decode(cached))
    token = ApiToken.objects.select_related("user").filter(key=key).first()
    now = timezone.now()
    if token is None or not token.usable(now):
        return None  # not cached: a token created a moment later works at once
    note_used(token, now)
    ttl_s = TTL_S
    if token.expires_at is not None:  # never cached past its expiry
        ttl_s = min(TTL_S, int((token.expires_at - now).total_seconds()))
    principal = _principal(token.user)
    if ttl_s > 0:
        try:
            store().set(_token_key(key), msgspec.json.encode(principal), ttl_s)
        except Exception as problem:  # noqa: BLE001
            log.warning("edge cache: %s", problem)
    return _user(principal)


def invalidate_token(key: str) -> None:
    """Forget what the cache holds for this token (call it on revoke, rotation, expiry)."""
    try:
        store().delete(_token_key(key))
    except Exception as problem:  # noqa: BLE001 - then it ends within TTL_S
        log.warning("edge cache: could not forget a token: %s", problem)


def invalidate_user(user_id: int) -> None:
    """Forget the cached principal of every API token of this user."""
    from trading.tokens.models import ApiToken

    for key in ApiToken.objects.filter(user_id=user_id).values_list("key", flat=True):
        invalidate_token(key)


def _token_changed(sender: type[ApiToken], instance: ApiToken, **kwargs: object) -> None:
    invalidate_token(instance.key)


def _user_changed(sender: type[User], instance: User, **kwargs: object) -> None:
    invalidate_user(instance.pk)


def _groups_changed(
    sender: type[Model],
    instance: User | Group,
    reverse: bool,
    pk_set: set[int] | None,
    **kwargs: object,
) -> None:
    """A user joined or left groups (instance a User), or a group gained or lost users."""
    if kwargs.get("action") not in {"post_add", "post_remove", "post_clear"}:
        return
    for user_id in (pk_set or ()) if reverse else [instance.pk]:
        invalidate_user(user_id)


def connect_signals() -> None:
    """Called once from the trading app's ready(): every process that can revoke invalidates."""
    from trading.tokens.models import ApiToken

    post_save.connect(_token_changed, sender=ApiToken, dispatch_uid="edge-cache-token-save")
    post_delete.connect(_token_changed, sender=ApiToken, dispatch_uid="edge-cache-token-delete")
    post_save.connect(_user_changed, sender=User, dispatch_uid="edge-cache-user-save")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="edge-cache-user-delete")
    m2m_changed.connect(
        _groups_changed, sender=User.groups.through, dispatch_uid="edge-cache-groups"
    )
