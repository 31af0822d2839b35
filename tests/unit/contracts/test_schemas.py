"""The committed JSON Schemas are the structs' own, and no change breaks a committed version."""

from __future__ import annotations

import copy

import pytest

from contracts.registry import TOPICS
from contracts.schemas import DIRECTORY, breaking_changes, committed, generate


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_the_committed_schema_is_generated_from_the_struct(topic):
    assert committed(topic) == generate(topic), (
        f"contracts/schemas/{topic}.json is not current: run `python -m contracts.schemas`"
    )


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_no_field_of_a_committed_version_is_removed_retyped_or_newly_required(topic):
    old = committed(topic)
    assert old is not None, f"no committed schema for {topic}"
    assert breaking_changes(old, generate(topic)) == []


def test_every_committed_schema_is_a_topic_of_the_registry():
    assert {p.name.removesuffix(".json") for p in DIRECTORY.glob("*.json")} == set(TOPICS)


# The check itself, on the order topic's schema changed by hand as a careless edit would.


def payload_def(schema):
    return schema["$defs"]["OrderDeltaV1"]


def changed(edit):
    schema = copy.deepcopy(generate("evt.trading.order.v1"))
    edit(schema)
    return breaking_changes(generate("evt.trading.order.v1"), schema)


def test_a_removed_field_breaks_the_version():
    def remove(schema):
        del payload_def(schema)["properties"]["remaining_quantity"]
        payload_def(schema)["required"].remove("remaining_quantity")

    assert changed(remove) == ["$.payload.remaining_quantity was removed"]


def test_a_retyped_field_breaks_the_version():
    def retype(schema):
        payload_def(schema)["properties"]["seq"] = {"type": "string"}

    [problem] = changed(retype)
    assert problem.startswith("$.payload.seq changed type")


def test_a_retyped_field_deep_inside_breaks_the_version():
    def retype(schema):
        schema["$defs"]["AttemptV1"]["properties"]["quantity"]["pattern"] = "^[0-9]+$"

    [problem] = changed(retype)
    assert problem.startswith("$.payload.attempts[].quantity changed type")


def test_a_new_required_field_breaks_the_version_and_a_new_optional_one_does_not():
    def required(schema):
        payload_def(schema)["properties"]["venue"] = {"type": "string"}
        payload_def(schema)["required"].append("venue")

    def optional(schema):
        payload_def(schema)["properties"]["venue"] = {"type": "string"}

    assert changed(required) == ["$.payload.venue is now required"]
    assert changed(optional) == []


def test_words_for_people_may_change():
    def reword(schema):
        payload_def(schema)["description"] = "reworded"

    assert changed(reword) == []
