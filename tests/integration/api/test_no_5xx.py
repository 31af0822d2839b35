"""Never a 5xx for anything a client sends: a property test over every numeric and date input
of every endpoint (quantity, limit_price, limit, created_after, created_before), with numbers
as JSON numbers written out exactly (1e999999999 is no float) and as strings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Decimal text of every size and precision: huge and tiny exponents, many digits, signs.
mantissas = st.from_regex(r"-?[0-9]{1,60}(\.[0-9]{1,60})?", fullmatch=True)
exponents = st.integers(min_value=-(10**9), max_value=10**9)
numbers = st.one_of(
    mantissas,
    st.builds(lambda m, e: f"{m}e{e}", mantissas, exponents),
    st.sampled_from(
        [
            "1e999999999",
            "-1e999999999",
            "1e-999999999",
            "0e999999999",
            "1E+5",
            "Infinity",
            "NaN",
            "-0",
            "0.0001",
            "3",
        ]
    ),
    st.integers(min_value=-(10**80), max_value=10**80).map(str),
)
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)
instants = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(9999, 12, 31, 23, 59, 59),  # noqa: DTZ001
        timezones=st.one_of(st.just(UTC), offsets),
    ).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00+13:57",
            "9999-12-31T23:59:59-13:57",
            "2026-13-01T00:00:00Z",
            "0",
            "-1",
            "",
        ]
    ),
    st.text(max_size=40),
)


def body(quantity: str, limit_price: str | None, as_string: bool) -> str:
    """An order body with the numbers written exactly as given (JSON number or string)."""

    def value(text: str) -> str:
        return json.dumps(text) if as_string else text

    price = "" if limit_price is None else f', "limit_price": {value(limit_price)}'
    return f'{{"instrument": "BTC-USD", "side": "buy", "quantity": {value(quantity)}{price}}}'


def test_order_numbers_never_get_a_5xx(api, transactional_db):
    @PROPERTY
    @given(quantity=numbers, limit_price=st.none() | numbers, as_string=st.booleans())
    def check(quantity, limit_price, as_string):
        answer = api.post(
            "/api/v1/orders",
            body(quantity, limit_price, as_string),
            content_type="application/json",
        )
        assert answer.status_code < 500, (quantity, limit_price, answer.content)
        if answer.status_code == 400:
            # a field at fault, or "detail" for a body that is not JSON ("00" is no number)
            assert set(answer.json()) <= {"quantity", "limit_price", "non_field_errors", "detail"}

    check()


def test_list_filters_never_get_a_5xx(api, transactional_db):
    @PROPERTY
    @given(
        path=st.sampled_from(["/api/v1/orders", "/api/v1/fills"]),
        after=st.none() | instants,
        before=st.none() | instants,
        limit=st.none() | numbers | st.text(max_size=10),
    )
    def check(path, after, before, limit):
        query = {
            k: v
            for k, v in {"created_after": after, "created_before": before, "limit": limit}.items()
            if v is not None
        }
        answer = api.get(path, query)
        assert answer.status_code < 500, (path, query, answer.content)

    check()


def test_the_two_reported_500s_are_400_and_200(api):
    answer = api.post(
        "/api/v1/orders", body("1e999999999", None, False), content_type="application/json"
    )
    assert answer.status_code == 400 and "quantity" in answer.json()
    answer = api.get("/api/v1/orders", {"created_after": "0001-01-01T00:00:00Z"})
    assert answer.status_code == 200 and answer.json()["results"] == []
