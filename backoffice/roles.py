"""The back office's roles, as Django groups: each kind of user works on its own pages."""

STAFF = "backoffice-staff"
FINANCE = "finance"
OPS = "ops"
TRADER = "trader"

ALL = (STAFF, FINANCE, OPS, TRADER)


def has_role(user: object, role: str) -> bool:
    """True for a signed-in user in `role`'s group (superusers hold every role)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    cached = getattr(user, "_edge_roles", None)  # a principal from trading.api.edge_cache
    if cached is not None:
        return role in cached
    return bool(user.groups.filter(name=role).exists())  # type: ignore[attr-defined]
