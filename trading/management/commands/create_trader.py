"""python manage.py create_trader NAME [--deposit USD=1000000 ...]: prints the token alone."""

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trading.accounts import create_trader


def _deposit(text: str) -> tuple[str, Decimal]:
    asset, _, amount = text.partition("=")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise CommandError(f"--deposit {text!r}: expected ASSET=AMOUNT, like USD=1000000") from None
    if not asset or not value.is_finite() or value <= 0:
        raise CommandError(f"--deposit {text!r}: expected ASSET=AMOUNT with AMOUNT > 0")
    return asset.upper(), value


class Command(BaseCommand):
    help = "Create a trader (or find an existing one), post its deposits once, print its API token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--deposit", action="append", default=[], metavar="ASSET=AMOUNT")
        parser.add_argument("--password", default=None)

    def handle(self, *args: object, **options: object) -> None:
        deposits = dict(_deposit(text) for text in options["deposit"])  # type: ignore[attr-defined]
        token = create_trader(str(options["name"]), deposits, options["password"])  # type: ignore[arg-type]
        self.stdout.write(token.key)
