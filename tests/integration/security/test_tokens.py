"""API tokens: listed, issued, rotated, revoked and expiring, by the trader over REST, by staff
in the admin and by `manage.py api_tokens`; failed token attempts are limited; logout ends the
session."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.audit.models import AuditLog
from kernel import roles
from trading.tokens.models import ApiToken

BALANCES = "/api/v1/balances"


def _with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_trader_lists_issues_and_revokes_their_tokens(trader, api):
    listed = api.get("/api/v1/tokens").json()
    assert [t["prefix"] for t in listed["results"]] == [trader.token[:8]]
    assert "key" not in listed["results"][0]  # the whole key is shown once, when issued
    issued = api.post("/api/v1/tokens", {"name": "ci"}, format="json")
    assert issued.status_code == 201, issued.content
    new = issued.json()
    assert _with(new["key"]).get(BALANCES).status_code == 200
    assert len(api.get("/api/v1/tokens").json()["results"]) == 2
    assert api.delete(f"/api/v1/tokens/{new['token_id']}").status_code == 204
    assert _with(new["key"]).get(BALANCES).status_code == 401
    assert api.delete(f"/api/v1/tokens/{new['token_id']}").status_code == 404


def test_rotating_revokes_the_old_key_and_the_new_one_works(trader, api):
    token_id = api.get("/api/v1/tokens").json()["results"][0]["token_id"]
    rotated = api.post(f"/api/v1/tokens/{token_id}/rotate", {}, format="json")
    assert rotated.status_code == 201, rotated.content
    assert _with(trader.token).get(BALANCES).status_code == 401
    assert _with(rotated.json()["key"]).get(BALANCES).status_code == 200


def test_a_token_past_its_expiry_is_401(trader, api):
    soon = timezone.now() + timedelta(hours=1)
    issued = api.post("/api/v1/tokens", {"expires_at": soon.isoformat()}, format="json").json()
    assert _with(issued["key"]).get(BALANCES).status_code == 200
    token = ApiToken.objects.get(pk=issued["token_id"])  # as staff shortening it in the admin
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    assert _with(issued["key"]).get(BALANCES).status_code == 401
    listed = {t["token_id"]: t for t in api.get("/api/v1/tokens").json()["results"]}
    assert listed[issued["token_id"]]["expired"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "soon"}, "expires_at"),
        ({"name": "x" * 65}, "name"),
        ({"nmae": "typo"}, "nmae"),
    ],
)
def test_a_bad_issue_body_is_a_400_naming_the_field(api, body, field):
    answer = api.post("/api/v1/tokens", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()


def test_someone_elses_token_is_404(trader, api, db):
    other = User.objects.create_user("someone-else")
    theirs = ApiToken.objects.create(user=other, key="f" * 40)
    assert api.delete(f"/api/v1/tokens/{theirs.pk}").status_code == 404
    assert api.post(f"/api/v1/tokens/{theirs.pk}/rotate", {}, format="json").status_code == 404
    assert _with("f" * 40).get("/api/v1/tokens").status_code == 200  # still theirs, working


def test_the_token_endpoints_are_in_the_schema(api):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    assert {"/api/v1/tokens", "/api/v1/tokens/{token_id}", "/api/v1/tokens/{token_id}/rotate"} <= (
        set(paths)
    )


def test_the_command_issues_lists_rotates_and_revokes(trader):
    out = StringIO()
    call_command("api_tokens", "issue", trader.user.username, "--expires-days", "1", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    assert _with(key).get(BALANCES).status_code == 200
    listing = StringIO()
    call_command("api_tokens", "list", "--user", trader.user.username, stdout=listing)
    assert key[:8] in listing.getvalue()
    token = ApiToken.objects.get(key=key)
    rotated = StringIO()
    call_command("api_tokens", "rotate", str(token.pk), stdout=rotated)
    successor = rotated.getvalue().strip().splitlines()[-1]
    assert _with(key).get(BALANCES).status_code == 401
    assert _with(successor).get(BALANCES).status_code == 200
    call_command("api_tokens", "revoke", "--user", trader.user.username, stdout=StringIO())
    assert _with(successor).get(BALANCES).status_code == 401
    assert _with(trader.token).get(BALANCES).status_code == 401


def test_create_trader_prints_the_same_token_alone_on_its_last_line(store, db):
    outs = [StringIO(), StringIO()]
    for out in outs:
        call_command("create_trader", "printer", "--deposit", "USD=10", stdout=out)
    keys = [out.getvalue().strip().splitlines()[-1] for out in outs]
    assert keys[0] == keys[1]
    assert _with(keys[0]).get(BALANCES).status_code == 200


def test_staff_revoke_and_rotate_in_the_admin_with_an_audit_row(trader, db):
    staff = User.objects.create_user("staff-t", password="pw-staff-123", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=roles.STAFF)[0])
    admin = Client()
    admin.force_login(staff)
    token = ApiToken.objects.get(key=trader.token)
    page = admin.get("/admin/tokens/apitoken/")
    assert page.status_code == 200
    assert trader.token[:8].encode() in page.content
    assert trader.token.encode() not in page.content  # prefixes only
    admin.post(
        "/admin/tokens/apitoken/",
        {"action": "rotate_tokens", "_selected_action": [token.pk]},
        follow=True,
    )
    assert _with(trader.token).get(BALANCES).status_code == 401
    successor = ApiToken.objects.get(user=trader.user, revoked_at__isnull=True)
    admin.post(
        "/admin/tokens/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [successor.pk]},
        follow=True,
    )
    assert _with(successor.key).get(BALANCES).status_code == 401
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"api-token.rotate", "api-token.revoke"} <= actions


def test_a_trader_cannot_open_the_token_admin(trader):
    browser = Client()
    browser.force_login(trader.user)
    assert browser.get("/admin/tokens/apitoken/").status_code in (302, 403)


def test_failed_token_attempts_are_limited_per_address(trader, settings):
    settings.TOKEN_FAILURES_PER_MINUTE = 3
    guesser = APIClient(REMOTE_ADDR="10.7.7.7")
    for n in range(3):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token {n:040x}")
        assert guesser.get(BALANCES).status_code == 401
    guesser.credentials(HTTP_AUTHORIZATION=f"Token {trader.token}")
    assert guesser.get(BALANCES).status_code == 429  # even the right key, while over the limit
    assert _with(trader.token).get(BALANCES).status_code == 200  # other addresses go on


def test_the_throttle_counts_live_in_redis_shared_by_every_process():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    cache.set("shared-probe", 1, 5)
    import redis

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert any(b"shared-probe" in k for k in client.scan_iter(match="*shared-probe*"))
    cache.delete("shared-probe")


def test_logout_ends_the_session(trader, db):
    trader.user.set_password("pw-trader-123")
    trader.user.save()
    browser = Client()
    assert browser.post("/login", {"username": trader.user.username, "password": "pw-trader-123"})
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert browser.get(BALANCES).status_code == 200
    assert browser.post("/logout").status_code == 302
    replay = APIClient()
    replay.cookies[settings.SESSION_COOKIE_NAME] = session  # the old cookie, kept by an attacker
    assert replay.get(BALANCES).status_code in (401, 403)
    assert browser.get("/logout").status_code == 405  # only a POST (with CSRF) signs out


def test_staff_issue_a_token_in_the_admin_and_see_it_once(trader, db):
    staff = User.objects.create_user("staff-i", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=roles.STAFF)[0])
    admin = Client()
    admin.force_login(staff)
    page = admin.post(
        "/admin/tokens/apitoken/add/",
        {"user": trader.user.pk, "name": "from-staff", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    issued = ApiToken.objects.get(user=trader.user, name="from-staff")
    assert issued.key.encode() in page.content  # in the message, this once
    assert _with(issued.key).get(BALANCES).status_code == 200
    assert AuditLog.objects.filter(action="api-token.issue").count() == 1
