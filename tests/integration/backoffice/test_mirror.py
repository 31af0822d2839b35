"""The mirrors of what has no event (instruments, venues, quarantined reports): copied from the
store by the projector process and by the back office's own actions, never when a page is read."""

from __future__ import annotations

import threading
from decimal import Decimal

from django.urls import reverse

from backoffice.mirror import mirror_forever, mirror_quarantined, mirror_reference
from backoffice.models import Instrument, QuarantinedReport, Venue
from infra.store.api import run
from tests.integration.backoffice.conftest import Seed
from trading.repository import Repository
from trading.services.reference import set_venue_state

REFUSED = {
    "venue": "SIM-A",
    "exec_id": "E-refused-1",
    "order_id": "O-nobody",
    "exec_type": "trade",
    "reason_refused": "unknown order O-nobody",
    "received_at": "2026-11-25T12:00:00+00:00",
}


def test_listing_the_mirrors_writes_nothing(seed: Seed, staff_client):
    run(seed.db, lambda tr: Repository(tr).quarantine(dict(REFUSED)))
    for model in ("instrument", "venue", "quarantinedreport"):
        answer = staff_client.get(reverse(f"admin:backoffice_{model}_changelist"))
        assert answer.status_code == 200, model
    assert not Instrument.objects.exists()
    assert not Venue.objects.exists()
    assert not QuarantinedReport.objects.exists()


def test_a_round_writes_only_what_changed_in_the_store(seed: Seed):
    assert mirror_reference(seed.db) > 0
    assert {"SIM-A", "SIM-B"} <= {v.name for v in Venue.objects.all()}
    assert Instrument.objects.filter(symbol="BTC-USD").exists()
    assert mirror_reference(seed.db) == 0  # nothing changed: nothing written
    run(seed.db, lambda tr: set_venue_state(tr, "SIM-B", circuit_open=True, halted=True))
    assert mirror_reference(seed.db) == 1
    sim_b = Venue.objects.get(name="SIM-B")
    assert sim_b.halted and sim_b.circuit_open
    Venue.objects.create(name="SIM-GONE", taker_fee_rate=Decimal(0))
    assert mirror_reference(seed.db) == 1
    assert not Venue.objects.filter(name="SIM-GONE").exists()


def test_each_quarantined_report_is_mirrored_once(seed: Seed):
    run(seed.db, lambda tr: Repository(tr).quarantine(dict(REFUSED)))
    assert mirror_quarantined(seed.db) == 1
    assert mirror_quarantined(seed.db) == 1
    report = QuarantinedReport.objects.get()
    assert (report.venue, report.exec_id, report.reason) == (
        "SIM-A",
        "E-refused-1",
        "unknown order O-nobody",
    )


def test_the_projector_process_mirrors_at_once_when_it_starts(seed: Seed):
    run(seed.db, lambda tr: Repository(tr).quarantine(dict(REFUSED)))
    stop = threading.Event()
    stop.set()  # one round, then the thread ends
    mirror_forever(stop, every_s=0)
    assert Venue.objects.filter(name="SIM-A").exists()
    assert QuarantinedReport.objects.filter(exec_id="E-refused-1").exists()
