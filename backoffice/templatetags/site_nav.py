"""The header's links and a user's home page, by role (kernel/roles.py)."""

from __future__ import annotations

from django import template

from kernel import roles

register = template.Library()


@register.simple_tag
def nav_links(user: object, path: str) -> list[dict[str, str | bool]]:
    """The links `user` may follow, each marked current when `path` is under it."""
    found: list[dict[str, str | bool]] = []
    for label, url in roles.links(user):
        section = "/" + url.strip("/").split("/")[0] + "/"  # "/ops/pools" -> "/ops/"
        current = path == "/" if url == "/" else path.startswith(section)
        found.append({"label": label, "url": url, "current": current})
    return found


@register.simple_tag
def home_url(user: object) -> str:
    """Where "back" leads: the user's home page (the sign-in page when signed out)."""
    if not getattr(user, "is_authenticated", False):
        return "/login"
    return roles.home(user) or "/"
