"""The admin: staff's actions go through trading-core (the store stays sound), each one audited;
every role sees and does only its own; the read models are read-only."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from backoffice import services
from backoffice.audit import store as audit_store
from backoffice.audit.models import AuditLog
from backoffice.mirror import mirror_reference
from backoffice.models import LedgerEntry, Order, Venue
from backoffice.rebuild import read_models_rebuild
from infra.store.api import Database, run
from ledger import journal
from tests.integration.backoffice.conftest import Seed, client_for, minor, place, user_in
from tests.support.reports import NOW
from trading.domain.errors import TraderHalted
from trading.invariants import find_violations
from trading.repository import Repository
from trading.services.place import PlaceOrder, place_order
from trading.services.reference import deposit


def sound(db: Database) -> None:
    assert run(db, find_violations) == []


def action(client: Client, model: str, name: str, *pks: object, **more: str):
    data = {"action": name, "_selected_action": [str(pk) for pk in pks], "index": "0", **more}
    return client.post(reverse(f"admin:backoffice_{model}_changelist"), data)


def audit(action_name: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=action_name).order_by("id"))


def store_order(db: Database, order_id: str):
    return run(db, lambda tr: Repository(tr).order(order_id))


@pytest.fixture
def open_order(seed: Seed) -> str:
    """An order at SIM-A (EA-1 pending there), projected into the read models."""
    order_id = place(seed.db, seed.trader.trader_id, quantity="0.5", limit_price="9990")
    read_models_rebuild()
    return order_id


# --- orders -------------------------------------------------------------------------------------


def test_staff_cancels_an_order_through_trading_core_and_it_is_audited(
    seed, open_order, staff, staff_client
):
    pk = Order.objects.get(order_id=open_order).pk
    answer = action(staff_client, "order", "cancel_orders", pk)
    assert answer.status_code == 302
    assert store_order(seed.db, open_order).state.value == "cancel_pending"  # EA-1 is at SIM-A
    sound(seed.db)
    (row,) = audit("order.cancel")
    assert (row.actor, row.target) == (staff, f"order:{open_order}")
    assert (row.before["state"], row.after["state"]) == ("new", "cancel_pending")
    assert row.after["seq"] == row.before["seq"] + 1


def test_cancelling_a_filled_order_is_refused_and_changes_nothing(seed, staff_client):
    read_models_rebuild()
    before = store_order(seed.db, seed.order_id)
    pk = Order.objects.get(order_id=seed.order_id).pk
    answer = action(staff_client, "order", "cancel_orders", pk, next=f"/admin/x/{pk}/")
    assert answer.status_code == 302
    assert store_order(seed.db, seed.order_id) == before
    page = staff_client.get(reverse("admin:backoffice_order_changelist"))
    assert "already filled" in page.content.decode()
    (row,) = audit("order.cancel")
    assert row.after["refused"] == "order is already filled"
    sound(seed.db)


def test_the_cancel_button_of_an_order_page_comes_back_to_it(seed, open_order, staff_client):
    pk = Order.objects.get(order_id=open_order).pk
    url = reverse("admin:backoffice_order_change", args=[pk])
    page = staff_client.get(url).content.decode()
    assert 'id="cancel-order-form"' in page
    answer = action(staff_client, "order", "cancel_orders", pk, next=url)
    assert answer.status_code == 302 and answer["Location"] == url
    assert store_order(seed.db, open_order).state.value == "cancel_pending"
    evil = action(staff_client, "order", "cancel_orders", pk, next="https://evil.example/")
    assert evil["Location"] != "https://evil.example/"


def test_an_order_page_shows_attempts_fills_and_the_venue_reports(seed, staff_client):
    read_models_rebuild()
    pk = Order.objects.get(order_id=seed.order_id).pk
    page = staff_client.get(reverse("admin:backoffice_order_change", args=[pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("EA-1", "EA-2", "SIM-A", "SIM-B", "filled", f"{seed.order_id}-F1", "9985"):
        assert text in html
    assert html.count('class="raw-report"') == 5  # new, trade, expired at SIM-A; new, trade at B
    assert "Cancel order" not in html  # it has ended
    assert 'name="_save"' not in html  # read-only


# --- traders ------------------------------------------------------------------------------------


def test_staff_halts_and_resumes_a_trader(seed, staff, staff_client):
    user = seed.trader.user
    assert action(staff_client, "trader", "halt_traders", user.pk).status_code == 302
    assert run(seed.db, lambda tr: Repository(tr).trader(seed.trader.trader_id)).halted
    command = PlaceOrder(seed.trader.trader_id, "O-halted", "BTC-USD", "buy", "0.1", "9000")
    with pytest.raises(TraderHalted):
        run(seed.db, lambda tr: place_order(tr, command, NOW))
    sound(seed.db)
    assert action(staff_client, "trader", "resume_traders", user.pk).status_code == 302
    assert not run(seed.db, lambda tr: Repository(tr).trader(seed.trader.trader_id)).halted
    halt, resume = audit("trader.halt"), audit("trader.resume")
    assert [(r.actor, r.before, r.after) for r in halt + resume] == [
        (staff, {"halted": False}, {"halted": True}),
        (staff, {"halted": True}, {"halted": False}),
    ]
    sound(seed.db)


def test_a_trader_page_shows_balances_and_positions_from_the_store(seed, staff_client):
    page = staff_client.get(reverse("admin:backoffice_trader_change", args=[seed.trader.user.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    btc = re.search(r'<tr data-asset="BTC">(.*?)</tr>', html, re.S)
    assert btc and ">103<" in btc.group(1)
    position = re.search(r'<tr data-instrument="BTC-USD">(.*?)</tr>', html, re.S)
    assert position and ">3<" in position.group(1) and ">9983<" in position.group(1)
    assert "Post an adjustment" in html and "Halt trader" in html
    listing = staff_client.get(reverse("admin:backoffice_trader_changelist")).content.decode()
    assert seed.trader.user.username in listing


def test_only_users_in_the_trader_group_are_traders(seed, staff, finance, staff_client):
    listing = staff_client.get(reverse("admin:backoffice_trader_changelist"))
    assert list(listing.context["cl"].result_list) == [seed.trader.user]


# --- venues -------------------------------------------------------------------------------------


def test_staff_halts_and_resumes_a_venue(seed, staff, staff_client):
    mirror_reference()  # as the projector process does
    assert staff_client.get(reverse("admin:backoffice_venue_changelist")).status_code == 200
    sim_a = Venue.objects.get(name="SIM-A")
    assert action(staff_client, "venue", "halt_venues", sim_a.pk).status_code == 302
    assert run(seed.db, lambda tr: Repository(tr).venue("SIM-A")).halted
    assert Venue.objects.get(name="SIM-A").halted
    listing = staff_client.get(reverse("admin:backoffice_venue_changelist")).content.decode()
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*SIM-A(?:(?!</tr>).)*</tr>", listing, re.S)
    assert row and 'class="bo-status halted"' in row.group(0)  # a red warning
    assert "icon-yes" not in row.group(0)  # not a green check
    assert "backoffice/status.css" in listing
    # The router now skips SIM-A: a new order goes to SIM-B.
    order_id = place(seed.db, seed.trader.trader_id, quantity="0.5", limit_price="9990")
    assert store_order(seed.db, order_id).attempts[0].venue == "SIM-B"
    assert action(staff_client, "venue", "resume_venues", sim_a.pk).status_code == 302
    assert not run(seed.db, lambda tr: Repository(tr).venue("SIM-A")).halted
    assert [r.after["halted"] for r in audit("venue.halt") + audit("venue.resume")] == [True, False]
    assert all(r.actor == staff and r.target == "venue:SIM-A" for r in AuditLog.objects.all())
    sound(seed.db)


# --- adjustments --------------------------------------------------------------------------------


def adjustment_form(client: Client, trader: User) -> dict[str, str]:
    url = reverse("admin:backoffice_trader_adjust") + f"?trader={trader.pk}"
    page = client.get(url, follow=True)  # a new form gets its submission id in its address
    assert page.status_code == 200
    submission = re.search(r'name="submission_id" value="([0-9a-f-]+)"', page.content.decode())
    assert submission and f"submission={submission.group(1)}" in page.redirect_chain[-1][0]
    return {"trader": str(trader.pk), "submission_id": submission.group(1)}


def form_url(form: dict[str, str]) -> str:
    """The address of the form that `adjustment_form` opened (what Back and reload show)."""
    base = reverse("admin:backoffice_trader_adjust")
    return f"{base}?trader={form['trader']}&submission={form['submission_id']}"


def test_a_double_submitted_adjustment_posts_once(seed, staff, staff_client):
    form = adjustment_form(staff_client, seed.trader.user)
    data = {**form, "asset": "USD", "amount": "-125.5", "reason": "fee refund reversal #12"}
    url = reverse("admin:backoffice_trader_adjust")
    account = f"trader:{seed.trader.trader_id}"
    before = run(seed.db, lambda tr: journal.balance(tr, account, "USD"))
    first = staff_client.post(form_url(form), data)
    back = staff_client.get(form_url(form)).content.decode()  # Back (or reload) to the form
    assert 'id="already-submitted"' in back and form["submission_id"] in back
    second = staff_client.post(url, data)
    assert first.status_code == second.status_code == 302
    after = run(seed.db, lambda tr: journal.balance(tr, account, "USD"))
    assert after - before == -minor("125.5")
    assert run(seed.db, lambda tr: journal.balance(tr, "adjustments", "USD")) == minor("125.5")
    entry = run(seed.db, lambda tr: journal.get_entry(tr, f"adjustment:{form['submission_id']}"))
    assert (entry.kind, entry.memo) == ("adjustment", "fee refund reversal #12")
    sound(seed.db)
    rows = audit("ledger.adjustment")
    assert [(r.actor, r.after["posted"]) for r in rows] == [(staff, True), (staff, False)]
    assert rows[0].after["amount"] == "-125.5" and rows[0].after["asset"] == "USD"
    assert Decimal(rows[0].before["balance"]) - Decimal(rows[0].after["balance"]) == Decimal(
        "125.5"
    )

    again = adjustment_form(staff_client, seed.trader.user)  # a new form is a new adjustment
    assert again["submission_id"] != form["submission_id"]
    staff_client.post(url, {**data, **again})
    assert run(seed.db, lambda tr: journal.balance(tr, account, "USD")) - before == -minor("251")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount": "0"}, "amount", "zero"),
        ({"amount": "0.000000001"}, "amount", "decimal places"),
        ({"asset": "XYZ"}, "asset", "valid choice"),
        ({"amount": "12abc"}, "amount", "not a number"),
        ({"amount": "1e3"}, "amount", "not a number"),
        ({"amount": "-99999999"}, "amount", "below zero"),
        ({"reason": ""}, "reason", "required"),
    ],
)
def test_an_adjustment_form_refuses_bad_input_and_posts_nothing(
    seed, staff_client, change, field, message
):
    form = adjustment_form(staff_client, seed.trader.user)
    data = {**form, "asset": "USD", "amount": "10", "reason": "why", **change}
    answer = staff_client.post(reverse("admin:backoffice_trader_adjust"), data)
    assert answer.status_code == 200
    assert message in str(answer.context["form"].errors[field])
    assert not audit("ledger.adjustment")
    assert run(seed.db, lambda tr: journal.balance(tr, "adjustments", "USD")) == 0


# --- who may do what ----------------------------------------------------------------------------


def test_finance_reads_the_admin_but_cannot_act(seed, open_order, finance):
    client = client_for(finance)
    listing = client.get(reverse("admin:backoffice_order_changelist"))
    assert listing.status_code == 200
    assert "cancel_orders" not in listing.content.decode()
    pk = Order.objects.get(order_id=open_order).pk
    action(client, "order", "cancel_orders", pk)
    assert store_order(seed.db, open_order).state.value == "new"
    action(client, "trader", "halt_traders", seed.trader.user.pk)
    assert not run(seed.db, lambda tr: Repository(tr).trader(seed.trader.trader_id)).halted
    assert client.get(reverse("admin:backoffice_trader_adjust")).status_code == 403
    page = client.get(reverse("admin:backoffice_order_change", args=[pk])).content.decode()
    assert "Cancel order" not in page
    assert client.get(reverse("admin:backoffice_ledgerentry_changelist")).status_code == 200
    assert not AuditLog.objects.exists()
    with pytest.raises(PermissionDenied):
        services.order_cancel(user=finance, order_id=open_order)


def test_ops_and_traders_have_no_back_office_admin(seed, ops):
    client = client_for(ops)
    for model in ("order", "ledgerentry", "balance", "trader", "venue"):
        assert client.get(reverse(f"admin:backoffice_{model}_changelist")).status_code == 403
    assert "backoffice" not in client.get(reverse("admin:index")).content.decode().lower()
    trader = client_for(seed.trader.user)
    answer = trader.get(reverse("admin:backoffice_order_changelist"))
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]
    staff_without_flag = client_for(user_in("backoffice-staff", is_staff=False))
    assert staff_without_flag.get(reverse("admin:index")).status_code == 302


def test_nobody_adds_changes_or_deletes_read_models(seed, staff_client):
    read_models_rebuild()
    for model in ("ledgerentry", "balance", "order", "fill", "position", "venue", "trader"):
        assert staff_client.get(reverse(f"admin:backoffice_{model}_add")).status_code == 403
    first = LedgerEntry.objects.first()
    delete = reverse("admin:backoffice_ledgerentry_delete", args=[first.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:backoffice_ledgerentry_change", args=[first.pk])
    assert staff_client.post(change, {"memo": "edited"}).status_code == 403
    assert LedgerEntry.objects.get(pk=first.pk).memo == first.memo
    page = staff_client.get(change).content.decode()
    assert first.postings.first().account in page  # postings inline, read-only


def test_every_back_office_page_renders_for_staff(seed, staff_client):
    read_models_rebuild()
    for model in (
        "order",
        "fill",
        "ledgerentry",
        "balance",
        "position",
        "instrument",
        "venue",
        "trader",
        "quarantinedreport",
        "deadletter",
    ):
        answer = staff_client.get(reverse(f"admin:backoffice_{model}_changelist"))
        assert answer.status_code == 200, model
    audit_log = staff_client.get(reverse("admin:audit_auditlog_changelist"))
    assert audit_log.status_code == 200
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert "Back office" in index and "Audit log" in index


# --- ledger safety in trading-core (issue 12) ---------------------------------------------------


def adjust(user: User, seed: Seed, amount: str, asset: str = "USD", submission: str = ""):
    return services.adjustment_post(
        user=user,
        trader_id=seed.trader.trader_id,
        asset=asset,
        amount=Decimal(amount),
        reason="test",
        submission_id=submission or str(uuid.uuid4()),
    )


def usd(seed: Seed) -> tuple[int, int]:
    """The trader's USD total and held, in minor units, from the store."""
    tid = seed.trader.trader_id
    return run(
        seed.db,
        lambda tr: (journal.balance(tr, f"trader:{tid}", "USD"), journal.held(tr, tid, "USD")),
    )


