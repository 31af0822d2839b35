"""The ledger in the admin: journal entries with their postings, balances, positions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from backoffice.admin.base import ReadOnlyAdmin, ReadOnlyTabular, decimal, plain
from backoffice.models import Balance, LedgerEntry, Position, Posting
from backoffice.trader_names import TraderNames
from ledger.domain.chart import AccountKind
from trading.domain.positions import Position as PositionMath


class PostingInline(ReadOnlyTabular[Posting, LedgerEntry]):
    model = Posting
    fields = ("account", "asset", "amount")
    readonly_fields = fields


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin[LedgerEntry]):
    list_display = ("entry_id", "kind", "order_id", "memo", "created_at")
    list_filter = ("kind",)
    search_fields = ("entry_id", "order_id", "memo", "postings__account")
    date_hierarchy = "created_at"
    fields = ("entry_id", "kind", "order_id", "memo", "reverses", "created_at")
    readonly_fields = fields
    inlines = (PostingInline,)


class AccountKindFilter(admin.SimpleListFilter):
    """Balances by the kind of their account (the chart of accounts' kinds)."""

    title = "account kind"
    parameter_name = "kind"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Balance]
    ) -> list[tuple[str, str]]:
        return [(kind.value, kind.value) for kind in AccountKind]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Balance]) -> QuerySet[Balance]:
        value = self.value()
        if value not in set(AccountKind):
            return queryset
        return queryset.filter(account__startswith=AccountKind(value).prefix)


@admin.register(Balance)
class BalanceAdmin(TraderNames, ReadOnlyAdmin[Balance]):
    list_display = ("account_named", "asset", "amount")
    trader_text_fields = ("account",)
    list_filter = ("asset", AccountKindFilter)
    search_fields = ("account",)
    fields = ("account", "asset", "amount")
    readonly_fields = fields


@admin.register(Position)
class PositionAdmin(TraderNames, ReadOnlyAdmin[Position]):
    list_display = ("trader", "instrument", "quantity_", "average_cost", "realized_pnl_")
    list_filter = ("instrument",)
    search_fields = ("trader_id",)
    fields = (
        "trader",
        "instrument",
        "quantity_",
        "average_cost",
        "cost_basis_",
        "realized_pnl_",
    )
    readonly_fields = fields
    quantity_ = plain("quantity")
    cost_basis_ = plain("cost_basis", "cost basis")
    realized_pnl_ = plain("realized_pnl", "realized PnL")

    @admin.display(description="average cost")
    def average_cost(self, obj: Position) -> str:
        math = PositionMath(obj.trader_id, obj.instrument, obj.quantity, obj.cost_basis)
        return decimal(math.average_cost)
