"""Venue payloads become the platform's report and quote (every exec_type, refusing what is not
the platform's), and the stream's handler emits them and moves its cursor only forward."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from contracts import registry
from contracts.venue import EXECUTION_REPORT, ExecutionReportV1
from infra.store.api import run
from trading.ingest import parse_report
from trading.repository import Repository
from venues.adapters.sim.parse import (
    decode_book,
    decode_report,
    parse_to_quote,
    parse_to_report,
    synthetic_report,
)
from venues.adapters.sim.stream import NewSession, VenueStream, stream_cursor

EXEC_TYPES = ["new", "trade", "expired", "canceled", "rejected"]


def on_the_wire(report: ExecutionReportV1) -> bytes:
    """The report as the venue pool's producer writes it (venues.runtime.emit_report)."""
    return registry.encode(
        EXECUTION_REPORT,
        message_id=report.message_id,
        key=report.order_id,
        created_at=datetime.now(UTC),
        payload=report,
    )


def venue_report(seq: int = 1, exec_type: str = "trade", coid: str = "O-1:EA-1") -> str:
    return json.dumps(
        {
            "type": "execution_report",
            "seq": seq,
            "venue": "SIM-A",
            "exec_id": f"E{seq}",
            "client_order_id": coid,
            "exec_type": exec_type,
            "order_status": "filled",
            "cum_qty": "1.20",
            "leaves_qty": "0",
            "last_qty": "1.2",
            "last_px": "9980.00",
            "fee": "11.976",
            "fee_asset": "USD",
            "venue_fill_id": "F1",
        }
    )


@pytest.mark.parametrize("exec_type", EXEC_TYPES)
def test_every_exec_type_becomes_a_report_ingest_accepts(exec_type):
    raw = json.loads(venue_report(exec_type=exec_type))
    report = parse_to_report(decode_report(raw), raw)
    assert (report.order_id, report.attempt_id, report.exec_type) == ("O-1", "EA-1", exec_type)
    assert report.message_id == "SIM-A:E1"  # the venue's id: a resend is seen once
    assert (report.cum_quantity, report.last_price, report.fee) == ("1.2", "9980", "11.976")
    parsed = parse_report(on_the_wire(report))
    assert (parsed.order_id, parsed.message_id, parsed.raw) == ("O-1", "SIM-A:E1", raw)


def test_an_unknown_exec_type_and_a_foreign_client_order_id_are_refused():
    unknown = json.loads(venue_report(exec_type="replaced"))
    with pytest.raises(ValueError, match="exec_type"):
        parse_to_report(decode_report(unknown), unknown)
    foreign = json.loads(venue_report(coid="someone-else"))
    with pytest.raises(ValueError, match="not a platform client order id"):
        parse_to_report(decode_report(foreign), foreign)


def test_the_adapter_s_own_report_is_one_message_however_often_it_is_written():
    one = synthetic_report("SIM-A", "O-1:EA-1", "rejected", "venue down")
    assert one == synthetic_report("SIM-A", "O-1:EA-1", "rejected", "venue down")
    assert (one.order_id, one.attempt_id, one.leaves_quantity) == ("O-1", "EA-1", "0")
    assert parse_report(on_the_wire(one)).exec_type.value == "rejected"
    with pytest.raises(ValueError):
        synthetic_report("SIM-A", "no-attempt", "rejected", "x")


def test_a_book_becomes_the_router_s_quote_and_an_empty_side_has_no_price():
    book = decode_book(
        {"seq": 7, "venue": "SIM-A", "instrument": "BTC-USD", "asks": [["9980", "1.5"]]}
    )
    quote = parse_to_quote(book)
    assert (quote.best_ask, quote.ask_size) == (Decimal("9980"), Decimal("1.5"))
    assert (quote.best_bid, quote.bid_size) == (None, Decimal(0))


def test_a_book_s_depth_is_kept_up_to_ten_levels_a_side_best_first():
    asks = [[str(9980 + i), "1"] for i in range(12)]
    book = decode_book({"seq": 8, "venue": "SIM-A", "instrument": "BTC-USD", "asks": asks})
    quote = parse_to_quote(book)
    assert len(quote.asks) == 10 and quote.bids == ()
    assert quote.asks[0] == (Decimal("9980"), Decimal("1"))
    assert quote.asks[-1] == (Decimal("9989"), Decimal("1"))


@pytest.fixture
def handled(seeded_db):
    emitted: list[ExecutionReportV1] = []
    flushes: list[int] = []
    stream = VenueStream(
        seeded_db, "ws://unused", "SIM-A", emitted.append, lambda: flushes.append(1)
    )
    return stream, emitted, flushes


def cursor(stream: VenueStream) -> tuple[str, int]:
    return run(stream.db, lambda tr: stream_cursor(tr, "SIM-A"))


def test_the_stream_emits_a_report_then_moves_its_cursor_only_forward(handled):
    stream, emitted, flushes = handled
    stream.handle(json.dumps({"type": "hello", "session": "S1"}))
    assert cursor(stream) == ("S1", 0)
    stream.handle(venue_report(seq=5))
    assert [r.exec_id for r in emitted] == ["E5"] and flushes  # flushed before the cursor
    assert cursor(stream) == ("S1", 5)
    stream.handle(venue_report(seq=3))  # a resend from before the cursor
    assert cursor(stream) == ("S1", 5)


def test_a_report_not_for_the_platform_is_skipped_and_the_stream_goes_on(handled):
    stream, emitted, _ = handled
    stream.handle(json.dumps({"type": "hello", "session": "S1"}))
    stream.handle(venue_report(seq=1, coid="someone-else"))
    assert emitted == [] and cursor(stream) == ("S1", 1)


def test_a_book_is_kept_as_the_venue_s_quote(handled):
    stream, _, _ = handled
    stream.handle(json.dumps({"type": "hello", "session": "S1"}))
    book = {"type": "book", "seq": 2, "venue": "SIM-A", "instrument": "BTC-USD"}
    stream.handle(json.dumps({**book, "asks": [["9990", "3"]], "bids": [["9960", "1"]]}))
    quote = run(stream.db, lambda tr: Repository(tr).quote("SIM-A", "BTC-USD"))
    assert (quote.best_ask, quote.best_bid) == (Decimal("9990"), Decimal("9960"))
    assert cursor(stream) == ("S1", 2)


def test_a_restarted_venue_starts_the_cursor_over(handled):
    stream, _, _ = handled
    stream.handle(json.dumps({"type": "hello", "session": "S1"}))
    stream.handle(venue_report(seq=9))
    with pytest.raises(NewSession):  # we asked from S1's seq 9: ask S2 again from 0
        stream.handle(json.dumps({"type": "hello", "session": "S2"}))
    assert cursor(stream) == ("S2", 0)
