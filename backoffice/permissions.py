"""Who may do what in the back office, by role (the groups of kernel/roles.py).

- staff (group backoffice-staff, is_staff): sees every back-office page and runs the
  operator actions (cancel orders, halt/resume traders and venues, manual adjustments);
- finance: sees the read models in the admin (read-only) and the reports; acts on nothing;
- ops and traders: none of it (ops has its own pages; a trader cannot enter the admin).
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from kernel import roles

# Who asks for an action: a request's user (signed in or not), as Django hands it over.
Actor = AbstractBaseUser | AnonymousUser


def _admin_user(user: object) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def can_view(user: object) -> bool:
    """May open the back office's admin pages (read-only)."""
    return _admin_user(user) and (
        roles.has_role(user, roles.STAFF) or roles.has_role(user, roles.FINANCE)
    )


def can_operate(user: object) -> bool:
    """May run the actions that change the store (through trading-core)."""
    return _admin_user(user) and roles.has_role(user, roles.STAFF)


def can_read_reports(user: object) -> bool:
    return bool(getattr(user, "is_active", False)) and (
        roles.has_role(user, roles.STAFF) or roles.has_role(user, roles.FINANCE)
    )