def test_a_debit_below_zero_is_refused_by_trading_core_itself(seed, staff):
    before = usd(seed)
    with pytest.raises(services.ActionRefused) as refused:
        adjust(staff, seed, "-99999999")
    assert refused.value.field == "amount" and "below zero" in refused.value.message
    # The same through trading-core's deposit, whoever calls it: the journal refuses.
    with pytest.raises(journal.Overdraft):
        run(
            seed.db,
            lambda tr: deposit(
                tr,
                entry_id="withdrawal:1",
                trader_id=seed.trader.trader_id,
                asset="USD",
                amount="-99999999",
                now=NOW,
            ),
        )
    assert usd(seed) == before
    assert not audit("ledger.adjustment")
    sound(seed.db)


def test_a_debit_below_what_open_orders_hold_is_refused(seed, staff, settings):
    settings.ADJUSTMENT_APPROVAL_OVER = {}  # no four eyes here: the debit is large
    place(seed.db, seed.trader.trader_id, quantity="10", limit_price="9000")  # rests, holds USD
    total, held = usd(seed)
    assert held > 0
    free = Decimal(total - held).scaleb(-8)
    with pytest.raises(services.ActionRefused) as refused:
        adjust(staff, seed, str(-(free + Decimal("0.01"))), submission=str(uuid.uuid4()))
    assert "held by open orders" in refused.value.message
    assert usd(seed) == (total, held)
    assert adjust(staff, seed, str(-free)).request.state == "posted"  # exactly what is free
    assert usd(seed) == (held, held)
    sound(seed.db)


