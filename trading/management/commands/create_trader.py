"""python manage.py create_trader NAME [--deposit USD=1000000 ...] [--password P] [--strategy S]

`make trader NAME=alice DEPOSIT="USD=100000 BTC=2"` runs it. Creates the trader (or finds the
existing one), posts each deposit once (its entry id is per trader and asset, so running the
command again never deposits twice), and prints labelled lines: the trader, its balances, how
to sign in, and last the API token, alone on its line (scripts read the last line).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from infra.store import database
from infra.store.api import run
from kernel.ids import trader_id_for
from ledger.api.selectors import balances
from trading.accounts import create_trader
from trading.domain.orders import RoutingStrategy
from trading.services.reference import set_trader_strategy


def _deposit(text: str) -> tuple[str, Decimal]:
    asset, _, amount = text.partition("=")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise CommandError(f"--deposit {text!r}: expected ASSET=AMOUNT, like USD=1000000") from None
    if not asset or not value.is_finite() or value <= 0:
        raise CommandError(f"--deposit {text!r}: expected ASSET=AMOUNT with AMOUNT > 0")
    return asset.upper(), value


def _amount(text: str) -> str:
    whole, _, fraction = text.partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


class Command(BaseCommand):
    help = (
        "Create a trader (or find an existing one), post its deposits once per asset, "
        "and print its API token on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the trader's user name (also its sign-in name)")
        parser.add_argument(
            "--deposit",
            action="append",
            default=[],
            metavar="ASSET=AMOUNT",
            help="an initial deposit, e.g. USD=100000; repeat for more assets",
        )
        parser.add_argument("--password", default=None, help="lets the trader sign in at /login")
        parser.add_argument(
            "--strategy",
            choices=[s.value for s in RoutingStrategy],
            default=None,
            help="the routing strategy of the trader's orders that name none (default: best)",
        )

    def handle(self, *args: object, **options: Any) -> None:  # argparse's values
        name = str(options["name"])
        deposits = dict(_deposit(text) for text in options["deposit"])
        existed = User.objects.filter(username=name).exists()
        token = create_trader(name, deposits, options["password"])
        trader_id = trader_id_for(token.user)
        if options["strategy"]:
            strategy = options["strategy"]
            run(database(), lambda tr: set_trader_strategy(tr, trader_id, strategy))
        found = run(database(), lambda tr: balances(tr, trader_id))
        write = self.stdout.write
        write(f"trader {name} ({trader_id}): {'already existed' if existed else 'created'}")
        if options["strategy"]:
            write(f"  routing strategy: {options['strategy']}")
        if deposits and existed:
            write("  deposits are posted once per asset: assets deposited before are unchanged")
        for row in found:
            write(f"  balance {row['asset']}: {_amount(row['total'])}")
        if not found:
            write("  no balance yet: add --deposit USD=100000 to let the trader buy")
        if options["password"] or token.user.has_usable_password():
            write(f"  sign in at /login as {name}")
        write("API token (for 'Authorization: Token ...'; alone on the next line):")
        write(token.key)
