"""Who a token is comes from a short-lived cache (trading/api/edge_cache.py): a revoked token,
a deactivated user or a trader who lost the role is refused on the very next request."""

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kernel import roles
from trading.api import edge_cache
from trading.tokens.models import ApiToken


def test_a_known_token_costs_no_query_before_the_view(api, trader):
    assert api.get("/api/v1/instruments").status_code == 200  # the first one fills the cache
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/instruments").status_code == 200
    assert [q["sql"] for q in queries.captured_queries] == []


def test_a_revoked_token_is_refused_at_once(api, trader):
    assert api.get("/api/v1/balances").status_code == 200
    ApiToken.objects.filter(key=trader.token).delete()  # queryset delete: no signal per row
    edge_cache.invalidate_token(trader.token)  # what a change outside the ORM must call
    assert api.get("/api/v1/balances").status_code == 401


def test_a_token_deleted_through_the_orm_forgets_itself(api, trader):
    assert api.get("/api/v1/balances").status_code == 200
    ApiToken.objects.get(key=trader.token).delete()
    assert api.get("/api/v1/balances").status_code == 401


def test_a_deactivated_user_is_refused_at_once(api, trader):
    assert api.get("/api/v1/balances").status_code == 200
    trader.user.is_active = False
    trader.user.save()
    assert api.get("/api/v1/balances").status_code == 401


def test_a_trader_who_loses_the_role_gets_403_at_once(api, trader):
    assert api.get("/api/v1/balances").status_code == 200
    trader.user.groups.remove(Group.objects.get(name=roles.TRADER))
    assert api.get("/api/v1/balances").status_code == 403
