"""Fault sets as the control API takes them, and the seeded dice that decide them."""

from decimal import Decimal

import pytest

from venues.simulator.faults import BadFaults, Dice, Faults

D = Decimal


def test_an_empty_body_is_no_fault_at_all():
    assert Faults.parse({}) == Faults()
    assert Faults().to_wire() == {
        "latency_ms": 0,
        "reject_rate": "0",
        "drop_ack_rate": "0",
        "duplicate_report_rate": "0",
        "reorder_reports": False,
        "down": False,
        "drop_report_rate": "0",
    }


def test_every_fault_parses_and_reads_back():
    faults = Faults.parse(
        {
            "latency_ms": 250,
            "reject_rate": D("0.25"),  # a JSON number, as the app parses floats
            "drop_ack_rate": "0.5",
            "duplicate_report_rate": 1,
            "reorder_reports": True,
            "down": False,
        }
    )
    assert faults == Faults(250, D("0.25"), D("0.5"), D(1), True, False)
    assert faults.to_wire()["reject_rate"] == "0.25"
    assert faults.to_wire()["duplicate_report_rate"] == "1"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"reject_rate": D("1.5")}, "between 0 and 1"),
        ({"drop_ack_rate": "-0.1"}, "between 0 and 1"),
        ({"duplicate_report_rate": "lots"}, "decimal"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"latency_ms": D("1.5")}, "whole number"),
        ({"latency_ms": 60_001}, "latency_ms"),
        ({"latency_ms": True}, "latency_ms"),
        ({"down": "yes"}, "true or false"),
        ({"reorder_reports": 1}, "true or false"),
        ({"latency": 5}, "unknown faults: latency"),
    ],
)
def test_a_bad_fault_set_is_refused_with_its_reason(body, why):
    with pytest.raises(BadFaults, match=why):
        Faults.parse(body)


def test_dice_never_strike_at_0_and_always_at_1():
    dice = Dice(7)
    assert not any(dice.strikes(D(0)) for _ in range(1000))
    assert all(dice.strikes(D(1)) for _ in range(1000))


def test_dice_strike_at_about_their_rate_and_repeat_with_their_seed():
    dice_a, dice_b, other = Dice(42), Dice(42), Dice(43)
    rolls_a = [dice_a.strikes(D("0.3")) for _ in range(10_000)]
    rolls_b = [dice_b.strikes(D("0.3")) for _ in range(10_000)]
    assert rolls_a == rolls_b
    assert rolls_a != [other.strikes(D("0.3")) for _ in range(10_000)]
    assert 2_700 < sum(rolls_a) < 3_300
