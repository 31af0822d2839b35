"""Ingest's edge: a report is decoded by its contract (in its envelope), the shape before the
envelope is still taken for one release, and what is neither is refused with its reason."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from tests.support.reports import NOW, contract_report, report, wire
from trading.domain.reports import ExecType
from trading.ingest import BadReport, parse_report

FILL = report("O-1", "EA-1", "SIM-A", "trade", cum="1.2", qty="1.2", price="9980")


def test_an_enveloped_report_becomes_the_domain_s_with_exact_numbers():
    parsed = parse_report(wire(FILL))
    assert (parsed.message_id, parsed.exec_type, parsed.last_quantity) == (
        FILL.message_id,
        ExecType.TRADE,
        Decimal("1.2"),
    )
    assert parsed.transact_time == NOW


def test_a_bare_report_of_the_release_before_is_still_applied():
    bare = {**msgspec.to_builtins(contract_report(FILL)), "message_id": FILL.message_id}
    parsed = parse_report(msgspec.json.encode(bare))
    assert (parsed.message_id, parsed.cum_quantity) == (FILL.message_id, Decimal("1.2"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "malformed"),
        (wire(FILL, exec_type="replaced"), "`$.payload.exec_type`"),
        (wire(FILL, last_price="NaN"), "`$.payload.last_price`"),
        (
            wire(FILL).replace(
                b'"transact_time":"2026-11-25T12:00:00+00:00"',
                b'"transact_time":"2026-11-25T12:00:00"',
            ),
            "`$.payload.transact_time`",  # a time without its zone
        ),
        (b'{"message_id": "m", "venue": "SIM-A"}', "missing required field"),
    ],
)
def test_what_is_not_a_report_is_refused_with_its_reason(data, reason):
    with pytest.raises(BadReport, match=reason.replace("$", "[$]")):
        parse_report(data)
