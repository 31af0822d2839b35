"""Reconciliation's decision table: store attempt + age + venue answer -> reports to feed."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from venues.recovery.decide import LiveAttempt, VenueAnswer, decide

BOUND = 30.0
D = Decimal


def attempt(state="pending", filled="0", age=1.0, end_known=False):
    return LiveAttempt("SIM-A", "O1", "EA-1", state, D(filled), age, end_known)


def venue(status, cum="0", fills=(), quantity="3", reason=None):
    return VenueAnswer(
        200,
        {
            "client_order_id": "O1:EA-1",
            "status": status,
            "quantity": quantity,
            "cum_qty": cum,
            "leaves_qty": "0",
            "reason": reason,
            "fills": [
                {
                    "venue_fill_id": fid,
                    "qty": q,
                    "price": p,
                    "fee": "0.1",
                    "fee_asset": "USD",
                    "ts": "2026-01-01T00:00:00+00:00",
                }
                for fid, q, p in fills
            ],
        },
    )


NOT_FOUND = VenueAnswer(404, {"error": "unknown order"})
F1 = ("F-1", "1.2", "9980")
F2 = ("F-2", "0.8", "9981")


def kinds(reports):
    return [(r.exec_type, r.cum_quantity, r.venue_fill_id) for r in reports]


@pytest.mark.parametrize(
    ("store", "answer", "found", "expected"),
    [
        # the venue did not answer: nothing is decided this round
        (attempt(), None, "venue-unavailable", []),
        # the venue never saw it, still young: its place may be on the way
        (attempt(age=BOUND - 1), NOT_FOUND, "not-yet-at-venue", []),
        # the venue never saw it, past the bound: ended as not placed
        (attempt(age=BOUND + 1), NOT_FOUND, "not-placed", [("rejected", "0", None)]),
        # an IOC that expired with one fill, none of which reached the store
        (
            attempt(),
            venue("expired", "1.2", [F1]),
            "ended-at-venue",
            [("trade", "1.2", "F-1"), ("expired", "1.2", None)],
        ),
        # filled in two fills, the first already applied: both fed (dedupe keeps one), no end
        (
            attempt("working", "1.2"),
            venue("filled", "2", [F1, F2], quantity="2"),
            "ended-at-venue",
            [("trade", "1.2", "F-1"), ("trade", "2", "F-2")],
        ),
        # the store knows the end and waits for a fill: only the fills
        (
            attempt("working", "0", end_known=True),
            venue("expired", "1.2", [F1]),
            "ended-at-venue",
            [("trade", "1.2", "F-1")],
        ),
        # ended with nothing filled, the end report lost
        (attempt("working"), venue("expired"), "ended-at-venue", [("expired", "0", None)]),
        (attempt(), venue("canceled"), "ended-at-venue", [("canceled", "0", None)]),
        (attempt(), venue("rejected", reason="no"), "ended-at-venue", [("rejected", "0", None)]),
        # working at the venue (GTC), its ack lost
        (attempt(), venue("new"), "working", [("new", "0", None)]),
        # working at the venue, the store in step
        (attempt("working"), venue("new"), "in-step", []),
        (attempt("working", "1.2"), venue("partially_filled", "1.2", [F1]), "in-step", []),
        # an answer that is neither: wait
        (attempt(), VenueAnswer(500, {}), "venue-answered-500", []),
    ],
)
def test_decision_table(store, answer, found, expected):
    what, reports = decide(store, answer, BOUND)
    assert what == found
    assert kinds(reports) == expected


def test_reports_are_deterministic_so_a_second_round_is_deduplicated():
    first = decide(attempt(), venue("expired", "1.2", [F1]), BOUND)[1]
    second = decide(attempt(), venue("expired", "1.2", [F1]), BOUND)[1]
    assert [r.exec_id for r in first] == [r.exec_id for r in second]
    assert len({r.exec_id for r in first}) == 2
    trade = first[0]
    assert trade.message_id == f"SIM-A:{trade.exec_id}"
    assert (trade.last_quantity, trade.last_price, trade.fee) == ("1.2", "9980", "0.1")
    assert trade.order_id == "O1" and trade.attempt_id == "EA-1"


def test_not_placed_carries_a_clear_reason_and_what_the_store_applied():
    [report] = decide(attempt(age=BOUND + 5), NOT_FOUND, BOUND)[1]
    assert report.reason.startswith("not placed: SIM-A never received it")
    assert report.cum_quantity == "0"


def test_reports_decode_as_the_platform_s_execution_report():
    from contracts import registry
    from trading.ingest import parse_report

    for report in decide(attempt(), venue("expired", "1.2", [F1]), BOUND)[1]:
        wire = registry.encode(
            "evt.venue.execution.report.v1",
            message_id=report.message_id,
            key=report.order_id,
            created_at=datetime.now(UTC),
            payload=report,
        )
        parsed = parse_report(wire)
        assert (parsed.venue, parsed.message_id) == ("SIM-A", report.message_id)
