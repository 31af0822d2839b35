"""The back office's read models: plain Django tables projected from trading-core's events.

The store is the truth; these tables are a copy for the admin and the reports, kept by the
projector (`backoffice/projector.py`) and rebuilt from the store by `rebuild_read_models`.
Nothing here is ever written by hand: every row comes from `backoffice/projection.py` or from
a mirror of the store (`backoffice/rebuild.py`). Money in the ledger is integer minor units
(1e-8), quantities and prices are decimals with 8 places, as trading-core keeps them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.contrib.auth.models import User, UserManager
from django.db import models
from django.db.models.expressions import Combinable

from kernel import roles
from kernel.money import display, from_minor

DIGITS = 38  # numeric(38, 8): cost bases and notionals of amounts up to 1e10 fit
PLACES = 8


def _decimal() -> models.DecimalField[Decimal | str | Combinable, Decimal]:
    return models.DecimalField(max_digits=DIGITS, decimal_places=PLACES)


def _optional_decimal() -> models.DecimalField[Decimal | str | Combinable | None, Decimal | None]:
    return models.DecimalField(max_digits=DIGITS, decimal_places=PLACES, null=True, blank=True)


class Order(models.Model):
    """The latest delta of each synthetic order (evt.trading.order.v1); only a higher seq wins."""

    order_id = models.CharField(max_length=100, unique=True)
    trader_id = models.CharField(max_length=64, db_index=True)
    instrument = models.CharField(max_length=32, db_index=True)
    state = models.CharField(max_length=20, db_index=True)
    seq = models.PositiveIntegerField()
    quantity = _decimal()
    filled_quantity = _decimal()
    remaining_quantity = _decimal()
    average_price = _optional_decimal()
    attempts = models.JSONField(default=list)  # the contract's attempt views, in order
    created_at = models.DateTimeField(null=True, blank=True, db_index=True)  # from seq 1
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-updated_at", "-order_id"]

    def __str__(self) -> str:
        return self.order_id


class OrderStateChange(models.Model):
    """One delta of an order (evt.trading.order.v1) as it was: the order's state history.

    Written once per (order_id, seq); a rebuild from the store writes only the latest seq.
    """

    order_id = models.CharField(max_length=100)
    seq = models.PositiveIntegerField()
    state = models.CharField(max_length=20)
    filled_quantity = _decimal()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["order_id", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_id", "seq"], name="backoffice_orderstatechange_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} #{self.seq} {self.state}"


class Fill(models.Model):
    """One fill (evt.trading.fill.v1); `applied_at` is when trading-core booked it."""

    fill_id = models.CharField(max_length=120, unique=True)
    # No database constraint: a fill may be projected before its order's first delta.
    order = models.ForeignKey(
        Order,
        to_field="order_id",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="fills",
    )
    trader_id = models.CharField(max_length=64, db_index=True)
    attempt_id = models.CharField(max_length=32)
    venue = models.CharField(max_length=32, db_index=True)
    venue_fill_id = models.CharField(max_length=120)
    instrument = models.CharField(max_length=32, db_index=True)
    side = models.CharField(max_length=4)
    quantity = _decimal()
    price = _decimal()
    fee = _decimal()
    fee_asset = models.CharField(max_length=12)
    executed_at = models.DateTimeField(db_index=True)
    applied_at = models.DateTimeField()

    class Meta:
        ordering = ["-executed_at", "-fill_id"]

    def __str__(self) -> str:
        return self.fill_id

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price


class LedgerEntry(models.Model):
    """A journal entry (evt.ledger.entry.v1): immutable, its postings sum to zero per asset."""

    entry_id = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, db_index=True)
    order_id = models.CharField(max_length=100, null=True, blank=True, db_index=True)
    memo = models.CharField(max_length=500, blank=True)
    reverses = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-entry_id"]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return self.entry_id


class Posting(models.Model):
    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="postings")
    account = models.CharField(max_length=200, db_index=True)
    asset = models.CharField(max_length=12, db_index=True)
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["entry_id", "id"]

    def __str__(self) -> str:
        return f"{self.account} {self.asset} {self.amount}"

    @property
    def amount(self) -> str:
        return display(from_minor(self.amount_minor)) or "0"


class Balance(models.Model):
    """Sum of the projected postings per account and asset."""

    account = models.CharField(max_length=200, db_index=True)
    asset = models.CharField(max_length=12, db_index=True)
    amount_minor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["asset", "account"]
        constraints = [
            models.UniqueConstraint(fields=["account", "asset"], name="backoffice_balance_key")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.asset}"

    @property
    def amount(self) -> str:
        return display(from_minor(self.amount_minor)) or "0"


class Position(models.Model):
    """Average-cost position per trader and instrument, recomputed from the projected fills."""

    trader_id = models.CharField(max_length=64, db_index=True)
    instrument = models.CharField(max_length=32, db_index=True)
    quantity = _decimal()
    cost_basis = _decimal()
    realized_pnl = _decimal()

    class Meta:
        ordering = ["trader_id", "instrument"]
        constraints = [
            models.UniqueConstraint(
                fields=["trader_id", "instrument"], name="backoffice_position_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trader_id} {self.instrument}"


class QuarantinedReport(models.Model):
    """A venue report trading-core refused (overfill, unknown order...), mirrored from the store."""

    venue = models.CharField(max_length=32)
    exec_id = models.CharField(max_length=200)
    order_id = models.CharField(max_length=100, blank=True, db_index=True)
    attempt_id = models.CharField(max_length=32, blank=True)
    exec_type = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    received_at = models.DateTimeField(null=True, db_index=True)
    record = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "exec_id"], name="backoffice_quarantine_key")
        ]

    def __str__(self) -> str:
        return f"{self.venue} {self.exec_id}"


class DeadLetter(models.Model):
    """A message of evt.venue.execution.report.v1.dlq: ingest could not even parse it."""

    message_id = models.CharField(max_length=300, unique=True)  # "dlq:" + where it came from
    topic = models.CharField(max_length=200)
    partition = models.IntegerField()
    offset = models.BigIntegerField()
    key = models.CharField(max_length=200, blank=True)
    value = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    dead_lettered_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-dead_lettered_at"]

    def __str__(self) -> str:
        return self.message_id


class ProcessedMessage(models.Model):
    """Every message id the projector applied: a redelivery is skipped."""

    message_id = models.CharField(max_length=300, unique=True)
    topic = models.CharField(max_length=200)
    processed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.message_id


class ProjectorState(models.Model):
    """One row per projector, locked by each batch (and by a rebuild): they never interleave."""

    name = models.CharField(max_length=50, unique=True)
    last_created_at = models.DateTimeField(null=True)  # the newest event applied
    last_batch_at = models.DateTimeField(null=True)
    messages_total = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class Instrument(models.Model):
    """Mirror of the store's instruments (backoffice/mirror.py, never when a page is read)."""

    symbol = models.CharField(max_length=32, unique=True)
    base = models.CharField(max_length=12)
    quote = models.CharField(max_length=12)
    quantity_step = _decimal()
    price_tick = _decimal()
    min_quantity = _decimal()

    class Meta:
        ordering = ["symbol"]

    def __str__(self) -> str:
        return self.symbol


class Venue(models.Model):
    """Mirror of the store's venues (backoffice/mirror.py, never when a page is read)."""

    name = models.CharField(max_length=32, unique=True)
    taker_fee_rate = _decimal()
    halted = models.BooleanField(default=False)
    circuit_open = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TraderManager(UserManager["Trader"]):
    use_in_migrations = False

    def get_queryset(self) -> models.QuerySet[Trader]:
        return super().get_queryset().filter(groups__name=roles.TRADER).distinct()


class Trader(User):
    """A user in the trader group; its balances, positions and halt live in the store."""

    objects: ClassVar[TraderManager] = TraderManager()

    class Meta:
        proxy = True
        ordering = ["username"]
