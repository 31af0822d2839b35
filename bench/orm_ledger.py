"""The comparison: the same seed fills posted through a plain Django-ORM ledger on PostgreSQL.

Per fill, one database transaction: the entry, its six postings, and the two accounts'
balances updated with F() expressions (row locks), as a straightforward Django ledger would.
"""

from __future__ import annotations

import time
from typing import ClassVar

import psycopg
from django.db import connections, models, transaction
from django.db.models import F

from ledger.domain.chart import VenueBook, trader_account, venue_account

DATABASE = "bench_orm_ledger"


class Entry(models.Model):
    objects: ClassVar[models.Manager[Entry]] = models.Manager()  # app "bench" is not installed
    entry_id = models.CharField(max_length=80, unique=True)
    memo = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bench"


class Posting(models.Model):
    objects: ClassVar[models.Manager[Posting]] = models.Manager()  # app "bench" is not installed
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT)
    account = models.CharField(max_length=80)
    asset = models.CharField(max_length=12)
    amount = models.BigIntegerField()

    class Meta:
        app_label = "bench"


class Balance(models.Model):
    objects: ClassVar[models.Manager[Balance]] = models.Manager()  # app "bench" is not installed
    account = models.CharField(max_length=80)
    asset = models.CharField(max_length=12)
    amount = models.BigIntegerField(default=0)

    class Meta:
        app_label = "bench"
        unique_together = [("account", "asset")]


def _postings(i: int) -> list[tuple[str, str, int]]:
    qty, notional, fee = 100_000, 998_000_000, 998_000  # 0.001 BTC @ 9980, fee 0.10%
    trader = trader_account("T1")
    clearing = venue_account("SIM-A", VenueBook.CLEARING)
    return [
        (trader, "BTC", qty),
        (clearing, "BTC", -qty),
        (trader, "USD", -notional),
        (clearing, "USD", notional),
        (trader, "USD", -fee),
        (venue_account("SIM-A", VenueBook.FEES), "USD", fee),
    ]


def bench_orm_ledger(fills: int = 2000, host: str = "127.0.0.1") -> dict[str, float]:
    """Fills per second through the ORM ledger; the database is made and dropped here."""
    with psycopg.connect(f"postgresql://postgres@{host}:5432/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    connections.databases["bench"] = {
        **connections.databases["default"],
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE,
        "USER": "postgres",
        "HOST": host,
        "PORT": "5432",
        "PASSWORD": "",
    }
    try:
        with connections["bench"].schema_editor() as editor:
            for model in (Entry, Posting, Balance):
                editor.create_model(model)
        for account, asset, _ in _postings(0):
            Balance.objects.using("bench").get_or_create(account=account, asset=asset)
        started = time.perf_counter()
        for i in range(fills):
            with transaction.atomic(using="bench"):
                entry = Entry.objects.using("bench").create(entry_id=f"F{i}", memo="buy 0.001 BTC")
                rows = _postings(i)
                Posting.objects.using("bench").bulk_create(
                    [Posting(entry=entry, account=a, asset=s, amount=n) for a, s, n in rows]
                )
                for account, asset, amount in rows:
                    Balance.objects.using("bench").filter(account=account, asset=asset).update(
                        amount=F("amount") + amount
                    )
        elapsed = time.perf_counter() - started
        total = Balance.objects.using("bench").filter(asset="USD").aggregate(s=models.Sum("amount"))
        assert total["s"] == 0, "the ORM ledger must balance too"
    finally:
        connections["bench"].close()
        del connections.databases["bench"]
        with psycopg.connect(
            f"postgresql://postgres@{host}:5432/postgres", autocommit=True
        ) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    return {"orm_fills_per_s": fills / elapsed, "fills": float(fills)}