def test_an_unknown_asset_is_refused_by_trading_core(seed, staff):
    with pytest.raises(services.ActionRefused) as refused:
        adjust(staff, seed, "10", asset="XYZ")
    assert refused.value.field == "asset" and "unknown asset XYZ" in refused.value.message
    assert run(seed.db, lambda tr: journal.balance(tr, "adjustments", "XYZ")) == 0


def test_the_same_submission_posts_once_through_the_service(seed, staff):
    submission = str(uuid.uuid4())
    first = adjust(staff, seed, "5", submission=submission)
    again = adjust(staff, seed, "7", submission=submission)  # even with another amount
    assert (first.repeated, again.repeated) == (False, True)
    assert run(seed.db, lambda tr: journal.balance(tr, "adjustments", "USD")) == -minor("5")


def test_a_large_adjustment_waits_for_a_second_staff_member(seed, staff, settings):
    settings.ADJUSTMENT_APPROVAL_OVER = {"USD": "1000"}
    second = user_in("backoffice-staff", name="second-staff")
    before = usd(seed)
    asked = adjust(staff, seed, "5000")
    assert asked.request.state == "pending" and usd(seed) == before
    assert [r.submission_id for r in services.pending_adjustments()] == [
        asked.request.submission_id
    ]
    with pytest.raises(services.ActionRefused, match="four eyes"):
        services.adjustment_decide(
            user=staff, submission_id=asked.request.submission_id, approve=True
        )
    assert usd(seed) == before
    approved = services.adjustment_decide(
        user=second, submission_id=asked.request.submission_id, approve=True
    )
    assert approved.request.state == "posted" and not approved.repeated
    assert usd(seed)[0] - before[0] == minor("5000")
    twice = services.adjustment_decide(
        user=second, submission_id=asked.request.submission_id, approve=True
    )
    assert twice.repeated and usd(seed)[0] - before[0] == minor("5000")
    rejected = adjust(staff, seed, "-2000")
    services.adjustment_decide(
        user=second, submission_id=rejected.request.submission_id, approve=False
    )
    assert usd(seed)[0] - before[0] == minor("5000") and services.pending_adjustments() == []
    actions = [(r.action, r.actor) for r in AuditLog.objects.order_by("at", "id")]
    assert actions == [
        ("ledger.adjustment.request", staff),
        ("ledger.adjustment.approve", second),
        ("ledger.adjustment.approve", second),
        ("ledger.adjustment.request", staff),
        ("ledger.adjustment.reject", second),
    ]
    approve = AuditLog.objects.filter(action="ledger.adjustment.approve").order_by("id")
    assert [r.after["posted"] for r in approve] == [True, False]
    sound(seed.db)


