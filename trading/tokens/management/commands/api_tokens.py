"""python manage.py api_tokens list|issue|rotate|revoke: API tokens from the command line.

`issue` and `rotate` print the new key alone on their last line.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from trading.tokens import models


class Command(BaseCommand):
    help = "List, issue, rotate or revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        listing = verbs.add_parser("list", help="tokens not revoked")
        listing.add_argument("--user")
        issuing = verbs.add_parser("issue", help="a new token for USER")
        issuing.add_argument("user")
        issuing.add_argument("--name", default="")
        issuing.add_argument("--expires-days", type=int, default=None)
        rotating = verbs.add_parser("rotate", help="revoke TOKEN_ID and issue its successor")
        rotating.add_argument("token_id", type=int)
        revoking = verbs.add_parser("revoke", help="revoke TOKEN_ID, or every token of --user")
        revoking.add_argument("token_id", type=int, nargs="?")
        revoking.add_argument("--user")

    def handle(self, *args: object, **options: Any) -> None:  # argparse's values
        getattr(self, f"_{options['verb']}")(options)

    def _user(self, name: str) -> User:
        user = User.objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"no user {name!r}")
        return user

    def _token(self, token_id: int) -> models.ApiToken:
        token = models.ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).first()
        if token is None:
            raise CommandError(f"no active token {token_id}")
        return token

    def _list(self, options: dict[str, Any]) -> None:
        tokens = models.ApiToken.objects.filter(revoked_at__isnull=True).select_related("user")
        if options["user"]:
            tokens = tokens.filter(user=self._user(options["user"]))
        for t in tokens:
            expires = t.expires_at.isoformat() if t.expires_at else "never"
            self.stdout.write(f"{t.pk}\t{t.user.username}\t{t.prefix}…\t{t.name}\t{expires}")

    def _issue(self, options: dict[str, Any]) -> None:
        days = options["expires_days"]
        expires = timezone.now() + timedelta(days=days) if days is not None else None
        token = models.issue(self._user(options["user"]), str(options["name"]), expires)
        self.stdout.write(token.key)

    def _rotate(self, options: dict[str, Any]) -> None:
        self.stdout.write(models.rotate(self._token(options["token_id"])).key)

    def _revoke(self, options: dict[str, Any]) -> None:
        if options["token_id"] is not None:
            tokens = [self._token(options["token_id"])]
        elif options["user"]:
            tokens = list(models.active(self._user(options["user"])))
        else:
            raise CommandError("give a TOKEN_ID or --user")
        for token in tokens:
            models.revoke(token)
        self.stdout.write(f"revoked {len(tokens)}")
