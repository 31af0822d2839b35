"""Django admin's own history ("Recent actions", an object's History) for staff's actions.

The audit log (backoffice/audit) is the record that counts: written in the action's own store
transaction, it cannot be lost. Django's LogEntry is the admin's convenience view of the same
actions, per user: Django writes one for its own add and change forms, but an admin action
(cancel, halt, resume, revoke...) or a custom page (adjustments, FOCUS import) writes none, so
each of them calls one function here after the action succeeded. Refused actions change
nothing and write no LogEntry (the audit log keeps the refusal).
"""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

REPR_MAX = 200  # LogEntry.object_repr's length


def changed(request: HttpRequest, obj: models.Model, message: str) -> None:
    """One "Recent actions" line: `message` done to `obj` (a read model, mirror or user row),
    linked to its admin page (a proxy such as Trader keeps its own content type)."""
    _one(request, obj, CHANGE, message)


def added(request: HttpRequest, obj: models.Model, message: str) -> None:
    """As `changed`, for an object the action created (a rotated token's successor)."""
    _one(request, obj, ADDITION, message)


def _one(request: HttpRequest, obj: models.Model, flag: int, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=_user_id(request),
        queryset=[obj],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def done_to_many(request: HttpRequest, model: type[models.Model], what: str, message: str) -> None:
    """A line for an action on a model as a whole, with no one object (a FOCUS import)."""
    LogEntry.objects.create(
        user_id=_user_id(request),
        content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
        object_id=None,
        object_repr=what[:REPR_MAX],
        action_flag=ADDITION,
        change_message=message,
    )


def _user_id(request: HttpRequest) -> int:
    """The signed-in staff member (every admin view requires one)."""
    pk = request.user.pk
    if pk is None:
        raise PermissionError("an admin action without a signed-in user")
    return int(pk)