def test_four_eyes_in_the_admin_pages(seed, staff, staff_client, settings):
    settings.ADJUSTMENT_APPROVAL_OVER = {"USD": "1000"}
    form = adjustment_form(staff_client, seed.trader.user)
    data = {**form, "asset": "USD", "amount": "2500", "reason": "big refund"}
    answer = staff_client.post(form_url(form), data, follow=True)
    assert "pending" in answer.content.decode()
    pending_url = reverse("admin:backoffice_trader_adjust_pending")
    mine = staff_client.get(pending_url).content.decode()
    assert form["submission_id"] in mine and 'value="approve"' not in mine  # not your own
    second = client_for(user_in("backoffice-staff", name="approver"))
    listing = second.get(pending_url).content.decode()
    assert 'value="approve"' in listing
    before = usd(seed)
    decided = second.post(
        pending_url, {"submission_id": form["submission_id"], "decision": "approve"}, follow=True
    )
    assert "posted" in decided.content.decode()
    assert usd(seed)[0] - before[0] == minor("2500")
    log = staff_client.get(reverse("admin:audit_auditlog_changelist")).content.decode()
    assert "ledger.adjustment.request" in log and "ledger.adjustment.approve" in log


# --- audit records live in the store (issue 10) -------------------------------------------------


def test_an_audit_record_commits_with_its_action_and_reaches_the_audit_page(
    seed, staff, staff_client, monkeypatch
):
    # The process dies between the store commit and the copy into Django's table.
    monkeypatch.setattr(services, "sync_quietly", lambda: None)
    services.venue_set_halted(user=staff, venue="SIM-A", halted=True)
    assert not AuditLog.objects.exists()
    records = run(seed.db, lambda tr: audit_store.read_after(tr, None))
    assert [(r.action, r.actor) for _, r in records] == [("venue.halt", staff.username)]
    for _ in range(2):  # listing the audit log copies it, once
        page = staff_client.get(reverse("admin:audit_auditlog_changelist"))
        assert page.status_code == 200
    (row,) = AuditLog.objects.all()
    assert (row.action, row.actor, row.target) == ("venue.halt", staff, "venue:SIM-A")
    assert row.audit_id == records[0][1].audit_id


