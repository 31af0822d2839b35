"""check_invariants exits 0 on a sound store and non-zero naming what a bad write broke."""

import pytest
from django.core.management import CommandError, call_command

from infra.store import use_database
from infra.store.api import run
from ledger import journal
from tests.support.store import seeded_store


@pytest.fixture
def db(tmp_path):
    database = seeded_store(tmp_path)
    use_database(database)
    yield database
    use_database(None)
    database.close()


def test_a_sound_store_passes(db, capsys):
    call_command("check_invariants")
    assert "every invariant holds" in capsys.readouterr().out


def test_a_posting_that_bypassed_the_ledger_is_found(db, capsys):
    # Bypass the journal as a bug would: a balance moved with no entry behind it.
    run(db, lambda tr: tr.add(journal.BALANCE.pack(("trader:T1", "USD")), 5))
    with pytest.raises(CommandError, match="invariant"):
        call_command("check_invariants")
    findings = capsys.readouterr().err
    assert "balance trader:T1 USD" in findings
    assert "ledger does not balance for USD" in findings


def test_a_hold_without_an_open_order_is_found(db, capsys):
    run(db, lambda tr: journal.change_hold(tr, "T1", "USD", 100))
    with pytest.raises(CommandError):
        call_command("check_invariants")
    assert "holds 100 USD, open orders need 0" in capsys.readouterr().err
