"""var/bench/report.json: one entry per figure, names stable from run to run (issue 11).

Any bench module calls `add(...)`; `make bench` writes the list once every module ran. A
figure added twice under one name keeps the last value (a module may refine another's).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

FIGURES: dict[str, dict[str, Any]] = {}


def add(
    name: str,
    value: float,
    unit: str,
    goal: float | None,
    better: Literal["higher", "lower"],
    compared_with: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Record one figure; `compared_with` is {what: value} measured in the same run."""
    figure: dict[str, Any] = {
        "name": name,
        "value": None if value is None or math.isnan(value) else round(value, 3),
        "unit": unit,
        "goal": goal,
        "better": better,
    }
    if compared_with:
        figure["compared_with"] = compared_with
    if note:
        figure["note"] = note
    FIGURES[name] = figure


def extend(figures: list[dict[str, Any]]) -> None:
    """Record figures a module built whole (each with at least the fields `add` writes)."""
    for figure in figures:
        FIGURES[figure["name"]] = figure


def met(figure: dict[str, Any]) -> bool | None:
    if figure["goal"] is None or figure["value"] is None:
        return None
    if figure["better"] == "higher":
        return bool(figure["value"] >= figure["goal"])
    return bool(figure["value"] <= figure["goal"])


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = [{**f, "met": met(f)} for f in FIGURES.values()]
    path.write_text(json.dumps(figures, indent=2) + "\n")
