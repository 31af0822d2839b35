"""Brute force at /login and /admin/login/: django-axes locks the username and the address."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

PASSWORD = "the-right-password-1"
pytestmark = pytest.mark.django_db

PAGES = [("/login", "trader-x", False), ("/admin/login/", "staff-x", True)]


def _sign_in(client: Client, page: str, username: str, password: str) -> int:
    answer = client.post(page, {"username": username, "password": password, "next": "/"})
    return answer.status_code


def _signed_in(client: Client) -> bool:
    return settings.SESSION_COOKIE_NAME in client.cookies and bool(
        client.cookies[settings.SESSION_COOKIE_NAME].value
    )


@pytest.mark.parametrize(("page", "username", "staff"), PAGES)
def test_repeated_wrong_passwords_lock_the_user_until_reset(page, username, staff):
    User.objects.create_user(username, password=PASSWORD, is_staff=staff)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _sign_in(Client(), page, username, "wrong") in (200, 429)
    locked = Client()
    answer = locked.post(page, {"username": username, "password": PASSWORD, "next": "/"})
    assert answer.status_code == 429  # the right password, too late
    assert b"manage.py axes_reset_username" in answer.content  # what to do about it
    assert not _signed_in(locked)
    call_command("axes_reset_username", username)
    unlocked = Client()
    assert _sign_in(unlocked, page, username, PASSWORD) == 302
    assert _signed_in(unlocked)


@pytest.mark.parametrize(("page", "username", "staff"), PAGES)
def test_one_address_guessing_many_users_is_locked_too(page, username, staff):
    User.objects.create_user(username, password=PASSWORD, is_staff=staff)
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(attacker, page, f"someone-{n}", "guess")
    assert _sign_in(attacker, page, username, PASSWORD) == 429
    # The user from their own address is not locked by what another address did.
    assert _sign_in(Client(REMOTE_ADDR="10.1.1.1"), page, username, PASSWORD) == 302


def test_fewer_failures_than_the_limit_still_sign_in():
    User.objects.create_user("careless", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(Client(), "/login", "careless", "typo") == 200
    assert _sign_in(Client(), "/login", "careless", PASSWORD) == 302
