"""The simulator venue's client and adapter against a fake venue (an httpx.MockTransport): an
answer that was lost is resolved by asking, an order is never sent twice, and whatever the venue
cannot report itself comes back as a synthetic report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts.venue import CancelAttemptV1, ExecutionReportV1, PlaceAttemptV1
from venues.adapters.sim.adapter import CancelNotDelivered, CancelTooEarly, SimAdapter
from venues.adapters.sim.client import OutcomeUnknown, VenueClient, VenueUnavailable

COID = "O-1:EA-1"
COMMAND = PlaceAttemptV1(
    "O-1", "EA-1", COID, "SIM-A", "BTC-USD", "buy", "1", "limit", "10000", "IOC"
)  # fmt: skip
CANCEL = CancelAttemptV1("O-1", "EA-1", COID, "SIM-A")
Step = Callable[[httpx.Request], httpx.Response]


class FakeVenue:
    """Answers each request with the next step for its method; records what it was sent."""

    def __init__(self, **steps: list[Step | int]) -> None:
        self.steps = {method.upper(): list(s) for method, s in steps.items()}
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        step = self.steps[request.method].pop(0)
        if isinstance(step, int):
            return httpx.Response(step, json={"status": step})
        return step(request)

    def sent(self, method: str) -> int:
        return sum(m == method for m, _ in self.seen)


def dropped(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer", request=request)


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def client_of(venue: FakeVenue) -> VenueClient:
    client = VenueClient("http://venue", "SIM-A")
    client.http = httpx.Client(base_url="http://venue", transport=httpx.MockTransport(venue))
    return client


class Adapter:
    def __init__(self, **steps: list[Step | int]) -> None:
        self.venue = FakeVenue(**steps)
        self.emitted: list[ExecutionReportV1] = []
        self.downs: list[str] = []
        self.sim = SimAdapter(client_of(self.venue), self.emitted.append, self.downs.append)


def test_the_client_names_each_outcome():
    venue = FakeVenue(
        post=[200, 503, dropped, refused, lambda r: httpx.Response(502, text="<html>")]
    )
    client = client_of(venue)
    assert client.place({"client_order_id": COID}).status == 200
    with pytest.raises(VenueUnavailable):
        client.place({})
    with pytest.raises(OutcomeUnknown):
        client.place({})
    with pytest.raises(VenueUnavailable):
        client.place({})
    assert client.place({}).body == {"text": "<html>"}
    assert venue.seen[0] == ("POST", "/venues/SIM-A/orders")


def test_a_dropped_ack_is_resolved_by_asking_and_never_sent_twice():
    adapter = Adapter(post=[dropped], get=[200])
    assert adapter.sim.place(COMMAND) == "sent"
    assert adapter.venue.seen == [
        ("POST", "/venues/SIM-A/orders"),
        ("GET", f"/venues/SIM-A/orders/{COID}"),
    ]
    assert adapter.emitted == []


def test_a_dropped_ack_the_venue_never_saw_is_sent_again():
    adapter = Adapter(post=[dropped, 200], get=[404])
    assert adapter.sim.place(COMMAND) == "sent"
    assert adapter.venue.sent("POST") == 2


def test_a_409_means_the_venue_knows_it_and_nothing_is_reported():
    adapter = Adapter(post=[409])
    assert adapter.sim.place(COMMAND) == "known"
    assert adapter.emitted == []


def test_a_redelivered_place_is_asked_about_first():
    adapter = Adapter(get=[200])
    assert adapter.sim.place(COMMAND, ask_first=True) == "known"
    assert adapter.venue.sent("POST") == 0


def test_a_refused_order_is_reported_rejected_with_the_venue_s_answer():
    adapter = Adapter(post=[400])
    assert adapter.sim.place(COMMAND) == "rejected"
    [report] = adapter.emitted
    assert (report.order_id, report.attempt_id, report.exec_type) == (
        "O-1",
        "EA-1",
        "rejected",
    )
    assert "400" in report.reason


def test_a_venue_that_is_down_rejects_a_first_send_but_not_a_redelivery():
    adapter = Adapter(post=[503])
    assert adapter.sim.place(COMMAND) == "down"
    assert [r.exec_type for r in adapter.emitted] == ["rejected"] and adapter.downs
    redelivered = Adapter(get=[503])  # it may have arrived before the venue went down
    assert redelivered.sim.place(COMMAND, ask_first=True) == "unknown"
    assert redelivered.emitted == []


def test_no_answer_at_all_is_left_to_reconciliation():
    adapter = Adapter(post=[dropped] * 3, get=[dropped] * 3)
    assert adapter.sim.place(COMMAND) == "unknown"
    assert adapter.emitted == []
    assert adapter.venue.sent("POST") == 3


def test_a_place_past_its_send_deadline_is_not_sent():
    adapter = Adapter()
    assert adapter.sim.place(COMMAND, send_before=datetime.now(UTC) - timedelta(1)) == "late"
    assert adapter.venue.seen == [] and adapter.emitted == []


def test_a_cancel_tells_what_the_venue_answered():
    adapter = Adapter(delete=[200, 409, 404, 503, dropped])
    assert adapter.sim.cancel(CANCEL) == "canceled"
    assert adapter.sim.cancel(CANCEL) == "already-ended"
    with pytest.raises(CancelTooEarly) as early:
        adapter.sim.cancel(CANCEL)
    assert not isinstance(early.value, CancelNotDelivered)  # it is not yet at the venue
    for _ in range(2):  # down, or no answer: it may not have arrived
        with pytest.raises(CancelNotDelivered):
            adapter.sim.cancel(CANCEL)
    assert adapter.venue.seen[0] == ("DELETE", f"/venues/SIM-A/orders/{COID}")
