"""Traders by name: staff read "T1 (alice)", not a bare "T1", wherever a trader id shows.

A trader id is "T<user pk>" (trading/accounts.py); the name is the Django user's (full name and
username when a full name is set). Names are looked up once per page for every id on it
(`names_of`), never once per row. Text that names a trader, an id or a ledger account
("trader:T1"), gets the name beside the id (`named`); ids of no user are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from ledger.domain.chart import AccountKind

# A bare trader id, or one inside an account or audit target ("trader:T12", "trader:T12 USD").
_BARE = re.compile(r"T([0-9]{1,18})")
_INSIDE = re.compile(rf"(?<={re.escape(AccountKind.TRADER.prefix)})T([0-9]{{1,18}})\b")
NAMES_ATTR = "_trader_names"  # set on each row of an admin list page by NamedChangeList
SEARCH_USERS_MAX = 200


def ids_in(text: str | None) -> list[str]:
    """The trader ids `text` names: itself if it is one, else those after "trader:"."""
    if not text:
        return []
    if _BARE.fullmatch(text):
        return [text]
    return [f"T{pk}" for pk in _INSIDE.findall(text)]


def names_of(ids: Iterable[str]) -> dict[str, str]:
    """Trader id -> the user's name, for the ids that belong to a user (one query)."""
    pks = {int(match.group(1)) for i in ids if (match := _BARE.fullmatch(i))}
    if not pks:
        return {}
    users = User.objects.filter(pk__in=pks).only("pk", "username", "first_name", "last_name")
    return {f"T{u.pk}": _name(u) for u in users}


def _name(user: User) -> str:
    full = user.get_full_name()
    return f"{full}, {user.username}" if full else user.username


def names_in(texts: Iterable[str | None]) -> dict[str, str]:
    """names_of every trader id the texts name."""
    return names_of({i for text in texts for i in ids_in(text)})


def named(text: str | None, names: dict[str, str]) -> str:
    """`text` with "(name)" after each trader id it names: "T1" -> "T1 (alice)"."""
    if not text:
        return text or ""
    if _BARE.fullmatch(text):
        return f"{text} ({names[text]})" if text in names else text

    def one(match: re.Match[str]) -> str:
        found = match.group(0)
        return f"{found} ({names[found]})" if found in names else found

    return _INSIDE.sub(one, text)


# --- the admin's lists --------------------------------------------------------------------------


class NamedChangeList(ChangeList):
    """A list page whose rows carry the names of the traders they show (one query a page)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        fields = getattr(self.model_admin, "trader_text_fields", ("trader_id",))
        rows = list(self.result_list)  # the page's own rows: the template shows these objects
        names = names_in(getattr(row, f, None) for row in rows for f in fields)
        for row in rows:
            setattr(row, NAMES_ATTR, names)


class TraderNames:
    """ModelAdmin mixin: `trader` (the id with its name) for list and detail pages, searching
    by username, and `trader_text_fields`: the row's fields that may name a trader."""

    trader_text_fields: tuple[str, ...] = ("trader_id",)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return NamedChangeList

    @staticmethod
    def named_field(obj: Any, field: str) -> str:
        """The field's text with names, from the page's lookup (a detail page looks it up)."""
        text = getattr(obj, field, "") or ""
        names = getattr(obj, NAMES_ATTR, None)
        return named(text, names if names is not None else names_in([text]))

    @admin.display(description="trader", ordering="trader_id")
    def trader(self, obj: Any) -> str:
        return self.named_field(obj, "trader_id")

    @admin.display(description="account", ordering="account")
    def account_named(self, obj: Any) -> str:
        return self.named_field(obj, "account")

    @admin.display(description="target", ordering="target")
    def target_named(self, obj: Any) -> str:
        return self.named_field(obj, "target")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """A username (or part of one) finds the rows of that trader too."""
        found, duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        term = search_term.strip()
        if not term or "trader_id" not in {f.name for f in queryset.model._meta.fields}:
            return found, duplicates
        users = User.objects.filter(username__icontains=term).values_list("pk", flat=True)
        ids = [f"T{pk}" for pk in users[:SEARCH_USERS_MAX]]
        return (found | queryset.filter(trader_id__in=ids)) if ids else found, duplicates
