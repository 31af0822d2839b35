"""Staff's actions in the admin reach Django's own history: the admin index's "Recent actions"
lists each one, naming the object and what was done, linked to its page."""

from __future__ import annotations

import html
import re

from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from backoffice.finance import services as finance
from backoffice.mirror import mirror_reference
from backoffice.models import Order, Venue
from backoffice.rebuild import read_models_rebuild
from kernel import roles
from tests.integration.backoffice.conftest import Seed, client_for, place, user_in
from tests.integration.backoffice.test_admin import action, adjustment_form, form_url
from trading.tokens.models import ApiToken


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def _box(client: Client) -> str:
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    box = re.search(r'id="recent-actions-module">(.*?)</div>', page.content.decode(), re.S)
    assert box, "the index has a Recent actions box"
    return box.group(1)


def recent_actions(client: Client) -> list[str]:
    """The admin index's "Recent actions", newest first: "<object> | <type> | <change>"."""
    found = []
    for item in re.findall(r"<li[^>]*>(.*?)</li>", _box(client), re.S):
        obj = re.search(r'class="object"[^>]*>(.*?)</', item, re.S)
        kind = re.search(r'<span class="mini quiet">(.*?)</span>', item, re.S)
        change = re.search(r'class="mini change-message">(.*?)</span>', item, re.S)
        found.append(" | ".join(_text(m.group(1)) if m else "" for m in (obj, kind, change)))
    return found


def links(client: Client) -> list[str]:
    return re.findall(r'<a class="object" href="([^"]+)"', _box(client))


def test_staff_actions_on_the_store_are_listed_under_recent_actions(seed: Seed, staff, settings):
    settings.ADJUSTMENT_APPROVAL_OVER = {"USD": "1000"}
    client = client_for(staff)
    assert recent_actions(client) == []  # "None available" before anything was done
    open_order = place(seed.db, seed.trader.trader_id, quantity="0.5", limit_price="9990")
    read_models_rebuild()
    order = Order.objects.get(order_id=open_order)
    assert action(client, "order", "cancel_orders", order.pk).status_code == 302
    user = seed.trader.user
    action(client, "trader", "halt_traders", user.pk)
    action(client, "trader", "resume_traders", user.pk)
    mirror_reference()  # as the projector process does
    sim_a = Venue.objects.get(name="SIM-A")
    action(client, "venue", "halt_venues", sim_a.pk)
    form = adjustment_form(client, user)
    small = {**form, "asset": "USD", "amount": "25", "reason": "goodwill"}
    client.post(form_url(form), small)
    client.post(form_url(form), small)  # the same form again posts nothing: no second line
    big_form = adjustment_form(client, user)
    client.post(form_url(big_form), {**big_form, "asset": "USD", "amount": "2500", "reason": "big"})

    lines = recent_actions(client)
    assert lines == [
        f"{user.username} | Trader | Adjustment 2500 USD requested, pending approval: big",
        f"{user.username} | Trader | Adjustment 25 USD posted: goodwill",
        "SIM-A | Venue | Halted (kill switch)",
        f"{user.username} | Trader | Resumed",
        f"{user.username} | Trader | Halted: no new orders",
        f"{order} | Order | Cancel sent through trading-core: cancel_pending",
    ]
    trader_page = reverse("admin:backoffice_trader_change", args=[user.pk])
    assert trader_page in links(client)
    assert reverse("admin:backoffice_order_change", args=[order.pk]) in links(client)

    approver = client_for(user_in(roles.STAFF, name="approver"))
    pending = reverse("admin:backoffice_trader_adjust_pending")
    approver.post(pending, {"submission_id": big_form["submission_id"], "decision": "approve"})
    approver.post(pending, {"submission_id": big_form["submission_id"], "decision": "approve"})
    assert recent_actions(approver) == [
        f"{user.username} | Trader | Adjustment 2500 USD posted (requested by {staff.username})"
    ]
    history = client.get(reverse("admin:backoffice_trader_history", args=[user.pk]))
    assert "Adjustment 2500 USD posted" in history.content.decode()  # the trader's History page


def test_a_refused_action_writes_no_line(seed: Seed, staff):
    read_models_rebuild()
    client = client_for(staff)
    filled = Order.objects.get(order_id=seed.order_id)
    action(client, "order", "cancel_orders", filled.pk)  # already filled: refused
    assert recent_actions(client) == []
    assert not LogEntry.objects.exists()


def test_token_rotation_and_revocation_are_listed(seed: Seed, staff):
    client = client_for(staff)
    token = ApiToken.objects.get(key=seed.trader.token)
    client.post(
        "/admin/tokens/apitoken/", {"action": "rotate_tokens", "_selected_action": [token.pk]}
    )
    successor = ApiToken.objects.get(user=seed.trader.user, revoked_at__isnull=True)
    client.post(
        "/admin/tokens/apitoken/", {"action": "revoke_tokens", "_selected_action": [successor.pk]}
    )
    assert recent_actions(client) == [
        f"{successor} | API token | Revoked",
        f"{successor} | API token | Issued by rotating {token.prefix}…",
        f"{token} | API token | Rotated: revoked, replaced by {successor.prefix}…",
    ]


def test_a_focus_import_is_listed(db):
    finance.environments_seed()
    user = user_in(roles.FINANCE)
    client = client_for(user)
    csv = "ChargePeriodStart,ServiceCategory,BilledCost,BillingCurrency,Environment\n"
    csv += "2026-11-24,Compute,10,USD,Prod\n2026-11-24,Storage,5,USD,Dev\n"
    upload = SimpleUploadedFile("nov.csv", csv.encode(), content_type="text/csv")
    answer = client.post(reverse("admin:finance_costrecord_import_focus"), {"file": upload})
    assert answer.status_code == 302
    assert recent_actions(client) == [
        "FOCUS import nov.csv | Cost record | 2 rows: 2 cost records added, 0 updated"
    ]
