"""The dashboard over a chosen date range, its drill-down to the cost records behind a figure,
and a tooltip on every point of the trend."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from backoffice.finance import services
from backoffice.finance.models import CostRecord
from kernel import roles
from tests.integration.finance.factories import UserFactory, finance_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    services.seed_costs(days=30)
    signed_in = Client()
    signed_in.force_login(finance_user())
    return signed_in


def test_a_date_range_narrows_every_figure(client):
    today = timezone.localdate()
    start = today - timedelta(days=6)
    answer = client.get("/finance/", {"from": start.isoformat(), "to": today.isoformat()})
    board = answer.context["board"]
    assert (board.window.day_from, board.window.day_to) == (start, today)
    assert all(len(env.trend) == 7 for env in board.environments)
    html = answer.content.decode()
    assert html.count('class="trend-point"') == 7 * len(board.environments)  # every point
    assert f'value="{start.isoformat()}"' in html  # the form shows the range


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"from": "yesterday"}, "Dates are written like 2026-11-01"),
        ({"from": "2026-11-20", "to": "2026-11-10"}, "The start is after the end"),
        ({"to": "2999-01-01"}, "The end is after today"),
    ],
)
def test_a_bad_range_is_explained_and_the_last_30_days_shown(client, query, says):
    answer = client.get("/finance/", query)
    assert answer.status_code == 200
    assert len(answer.context["board"].window.days) == 30
    assert says in answer.content.decode()


def test_every_trend_point_has_its_tooltip_and_leads_to_its_records(client):
    html = client.get("/finance/").content.decode()
    points = re.findall(
        r'<a href="([^"]+)"><circle class="trend-point"[^>]*><title>([^<]+)</title>', html
    )
    assert len(points) == 4 * 30  # four environments, thirty days
    href, title = points[0]
    assert re.fullmatch(r"\w+: \$[\d,.]+[kM]?/day on \d\d \w{3} \d{4}", title), title
    records = client.get(href.replace("&amp;", "&"))
    assert records.status_code == 200
    assert len(records.context["records"]) == 4  # one environment, one day, four categories


def test_a_cell_drills_down_to_exactly_its_cost_records(client):
    today = timezone.localdate()
    html = client.get("/finance/").content.decode()
    link = re.search(r'<a class="drill" href="([^"]+category=Compute)"', html).group(1)
    answer = client.get(link.replace("&amp;", "&"))
    found = answer.context["records"]
    environment = found[0].environment
    expected = CostRecord.objects.filter(
        environment=environment,
        service_category="Compute",
        charge_period_start__gte=today - timedelta(days=29),
    )
    assert {r.pk for r in found} == {r.pk for r in expected} and len(found) == 30
    assert answer.context["total"] == sum((r.billed_cost for r in expected), Decimal(0))
    assert "Back to the dashboard" in answer.content.decode()


def test_the_records_are_for_finance_only():
    for role in (roles.OPS, roles.TRADER, roles.STAFF):
        other = Client()
        other.force_login(UserFactory(roles=[role], is_staff=True))
        assert other.get("/finance/records").status_code == 403
