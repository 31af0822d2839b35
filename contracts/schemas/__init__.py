"""The JSON Schemas of the contracts, generated from the structs and committed beside this file.

`python -m contracts.schemas` writes `<topic>.json` for every topic of the registry; it refuses
a change that would break a version already committed (a field removed, retyped, or newly
required): such a change is a new topic version (`....v2`), its struct beside the old one.
`python -m contracts.schemas --check` only says whether the committed files are current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from contracts.envelope import Envelope
from contracts.registry import TOPICS

DIRECTORY = Path(__file__).resolve().parent
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Words for people: changing them breaks nobody.
_DESCRIPTIVE = {"title", "description", "examples", "$comment"}

Schema = dict[str, Any]


def generate(topic: str) -> Schema:
    """The schema of one topic's envelope (its `type` fixed to the topic's name)."""
    kind = TOPICS[topic]
    schema: Schema = msgspec.json.schema(Envelope[kind])  # type: ignore[valid-type]
    root = _resolve(schema, schema)
    root["title"] = topic
    root["properties"]["type"] = {"const": topic}
    return {"$schema": DIALECT, "$id": f"{topic}.json", **schema}


def path_of(topic: str) -> Path:
    return DIRECTORY / f"{topic}.json"


def committed(topic: str) -> Schema | None:
    path = path_of(topic)
    return json.loads(path.read_text()) if path.exists() else None


def text_of(schema: Schema) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Why a message valid under `old` (or a consumer reading by `old`) breaks under `new`:
    fields removed, retyped or newly required; an empty list when `new` only adds optional
    fields (old messages still decode, old consumers ignore what they do not know)."""
    problems: list[str] = []
    _compare(old, _resolve(old, old), new, _resolve(new, new), "$", problems)
    return problems


def _resolve(document: Schema, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = document["$defs"][name]
    return node


def _meaning(document: Schema, node: Any) -> Any:
    """A node without its descriptive words, references expanded (so renames do not count)."""
    node = _resolve(document, node)
    if isinstance(node, dict):
        return {k: _meaning(document, v) for k, v in node.items() if k not in _DESCRIPTIVE}
    if isinstance(node, list):
        return [_meaning(document, v) for v in node]
    return node


def _compare(old_doc: Schema, old: Any, new_doc: Schema, new: Any, at: str, out: list[str]) -> None:
    old, new = _resolve(old_doc, old), _resolve(new_doc, new)
    if _is_object(old) and _is_object(new):
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        for name, field in old_fields.items():
            if name not in new_fields:
                out.append(f"{at}.{name} was removed")
            else:
                _compare(old_doc, field, new_doc, new_fields[name], f"{at}.{name}", out)
        for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
            out.append(f"{at}.{name} is now required")
        return
    if _is_array(old) and _is_array(new):
        _compare(old_doc, old.get("items", {}), new_doc, new.get("items", {}), f"{at}[]", out)
        return
    if "anyOf" in old and "anyOf" in new and len(old["anyOf"]) == len(new["anyOf"]):
        for number, (was, now) in enumerate(zip(old["anyOf"], new["anyOf"], strict=True)):
            _compare(old_doc, was, new_doc, now, f"{at}<{number}>", out)
        return
    if _meaning(old_doc, old) != _meaning(new_doc, new):
        out.append(f"{at} changed type: {_short(old_doc, old)} -> {_short(new_doc, new)}")


def _is_object(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "object"


def _is_array(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "array"


def _short(document: Schema, node: Any) -> str:
    return json.dumps(_meaning(document, node), sort_keys=True)[:200]
