"""The last hour of each queue's depth and oldest age, kept by the ops reader, drawn small.

Display only: the history lives in the web process and starts again when it restarts
(Prometheus keeps the long one, from the same figures on /metrics).
"""

from __future__ import annotations

from collections import deque
from html import escape

KEEP_S = 3600.0


class History:
    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self.points: dict[str, deque[tuple[float, int, float]]] = {}

    def add(self, queue: str, depth: int | None, age_s: float | None, at: float) -> None:
        """One reading of `queue` (depth and oldest age; None counts as 0)."""
        line = self.points.setdefault(queue, deque())
        line.append((at, depth or 0, age_s or 0.0))
        while line and line[0][0] < at - self.keep_s:
            line.popleft()

    def of(self, queue: str) -> list[tuple[float, int, float]]:
        return list(self.points.get(queue, ()))


def sparkline(points: list[tuple[float, int, float]], *, width: int = 140, height: int = 30) -> str:
    """Depth (solid) and oldest age (dashed) over the last hour, each on its own scale."""
    if len(points) < 2:
        return '<span class="muted">collecting…</span>'
    start, end = points[0][0], max(points[-1][0], points[0][0] + 1)
    max_depth = max(p[1] for p in points) or 1
    max_age = max(p[2] for p in points) or 1.0

    def line(values: list[float], top: float) -> str:
        return " ".join(
            f"{(t - start) / (end - start) * (width - 2) + 1:.1f},"
            f"{height - 2 - v / top * (height - 4):.1f}"
            for t, v in zip((p[0] for p in points), values, strict=True)
        )

    minutes = (end - start) / 60
    title = (
        f"last {minutes:.0f} min: depth up to {max_depth:,}, oldest up to {max_age:.1f} s"
        f" (now {points[-1][1]:,}, {points[-1][2]:.1f} s)"
    )
    depth = line([p[1] for p in points], max_depth)
    age = line([p[2] for p in points], max_age)
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<polyline class="spark-depth" fill="none" points="{depth}"/>'
        f'<polyline class="spark-age" fill="none" points="{age}"/>'
        "</svg>"
    )
