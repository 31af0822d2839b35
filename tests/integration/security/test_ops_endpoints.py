"""/metrics only with the bearer token; /healthz's parts only for staff, ops or that token."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from kernel import roles

TOKEN = "metrics-token-for-this-test-0123456789"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Token {TOKEN}", "Bearer "])
def test_metrics_without_the_token_is_401(metrics_token, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = Client().get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert b"trading_orders" not in answer.content
    assert b"python_info" not in answer.content


@pytest.mark.django_db
def test_metrics_with_the_token(metrics_token):
    answer = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert b"django_http_requests_total_by_method_total" in answer.content


@pytest.mark.django_db
def test_no_configured_token_means_nobody_reads_metrics(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def _user(name: str, role: str | None) -> Client:
    user = User.objects.create_user(name)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def kafka_down(settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = ""  # one part really does not answer


@pytest.mark.django_db
def test_healthz_tells_an_anonymous_caller_only_down(kafka_down, store):
    for client in (Client(), _user("a-trader", roles.TRADER)):
        answer = client.get("/healthz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "down"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["staff", "ops", "token"])
def test_healthz_details_for_staff_ops_and_the_metrics_token(kafka_down, store, metrics_token, who):
    if who == "token":
        client, headers = Client(), {"Authorization": f"Bearer {TOKEN}"}
    else:
        client, headers = _user(f"{who}-user", roles.STAFF if who == "staff" else roles.OPS), {}
    answer = client.get("/healthz", headers=headers)
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "down"
    assert body["parts"]["kafka"].startswith("down: RuntimeError: KAFKA_BOOTSTRAP_SERVERS")
    assert body["parts"]["store"] == "ok"


@pytest.mark.django_db
def test_healthz_ok_when_every_part_answers(store, kafka_bootstrap, settings, metrics_token):
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    assert Client().get("/healthz").json() == {"status": "ok"}
    detailed = Client().get("/healthz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert detailed.status_code == 200
    assert set(detailed.json()["parts"].values()) == {"ok"}


def test_livez_answers_without_checking_the_parts(client):
    assert client.get("/livez").json() == {"status": "alive"}
