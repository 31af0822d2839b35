"""FIX 4.4 framing, the MsgSeqNum rule and the adapter's parsing, in process."""

from __future__ import annotations

from decimal import Decimal

import pytest

from venues.adapters.fix import wire
from venues.adapters.fix.parse import parse_to_quote, parse_to_report, status_body
from venues.adapters.fix.wire import Framer, Garbled, SeqVerdict, check_seq


def frame(msg_type: str, fields: list[tuple[int, str]], seq: int = 1) -> bytes:
    return wire.encode(msg_type, sender="SIM-F", target="BACKOFFICE", seq=seq, fields=fields)


def test_a_frame_that_comes_in_pieces_is_one_message_and_two_frames_are_two():
    data = frame("0", [(wire.TEST_REQ_ID, "T1")]) + frame("1", [(wire.TEST_REQ_ID, "T2")], seq=2)
    framer = Framer()
    got = []
    for i in range(0, len(data), 7):
        got += framer.feed(data[i : i + 7])
    assert [(m.msg_type, m.seq, m.get(wire.TEST_REQ_ID)) for m in got] == [
        ("0", 1, "T1"),
        ("1", 2, "T2"),
    ]


def test_a_wrong_checksum_or_a_foreign_frame_is_garbled():
    data = bytearray(frame("0", []))
    data[-3] = ord("0") if data[-3] != ord("0") else ord("1")  # one digit of the CheckSum
    with pytest.raises(Garbled):
        Framer().feed(bytes(data))
    with pytest.raises(Garbled):
        Framer().feed(b"8=FIX.4.2\x019=5\x0135=0\x0110=000\x01")


@pytest.mark.parametrize(
    ("seq", "poss_dup", "verdict"),
    [
        (5, False, SeqVerdict.IN_ORDER),
        (7, False, SeqVerdict.GAP),
        (3, True, SeqVerdict.DUPLICATE),
        (3, False, SeqVerdict.TOO_LOW),
    ],
)
def test_the_msg_seq_num_rule(seq, poss_dup, verdict):
    assert check_seq(seq, 5, poss_dup) is verdict


def message(fields: list[tuple[int, str]], msg_type: str = "8") -> wire.Message:
    [parsed] = Framer().feed(frame(msg_type, fields, seq=9))
    return parsed


def test_a_trade_report_becomes_the_platform_s_report_with_its_fill_id_and_fee():
    trade = message(
        [
            (wire.CL_ORD_ID, "O1:EA-2"),
            (wire.EXEC_ID, "SIM-F-E-x-000002"),
            (wire.EXEC_TYPE, "F"),
            (wire.ORD_STATUS, "2"),
            (wire.LAST_QTY, "1.8"),
            (wire.LAST_PX, "9990"),
            (wire.CUM_QTY, "1.8"),
            (wire.LEAVES_QTY, "0"),
            (wire.TRD_MATCH_ID, "SIM-F-F-x-000001"),
            (wire.COMMISSION, "17.98200000"),
            (wire.COMM_CURRENCY, "USD"),
            (wire.TRANSACT_TIME, "20250102-03:04:05.123"),
        ]
    )
    report = parse_to_report("SIM-F", trade)
    assert (report.order_id, report.attempt_id, report.exec_type) == (
        "O1",
        "EA-2",
        "trade",
    )
    assert (report.last_quantity, report.last_price, report.fee) == (
        "1.8",
        "9990",
        "17.982",
    )
    assert report.venue_fill_id == "SIM-F-F-x-000001"
    assert report.message_id == "SIM-F:SIM-F-E-x-000002"
    assert report.transact_time == "2025-01-02T03:04:05.123000+00:00"


def test_a_status_answer_reads_as_the_venue_order_reconciliation_decides_on():
    fill = message(
        [
            (wire.CL_ORD_ID, "O1:EA-1"),
            (wire.EXEC_TYPE, "I"),
            (wire.TRD_MATCH_ID, "F-1"),
            (wire.LAST_QTY, "1.2"),
            (wire.LAST_PX, "9980"),
            (wire.COMMISSION, "11.976"),
            (wire.LAST_RPT_REQUESTED, "N"),
        ]
    )
    last = message(
        [
            (wire.CL_ORD_ID, "O1:EA-1"),
            (wire.EXEC_TYPE, "I"),
            (wire.ORD_STATUS, "C"),
            (wire.ORDER_QTY, "3"),
            (wire.CUM_QTY, "1.2"),
            (wire.LEAVES_QTY, "0"),
            (wire.LAST_RPT_REQUESTED, "Y"),
        ]
    )
    status, body = status_body([fill, last])
    assert status == 200
    assert (body["status"], body["cum_qty"], body["quantity"]) == ("expired", "1.2", "3")
    assert body["fills"] == [
        {
            "venue_fill_id": "F-1",
            "qty": "1.2",
            "price": "9980",
            "fee": "11.976",
            "fee_asset": "",
            "ts": None,
        }
    ]
    unknown = message([(wire.EXEC_TYPE, "I"), (wire.ORD_STATUS, "8"), (wire.ORD_REJ_REASON, "5")])
    assert status_body([unknown])[0] == 404


def test_a_market_data_snapshot_is_the_best_bid_and_ask():
    snapshot = message(
        [
            (wire.SYMBOL, "BTC-USD"),
            (wire.NO_MD_ENTRIES, "3"),
            (wire.MD_ENTRY_TYPE, "0"),
            (wire.MD_ENTRY_PX, "9960"),
            (wire.MD_ENTRY_SIZE, "5"),
            (wire.MD_ENTRY_TYPE, "1"),
            (wire.MD_ENTRY_PX, "9990"),
            (wire.MD_ENTRY_SIZE, "1"),
            (wire.MD_ENTRY_TYPE, "1"),
            (wire.MD_ENTRY_PX, "9991"),
            (wire.MD_ENTRY_SIZE, "5"),
        ],
        msg_type="W",
    )
    quote = parse_to_quote("SIM-F", snapshot)
    assert (quote.best_bid, quote.bid_size) == (Decimal(9960), Decimal(5))
    assert (quote.best_ask, quote.ask_size) == (Decimal(9990), Decimal(1))
    # The depth behind the touch too, best first, for the split strategy.
    assert quote.asks == ((Decimal(9990), Decimal(1)), (Decimal(9991), Decimal(5)))
    assert quote.bids == ((Decimal(9960), Decimal(5)),)
