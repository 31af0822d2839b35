"""Each topic's one struct: what producers write is what consumers decode, byte for byte as the
wire had it, and a message that breaks its contract is refused with the field named."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime

import msgspec
import pytest

from contracts import registry
from contracts.envelope import Refused
from contracts.ledger import ENTRY, EntryV1, PostingV1
from contracts.trading import (
    FILL,
    ORDER,
    AttemptState,
    AttemptV1,
    FillV1,
    LastFillV1,
    OrderDeltaV1,
    OrderState,
)
from contracts.venue import (
    CANCEL,
    EXECUTION_REPORT,
    PLACE,
    CancelAttemptV1,
    ExecType,
    ExecutionReportV1,
    PlaceAttemptV1,
)
from trading.domain.lifecycle import AttemptState as DomainAttemptState
from trading.domain.lifecycle import OrderState as DomainOrderState
from trading.domain.reports import ExecType as DomainExecType

NOW = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
STAMP = NOW.isoformat()  # "2026-11-25T12:00:00.123456+00:00", as the wire has always had it

DELTA = OrderDeltaV1(
    order_id="O-1",
    trader_id="T1",
    seq=3,
    state="partially_filled",
    instrument="BTC-USD",
    quantity="3",
    filled_quantity="1.2",
    remaining_quantity="1.8",
    average_price="9980",
    attempts=[AttemptV1("EA-1", "SIM-A", "3", "1.2", "expired")],
    updated_at=STAMP,
    last_fill=LastFillV1("O-1-F1", "EA-1", "SIM-A", "1.2", "9980"),
)
EXAMPLES: dict[str, msgspec.Struct] = {
    PLACE: PlaceAttemptV1(
        "O-1", "EA-2", "O-1:EA-2", "SIM-B", "BTC-USD", "buy", "1.8", "limit", "10000", "IOC"
    ),
    CANCEL: CancelAttemptV1("O-1", "EA-2", "O-1:EA-2", "SIM-B"),
    EXECUTION_REPORT: ExecutionReportV1(
        "SIM-A", "E1", "O-1", "EA-1", "trade", "1.2", "1.8", "1.2", "9980", "11.976", "USD", "F1"
    ),
    ORDER: DELTA,
    FILL: FillV1(
        "O-1-F1", "O-1", "EA-1", "SIM-A", "F1", "BTC-USD", "buy", "1.2", "9980", "11.976", "USD",
        STAMP, "T1",
    ),
    ENTRY: EntryV1(
        "O-1-F1:trade", "fill", "O-1", "fill", None, STAMP,
        [PostingV1("trader:T1", "BTC", 120_000_000), PostingV1("venue:SIM-A", "BTC", -120_000_000)],
    ),
}  # fmt: skip


def wire(topic: str, payload: msgspec.Struct) -> bytes:
    return registry.encode(topic, message_id="m-1", key="O-1", created_at=NOW, payload=payload)


def test_every_topic_has_one_struct_and_an_example_here():
    assert set(registry.TOPICS) == set(EXAMPLES)


@pytest.mark.parametrize("topic", sorted(EXAMPLES))
def test_what_a_producer_encodes_its_consumer_decodes_unchanged(topic):
    message = registry.decode(topic, wire(topic, EXAMPLES[topic]))
    assert (message.message_id, message.type, message.key) == ("m-1", topic, "O-1")
    assert message.created_at == STAMP
    assert message.payload == EXAMPLES[topic]


def test_the_delta_keeps_today_s_wire_shape():
    body = json.loads(wire(ORDER, DELTA))
    assert list(body) == ["message_id", "type", "key", "created_at", "payload"]
    delta = body["payload"]
    assert list(delta)[:3] == ["type", "order_id", "trader_id"]
    assert delta["type"] == "order.delta"
    assert (delta["quantity"], delta["updated_at"]) == ("3", STAMP)  # strings, +00:00
    assert delta["last_fill"]["price"] == "9980"
    no_fill = json.loads(wire(ORDER, msgspec.structs.replace(DELTA, last_fill=msgspec.UNSET)))
    assert "last_fill" not in no_fill["payload"]  # absent, not null


@pytest.mark.parametrize(
    ("topic", "change", "field"),
    [
        (ORDER, {"quantity": "3.000000001"}, "$.payload.quantity"),  # 9 decimals
        (ORDER, {"filled_quantity": "1e3"}, "$.payload.filled_quantity"),  # exponent
        (ORDER, {"average_price": 9980}, "$.payload.average_price"),  # a number, not a string
        (ORDER, {"seq": 0}, "$.payload.seq"),
        (ORDER, {"seq": True}, "$.payload.seq"),
        (ORDER, {"state": "half_done"}, "$.payload.state"),
        (ORDER, {"updated_at": "2026-11-25T12:00:00"}, "$.payload.updated_at"),  # no zone
        (ORDER, {"type": "order.snapshot"}, "$.payload.type"),
        (FILL, {"fee": "-1"}, "$.payload.fee"),
        (PLACE, {"side": "short"}, "$.payload.side"),
        (EXECUTION_REPORT, {"last_price": "NaN"}, "$.payload.last_price"),
        (EXECUTION_REPORT, {"exec_type": "replaced"}, "$.payload.exec_type"),
        (ENTRY, {"postings": [{"account": "a", "asset": "USD", "amount_minor": "1"}]}, "postings"),
    ],
)
def test_a_message_that_breaks_its_contract_is_refused_naming_the_field(topic, change, field):
    body = json.loads(wire(topic, EXAMPLES[topic]))
    body["payload"].update(change)
    with pytest.raises(Refused, match=f"bad {topic} message: .*{field.replace('$', '[$]')}"):
        registry.decode(topic, json.dumps(body))


@pytest.mark.parametrize("topic", sorted(EXAMPLES))
def test_a_required_field_missing_is_refused(topic):
    body = json.loads(wire(topic, EXAMPLES[topic]))
    required = msgspec.structs.fields(type(EXAMPLES[topic]))[0].encode_name
    del body["payload"][required]
    with pytest.raises(Refused, match=f"missing required field `{required}`"):
        registry.decode(topic, json.dumps(body))


def test_an_envelope_of_another_type_or_without_its_zone_is_refused():
    body = json.loads(wire(ORDER, DELTA))
    with pytest.raises(Refused, match="its type is 'evt.trading.fill.v1'"):
        registry.decode(ORDER, json.dumps({**body, "type": FILL}))
    with pytest.raises(Refused, match="created_at"):
        registry.decode(ORDER, json.dumps({**body, "created_at": "2026-11-25T12:00:00"}))
    with pytest.raises(Refused, match="created_at"):
        registry.decode(ORDER, json.dumps({**body, "created_at": "2026-13-25T12:00:00Z"}))
    with pytest.raises(Refused, match="no contract for 'evt.trading.nothing.v1'"):
        registry.decode("evt.trading.nothing.v1", b"{}")


def test_unknown_fields_are_ignored_so_a_later_optional_field_breaks_no_reader():
    body = json.loads(wire(ORDER, DELTA))
    body["payload"]["venue_hint"] = "SIM-A"
    assert registry.decode(ORDER, json.dumps(body)).payload == DELTA


def test_a_producer_cannot_put_another_topic_s_struct_in_an_envelope():
    with pytest.raises(TypeError, match="evt.trading.order.v1 carries OrderDeltaV1"):
        wire(ORDER, EXAMPLES[FILL])


def test_plain_dicts_are_converted_and_checked_as_a_decoder_would():
    as_dict = msgspec.to_builtins(DELTA)
    assert registry.convert(ORDER, as_dict) == DELTA
    with pytest.raises(Refused, match=r"bad evt.trading.order.v1 payload: .*\$.seq"):
        registry.convert(ORDER, {**as_dict, "seq": "three"})


@pytest.mark.parametrize(
    ("names", "domain"),
    [
        (OrderState, DomainOrderState),
        (AttemptState, DomainAttemptState),
        (ExecType, DomainExecType),
    ],
)
def test_the_contract_s_names_are_the_domain_s(names, domain):
    assert set(typing.get_args(names)) == {member.value for member in domain}


def test_a_struct_built_by_hand_is_checked_as_its_consumer_would_decode_it():
    registry.check(ORDER, DELTA)
    with pytest.raises(Refused, match=r"bad evt.trading.order.v1 payload: .*\$.quantity"):
        registry.check(ORDER, msgspec.structs.replace(DELTA, quantity="3E+1"))
    with pytest.raises(Refused, match="FillV1, not OrderDeltaV1"):
        registry.check(ORDER, EXAMPLES[FILL])
