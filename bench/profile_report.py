"""report.md's "Goals" and "Where the time goes": the profiles of bench/profiles.py, per figure.

Each profile also goes onto its figure in report.json (`profile`); nothing here measures.
"""

from __future__ import annotations

from typing import Any

from bench import report
from bench.profiles import IN_PROCESS, profile_in_process, ranked


def unmet() -> list[dict[str, Any]]:
    """The figures of this run with a goal they missed."""
    return [f for f in report.FIGURES.values() if report.met(f) is False]


def goals() -> list[str]:
    """report.md's summary: every figure with a goal, and whether this run met it."""
    lines = [
        "## Goals",
        "",
        "| figure | value | unit | goal | met |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for f in report.FIGURES.values():
        if f["goal"] is None:
            continue
        met = report.met(f)
        word = "yes" if met else "**no**" if met is False else "not measured"
        value = "-" if f["value"] is None else _num(f["value"])
        lines.append(f"| {f['name']} | {value} | {f['unit']} | {_num(f['goal'])} | {word} |")
    return [*lines, ""]


def attach(name: str, profile: dict[str, Any]) -> None:
    """Write `profile` onto figure `name` in report.json."""
    if name in report.FIGURES:
        report.FIGURES[name]["profile"] = profile


def _lever(part: str, sampled: dict[str, Any] | None) -> str:
    if not sampled or not sampled.get("top"):
        return f"next lever: {part}'s own work (no sampling of it in this run)"
    first = sampled["top"][0]
    return (
        f"next lever: {part}, whose most frequent running function is "
        f"`{first['function']}` ({first['self_share'] * 100:.0f}% of its samples)"
    )


def section(cross: dict[str, Any]) -> list[str]:
    """report.md lines for every unmet figure, and each profile attached in report.json.

    `cross` is what bench.e2e left: {"cpu_ms_per_order": {...}, "sampled": {part: ...},
    "web_sampled": {...} or None} (empty when the end-to-end module did not run)."""
    missed = unmet()
    lines = ["## Where the time goes (figures whose goal is not met)", ""]
    if not missed:
        return [*lines, "Every goal is met: nothing to profile.", ""]
    for figure in missed:
        kind = IN_PROCESS.get(figure["name"])
        if kind is None:
            continue
        profile = profile_in_process(kind)
        attach(figure["name"], profile)
        lines += _cprofile_lines(figure, profile)
    two = next((f for f in missed if f["name"] == _TWO_INGESTS), None)
    if two is not None:
        attach(two["name"], {"tool": "the figure's own timing", "cpu_s": two.get("cpu_s")})
        lines += [
            f"### {two['name']}: {_goal(two)}",
            "",
            f"Two ingest processes on one embedded store: {two.get('cpu_s')} CPU s in "
            f"{two.get('wall_s')} s wall, {two.get('retries')} retried conflicts. With 2 cores "
            "shared by the whole machine the second process adds no core; SQLite commits one "
            "writer at a time. Next lever: the store's commit (FoundationDB in production).",
            "",
        ]
    others = [f for f in missed if f["name"] not in IN_PROCESS and f["name"] != _TWO_INGESTS]
    if others and cross.get("cpu_ms_per_order"):
        lines += _cross_lines(others, cross)
    return lines


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _goal(figure: dict[str, Any]) -> str:
    return f"{_num(figure['value'])} {figure['unit']} against a goal of {_num(figure['goal'])}"


def _cprofile_lines(figure: dict[str, Any], profile: dict[str, Any]) -> list[str]:
    lines = [
        f"### {figure['name']}: {_goal(figure)}",
        "",
        f"cProfile of {profile['operations']} operations in process "
        f"({profile['total_us_per_op']:,.0f} µs profiled per operation; cProfile's own cost "
        "inflates small functions). Top 10 by self time:",
        "",
        "| function | calls / op | self µs / op | cumulative µs / op | share of self |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in profile["top"]:
        lines.append(
            f"| `{row['function']}` | {row['calls_per_op']} | {row['self_us_per_op']} "
            f"| {row['cumulative_us_per_op']} | {row['self_share'] * 100:.1f}% |"
        )
    first = profile["top"][0]["function"] if profile["top"] else "?"
    return [*lines, "", f"Next lever: `{first}`, the largest self time.", ""]


def _cross_lines(figures: list[dict[str, Any]], cross: dict[str, Any]) -> list[str]:
    parts = ranked(cross["cpu_ms_per_order"])
    sampled: dict[str, Any] = cross.get("sampled") or {}
    top = parts[0]["part"]
    busiest_python = next((p["part"] for p in parts if p["part"] in sampled), top)
    profile = {"tool": "psutil + py-spy", "cpu_ms_per_order": parts, "sampled": sampled}
    for figure in figures:
        web = figure["name"] == _SNAPSHOT and cross.get("web")
        attach(figure["name"], {"tool": "psutil + py-spy", **web} if web else profile)
    lines = [
        "### Across processes: " + ", ".join(f"{f['name']} ({_goal(f)})" for f in figures),
        "",
        f"CPU per order of each part in the burst, busiest first; **{top}** dominates "
        f"({parts[0]['share'] * 100:.0f}% of all CPU).",
        "",
        "| part | CPU ms / order | share |",
        "| --- | ---: | ---: |",
        *(
            f"| {p['part']} | {p['cpu_ms_per_order']:.2f} | {p['share'] * 100:.0f}% |"
            for p in parts
        ),
        "",
    ]
    for part, found in sampled.items():
        lines += _sampled_lines(part, found, "the sustained load")
    lines += [_upper(_lever(busiest_python, sampled.get(busiest_python))) + ".", ""]
    web = cross.get("web")
    if web and any(f["name"] == _SNAPSHOT for f in figures):
        lines += _sampled_lines("web", web.get("sampled") or {}, "GET /api/v1/orders/{id}")
        lines += [
            f"Server CPU per request {web['server_cpu_ms_per_request']:.2f} ms: at 2 cores the "
            f"web tier can serve at most ~{2000 / web['server_cpu_ms_per_request']:,.0f} requests/s"
            " with nothing else running. " + _upper(_lever("web", web.get("sampled"))) + ".",
            "",
        ]
    return lines


_SNAPSHOT = "get_order_snapshot_rps_16_connections"
_TWO_INGESTS = "trading_core.ingest_two_processes_per_s"


def _sampled_lines(part: str, found: dict[str, Any], during: str) -> list[str]:
    if not found:
        return []
    if "error" in found:
        return [f"py-spy could not sample {part}: {found['error']}", ""]
    processes = ", ".join(f"{p['process']} {p['share'] * 100:.0f}%" for p in found["processes"])
    lines = [
        f"py-spy, {part} during {during} ({found['samples']:,} samples with a thread running"
        + (f"; {processes}" if processes else "")
        + f"; {found.get('waiting_share', 0) * 100:.0f}% of them parked in a wait, left out)."
        " Top 10 of the rest by self samples (shares of all samples):",
        "",
        "| function | share of samples |",
        "| --- | ---: |",
        *(f"| `{row['function']}` | {row['self_share'] * 100:.1f}% |" for row in found["top"]),
        "",
    ]
    return lines


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]
