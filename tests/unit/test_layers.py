"""The top-level packages import one way: each only from the layers below it, and no circle.

docs/architecture.md ("Layers") draws the same order. Imports are read from the source with
`ast` (also those inside functions and under TYPE_CHECKING), so a lazy import is no way round.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Bottom first. A package may import its own layer's other packages only where said below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("kernel", "contracts", "infra"),  # the shared kernel, the message contracts, the plumbing
    ("ledger",),
    ("trading",),
    ("venues",),
    ("realtime",),
    ("backoffice",),
    ("wiring",),  # the one place that imports every context: settings, urls, processes
    ("bench",),  # drives the whole platform from outside
)
# Within the bottom layer: the kernel and the contracts stand on nothing of ours; infra's
# plumbing may use the kernel (roles, for who may read ops endpoints).
SAME_LAYER = {("infra", "kernel")}

LEVEL = {package: level for level, layer in enumerate(LAYERS) for package in layer}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages of ours that one module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & LEVEL.keys()


def import_graph() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) -> the importer's modules that make the arrow."""
    arrows: dict[tuple[str, str], list[str]] = defaultdict(list)
    for package in LEVEL:
        for path in sorted((ROOT / package).rglob("*.py")):
            for target in imported_packages(path) - {package}:
                arrows[(package, target)].append(str(path.relative_to(ROOT)))
    return arrows


def test_every_package_is_in_a_layer() -> None:
    ours = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert ours <= LEVEL.keys(), f"put {sorted(ours - LEVEL.keys())} in LAYERS"


def test_no_arrow_points_up() -> None:
    up = [
        f"{a} -> {b}: {', '.join(files)}"
        for (a, b), files in sorted(import_graph().items())
        if LEVEL[b] > LEVEL[a] or (LEVEL[b] == LEVEL[a] and (a, b) not in SAME_LAYER)
    ]
    assert not up, "imports that point up (or sideways):\n" + "\n".join(up)


def test_no_circle_between_packages() -> None:
    arrows = import_graph()
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in arrows:
        graph[a].add(b)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start] - seen:
            if nxt == goal or reaches(nxt, goal, seen | {nxt}):
                return True
        return False

    circles = sorted(a for a in LEVEL if reaches(a, a, set()))
    assert not circles, f"packages in a circle: {circles}"


def test_the_test_sees_a_wrong_arrow(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from wiring import settings\nimport trading.repository\nfrom . import x\n")
    assert imported_packages(module) == {"wiring", "trading"}


def test_venues_reach_trading_services_only_through_wiring() -> None:
    """venues/adapters/core.py's CoreCalls carry them: venues imports no trading service."""
    found = []
    for path in sorted((ROOT / "venues").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "trading.services"
            ):
                found.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert not found, found
