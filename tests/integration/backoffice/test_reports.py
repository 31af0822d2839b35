"""The reports on the seed's story: numbers, pages, CSV files, and who may read them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from backoffice import reports
from backoffice.models import Balance, Order
from backoffice.rebuild import read_models_rebuild
from backoffice.report_views import POSITIONS_HEADER
from infra.store.api import run
from kernel import codec
from ledger import journal
from ledger.domain.entries import JournalEntry, Posting
from tests.integration.backoffice.conftest import client_for, minor
from tests.support.reports import NOW


@pytest.fixture
def projected(seed):
    read_models_rebuild()  # equal to what the projector builds (test_projector.py)
    return seed


def rows(answer) -> list[list[str]]:
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    return list(csv.reader(io.StringIO(answer.content.decode())))


def test_the_trial_balance_sums_to_zero_per_asset(projected, staff_client):
    trader = f"trader:{projected.trader.trader_id}"
    assets = {a.asset: a for a in reports.trial_balance()}
    assert set(assets) == {"BTC", "ETH", "USD"}
    assert all(a.balanced and a.total_minor == 0 for a in assets.values())
    btc = {a.account: a.amount for a in assets["BTC"].accounts}
    assert btc == {
        trader: "103",
        "external:deposits": "-100",
        "venue:SIM-A:clearing": "-1.2",
        "venue:SIM-B:clearing": "-1.8",
    }
    usd = {a.account: a.amount for a in assets["USD"].accounts}
    assert usd[trader] == "970021.051"  # 1,000,000 - 29,949 notional - 29.949 fees
    assert usd["venue:SIM-A:fees"] == "11.976" and usd["venue:SIM-B:fees"] == "17.973"

    page = staff_client.get("/reports/trial-balance").content.decode()
    assert "every asset sums to zero" in page
    assert page.count('<span class="badge ok">balanced</span>') == 3
    assert ">970,021.051</td>" in page  # people read thousands separators; the CSV stays plain
    table = rows(staff_client.get("/reports/trial-balance.csv"))
    assert table[0] == ["asset", "account", "balance", "trader_name"]
    assert ["BTC", trader, "103", projected.trader.user.username] in table
    assert ["BTC", "venue:SIM-A:clearing", "-1.2", ""] in table
    assert [r for r in table if r[1] == "TOTAL"] == [
        ["BTC", "TOTAL", "0", ""],
        ["ETH", "TOTAL", "0", ""],
        ["USD", "TOTAL", "0", ""],
    ]


def test_a_trial_balance_out_of_balance_says_so(projected, staff_client):
    Balance.objects.filter(account__startswith="trader:", asset="BTC").update(amount_minor=1)
    page = staff_client.get("/reports/trial-balance").content.decode()
    assert "out of balance" in page and "off by" in page


def test_positions_with_realized_and_unrealized_pnl(projected, staff_client):
    (line,) = reports.positions()
    assert (line.instrument, line.quantity, line.average_cost) == ("BTC-USD", 3, 9983)
    # Marked at the mid of the best bid (SIM-B 9975) and best ask (SIM-A 9980).
    assert (line.mark, line.realized_pnl, line.unrealized_pnl) == (D("9977.5"), 0, D("-16.5"))
    page = staff_client.get("/reports/positions").content.decode()
    assert '<td class="num average-cost">9,983</td>' in page
    table = rows(staff_client.get("/reports/positions.csv"))
    assert table == [
        POSITIONS_HEADER,
        [
            projected.trader.trader_id,
            projected.trader.user.username,
            "BTC-USD",
            "3",
            "9983",
            "0",
            "9977.5",
            "-16.5",
        ],
    ]


def test_fills_by_venue_and_day_with_fees(projected, staff_client):
    days = reports.fills_by_venue_and_day()
    assert [(d.day, d.venue, d.fills, d.quantity, d.notional, d.fees) for d in days] == [
        (NOW.date(), "SIM-A", 1, D("1.2"), D("11976"), D("11.976")),
        (NOW.date(), "SIM-B", 1, D("1.8"), D("17973"), D("17.973")),
    ]
    table = rows(staff_client.get("/reports/fills.csv"))
    assert table == [
        ["day", "venue", "instrument", "fills", "quantity", "notional", "fees", "fee_asset"],
        ["2026-11-25", "SIM-A", "BTC-USD", "1", "1.2", "11976", "11.976", "USD"],
        ["2026-11-25", "SIM-B", "BTC-USD", "1", "1.8", "17973", "17.973", "USD"],
    ]
    page = staff_client.get("/reports/fills").content.decode()
    assert '<td class="num notional">17,973</td>' in page


def test_reconciliation_matches_after_a_rebuild(projected, staff_client):
    result = reports.reconciliation()
    assert result.ok, result.findings
    assert (result.orders_in_store, result.orders_in_read_model) == (1, 1)
    assert (result.fills_checked, result.fill_entries_checked) == (2, 2)
    assert result.balances_checked == 12
    assert "everything matches" in staff_client.get("/reports/reconciliation").content.decode()
    assert rows(staff_client.get("/reports/reconciliation.csv")) == [
        ["check", "subject", "problem", "store", "read_model"]
    ]


def test_reconciliation_finds_what_differs(projected, staff_client):
    """Bypass the normal paths: tamper with the read models, post a fill entry with no fill."""
    trader = f"trader:{projected.trader.trader_id}"
    Order.objects.filter(order_id=projected.order_id).update(filled_quantity="1.2", state="working")
    Balance.objects.filter(account=trader, asset="BTC").update(amount_minor=minor("101.2"))
    stray = JournalEntry(
        entry_id="O-ghost-F1:trade",
        kind="fill",
        postings=(Posting(trader, "BTC", 1), Posting("venue:SIM-A:clearing", "BTC", -1)),
        created_at=NOW,
        order_id="O-ghost",
    )
    run(projected.db, lambda tr: journal.post(tr, stray))
    result = reports.reconciliation()
    found = {(f.check, f.subject, f.problem) for f in result.findings}
    assert found == {
        ("orders", projected.order_id, "filled quantity differs"),
        ("orders", projected.order_id, "state differs"),
        ("balances", f"{trader} BTC", "balance differs"),
        ("balances", "venue:SIM-A:clearing BTC", "balance differs"),
        ("ledger-fills", "O-ghost-F1:trade", "a fill entry without fill"),
    }
    page = staff_client.get("/reports/reconciliation").content.decode()
    assert "5 differences" in page
    table = rows(staff_client.get("/reports/reconciliation.csv"))
    assert ["orders", projected.order_id, "filled quantity differs", "3", "1.2"] in table


def test_a_fill_entry_that_disagrees_with_its_fill_is_found(projected):
    """A fill entry whose postings do not carry the fill's numbers (written past trading-core)."""
    fill_id = f"{projected.order_id}-F1"

    def rewrite(tr):
        entry = journal.get_entry(tr, f"{fill_id}:trade")
        tr.set(
            journal.ENTRY.pack((entry.entry_id,)),
            codec.encode(
                JournalEntry(
                    entry_id=entry.entry_id,
                    kind="fill",
                    postings=tuple(
                        Posting(p.account, p.asset, p.amount * 2) for p in entry.postings
                    ),
                    created_at=entry.created_at,
                    order_id=entry.order_id,
                )
            ),
        )

    run(projected.db, rewrite)
    problems = {f.problem for f in reports.reconciliation().by_check("ledger-fills")}
    assert problems == {"quantity differs", "notional differs", "fee differs"}


@pytest.mark.parametrize(
    "path",
    [
        "/reports/",
        "/reports/trial-balance",
        "/reports/trial-balance.csv",
        "/reports/positions",
        "/reports/positions.csv",
        "/reports/fills",
        "/reports/fills.csv",
        "/reports/reconciliation",
        "/reports/reconciliation.csv",
    ],
)
def test_reports_are_for_staff_and_finance(projected, staff, finance, ops, path):
    assert client_for(staff).get(path).status_code == 200
    assert client_for(finance).get(path).status_code == 200
    assert client_for(ops).get(path).status_code == 403
    assert client_for(projected.trader.user).get(path).status_code == 403
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login")


def test_the_reports_index_links_every_report(projected, finance):
    page = client_for(finance).get(reverse("reports")).content.decode()
    for name in ("trial-balance", "positions", "fills", "reconciliation"):
        assert f'href="/reports/{name}"' in page and f'href="/reports/{name}.csv"' in page