def test_a_replayed_audit_transaction_appends_once(seed, staff):
    record = audit_store.AuditRecord("a1", NOW, staff.pk, staff.username, "x", "y")
    assert run(seed.db, lambda tr: audit_store.append(tr, record))
    assert not run(seed.db, lambda tr: audit_store.append(tr, record))  # commit_unknown replay
    assert len(run(seed.db, lambda tr: audit_store.read_after(tr, None))) == 1


def test_a_refused_action_leaves_no_audit_record(seed, staff):
    with pytest.raises(services.ActionRefused):
        services.venue_set_halted(user=staff, venue="NOPE", halted=True)
    assert run(seed.db, lambda tr: audit_store.read_after(tr, None)) == []


# --- projections read-only for every role; remaining admin writes audited (issue 12) -----------


def test_trading_volume_is_read_only_for_every_role(staff, finance, db):
    from backoffice.finance.models import TradingVolume

    row = TradingVolume.objects.create(day=NOW.date(), orders=3, fills=5)
    superuser = User.objects.create_superuser("root-1", password="pass-1234")
    for user in (finance, staff, superuser):
        client = client_for(user)
        add = client.post(reverse("admin:finance_tradingvolume_add"), {"day": "2026-01-02"})
        assert add.status_code == 403, user
        change = reverse("admin:finance_tradingvolume_change", args=[row.pk])
        client.post(change, {"day": str(row.day), "orders": "999", "fills": "5"})
        assert TradingVolume.objects.get(pk=row.pk).orders == 3
        delete = reverse("admin:finance_tradingvolume_delete", args=[row.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    assert (
        client_for(finance).get(reverse("admin:finance_tradingvolume_changelist")).status_code
        == 200
    )


def test_adding_or_changing_an_environment_in_the_admin_is_audited(finance, db):
    from backoffice.finance.models import Environment

    client = client_for(finance)
    data = {"name": "QA", "tag": "qa", "monthly_budget": "100.00", "position": "7"}
    assert client.post(reverse("admin:finance_environment_add"), data).status_code == 302
    qa = Environment.objects.get(name="QA")
    change = reverse("admin:finance_environment_change", args=[qa.pk])
    assert client.post(change, {**data, "tag": "quality"}).status_code == 302
    rows = [(r.action, r.target, r.actor) for r in AuditLog.objects.order_by("id")]
    assert rows == [
        ("finance.environment.add", "QA", finance),
        ("finance.environment.change", "QA", finance),
    ]
    assert AuditLog.objects.get(action="finance.environment.change").after == {"tag": "quality"}
