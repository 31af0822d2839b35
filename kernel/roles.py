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
    groups = getattr(user, "groups", None)  # a User's groups (roles.py imports no models)
    return groups is not None and bool(groups.filter(name=role).exists())


# (label, url, who sees it): the site's main links, in the header's order. Each link is shown
# only to a user who may open its page, so nobody meets a 403 from the navigation.
LINKS = (
    ("Trade", "/", (TRADER,)),
    ("Admin", "/admin/", (STAFF, FINANCE)),
    ("Reports", "/reports/", (STAFF, FINANCE)),
    ("Finance", "/finance/", (FINANCE,)),
    ("Ops", "/ops/pools", (OPS,)),
)
# Where each role lands after signing in (the first role a user holds, in this order).
HOMES = ((TRADER, "/"), (STAFF, "/admin/"), (FINANCE, "/finance/"), (OPS, "/ops/pools"))


def _link_allowed(user: object, url: str, who: tuple[str, ...]) -> bool:
    if url == "/admin/":  # the admin also wants is_staff (backoffice/permissions.py)
        if not getattr(user, "is_staff", False):
            return False
    return any(has_role(user, role) for role in who)


def links(user: object) -> list[tuple[str, str]]:
    """The main links `user` may follow: (label, url)."""
    return [(label, url) for label, url, who in LINKS if _link_allowed(user, url, who)]


def home(user: object) -> str | None:
    """The page `user` lands on: its first role's home, or None for a user with no role."""
    for role, url in HOMES:
        if has_role(user, role):
            return url
    return None
