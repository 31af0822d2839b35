"""check_invariants exits 0 on a sound store and non-zero naming what a bad write broke."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from infra.store.api import run
from ledger import journal
from tests.support.store import TRADER
from trading import invariants
from trading.repository import Repository
from trading.services.place import PlaceOrder, place_order


def test_a_sound_store_passes(seeded_db, capsys):
    call_command("check_invariants")
    assert "every invariant holds" in capsys.readouterr().out


def test_a_posting_that_bypassed_the_ledger_is_found(seeded_db, capsys):
    # Bypass the journal as a bug would: a balance moved with no entry behind it.
    run(seeded_db, lambda tr: tr.add(journal.BALANCE.pack(("trader:T1", "USD")), 5))
    with pytest.raises(CommandError, match="invariant"):
        call_command("check_invariants")
    findings = capsys.readouterr().err
    assert "balance trader:T1 USD" in findings
    assert "ledger does not balance for USD" in findings


def test_a_hold_without_an_open_order_is_found(seeded_db, capsys):
    run(seeded_db, lambda tr: journal.change_hold(tr, "T1", "USD", 100))
    with pytest.raises(CommandError):
        call_command("check_invariants")
    assert "holds 100 USD, open orders need 0" in capsys.readouterr().err


def _usd(seeded_db) -> int:
    return run(seeded_db, lambda tr: journal.balance(tr, "trader:T1", "USD"))


def test_a_negative_balance_written_behind_the_journal_s_back_is_found(seeded_db, capsys):
    run(
        seeded_db,
        lambda tr: tr.add(journal.BALANCE.pack(("trader:T1", "USD")), -(_usd(seeded_db) + 5)),
    )
    with pytest.raises(CommandError):
        call_command("check_invariants")
    assert "balance trader:T1 USD is below zero: -5" in capsys.readouterr().err


def test_a_balance_below_what_open_orders_hold_is_found(seeded_db, capsys):
    command = PlaceOrder(TRADER, "O-held", "BTC-USD", "buy", "1.0", "10000")
    run(seeded_db, lambda tr: place_order(tr, command, datetime.now(UTC)))
    held = run(seeded_db, lambda tr: journal.held(tr, TRADER, "USD"))
    # The same amount moved out of the trader's account and into another, behind the journal.
    moved = _usd(seeded_db) - held // 2
    run(seeded_db, lambda tr: tr.add(journal.BALANCE.pack(("trader:T1", "USD")), -moved))
    run(seeded_db, lambda tr: tr.add(journal.BALANCE.pack(("trader:T2", "USD")), moved))
    with pytest.raises(CommandError):
        call_command("check_invariants", "--no-read-models")
    assert f"balance trader:T1 USD is {held - held // 2}, below its holds {held}" in (
        capsys.readouterr().err
    )


def test_an_attempt_open_for_longer_than_the_bound_is_found(seeded_db, capsys):
    stale = PlaceOrder(TRADER, "O-stale", "BTC-USD", "buy", "1.0", "10000")
    run(seeded_db, lambda tr: place_order(tr, stale, datetime.now(UTC) - timedelta(seconds=90)))
    fresh = PlaceOrder(TRADER, "O-fresh", "BTC-USD", "buy", "1.0", "10000")
    run(seeded_db, lambda tr: place_order(tr, fresh, datetime.now(UTC)))
    with pytest.raises(CommandError, match="1 invariant"):
        call_command("check_invariants", "--stale-after", "60")
    err = capsys.readouterr().err
    assert "attempt O-stale:EA-1 at SIM-A has been pending for" in err
    assert "(over 60 s)" in err and "O-fresh" not in err
    call_command("check_invariants", "--stale-after", "600")


def test_every_page_of_orders_is_checked(seeded_db, capsys, monkeypatch):
    monkeypatch.setattr(invariants, "PAGE", 2)  # 5 orders, ledger rows and balances: many pages
    for i in range(5):
        command = PlaceOrder(TRADER, f"O-page-{i}", "BTC-USD", "buy", "0.1", "10000")
        run(seeded_db, lambda tr, c=command: place_order(tr, c, datetime.now(UTC)))
    call_command("check_invariants")
    last = run(seeded_db, lambda tr: Repository(tr).order("O-page-4"))
    last.filled_quantity = Decimal("0.1")  # the last page's order, broken behind its fills' back
    run(seeded_db, lambda tr: Repository(tr).save_order(last))
    with pytest.raises(CommandError):
        call_command("check_invariants")
    assert "order O-page-4 filled 0.1, fills 0, attempts 0" in capsys.readouterr().err


@pytest.mark.django_db
def test_read_models_that_differ_from_the_store_are_one_summary_line(seeded_db, capsys):
    # Nothing was projected: the store's deposits are not in the read models' balances.
    with pytest.raises(CommandError, match="1 invariant"):
        call_command("check_invariants", "--read-models-wait", "0")
    [line] = [x for x in capsys.readouterr().err.splitlines() if "read models" in x]
    assert line.startswith("read models differ from the store: ")
    assert "balances" in line
