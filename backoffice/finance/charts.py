"""Server-side SVG charts: a stacked bar per environment and a daily trend line per environment.

Plain Python, no Django, no JavaScript: the page inlines the markup these return. Every text
that comes from data is escaped; coordinates are Decimals rounded to 0.1 px.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from html import escape

PX = Decimal("0.1")
FONT_PX = 12
Money = Callable[[Decimal], str]


@dataclass(frozen=True, slots=True)
class Segment:
    name: str  # the category: "Compute"
    color: str  # "#2457c5"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # the environment: "Prod"
    values: tuple[Decimal, ...]  # one per segment, in the segments' order

    @property
    def total(self) -> Decimal:
        return sum(self.values, Decimal(0))


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    color: str
    points: tuple[Decimal | None, ...]  # one per day; None: no cost rows that day


def nice_scale(top: Decimal, ticks: int = 5) -> tuple[Decimal, Decimal]:
    """An axis maximum >= `top` and a step of 1, 2, 2.5 or 5 x 10^n giving about `ticks` steps."""
    if top <= 0:
        return Decimal(1), Decimal(1)
    raw = top / ticks
    power = Decimal(1).scaleb(raw.adjusted())
    step = next(
        m * power
        for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
        if m * power >= raw
    )
    steps = (top / step).to_integral_value(rounding=ROUND_CEILING)
    return _plain(steps * step), _plain(step)


def _plain(value: Decimal) -> Decimal:
    """5E+3 -> 5000, so labels never read in exponent notation."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _n(value: Decimal) -> str:
    """A coordinate: 0.1 px, no exponent, no trailing zeros."""
    text = format(value.quantize(PX, rounding=ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.casefold()).strip("-")


def _open(chart_id: str, width: int, height: int, title: str, desc: str, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'id="{escape(chart_id)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'font-size="{FONT_PX}" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _legend(items: Sequence[tuple[str, str]], x: Decimal, y: Decimal) -> list[str]:
    parts = ['<g class="legend">']
    for name, color in items:
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" rx="2" '
            f'fill="{escape(color)}"/>'
            f'<text x="{_n(x + 14)}" y="{_n(y)}">{escape(name)}</text>'
        )
        x += 14 + Decimal(len(name) * 7) + 18
    parts.append("</g>")
    return parts


def stacked_bars(
    bars: Sequence[Bar],
    segments: Sequence[Segment],
    *,
    chart_id: str = "breakdown",
    title: str = "Daily cost by category",
    money: Money = lambda v: f"${v}",
    unit: str = "/day",
    width: int = 600,
    link: Callable[[str, str], str] | None = None,
) -> str:
    """One horizontal bar per environment, one segment per category, the total at its end;
    with `link(bar, segment)`, each segment leads to the records behind it."""
    for bar in bars:
        if len(bar.values) != len(segments):
            raise ValueError(f"{bar.label}: {len(bar.values)} values for {len(segments)} segments")
        if any(value < 0 for value in bar.values):
            raise ValueError(f"{bar.label}: a negative value cannot be stacked")
    left, right, top, row_h, bar_h = Decimal(76), Decimal(88), Decimal(44), Decimal(48), Decimal(26)
    height = int(top + row_h * len(bars) + 30)
    plot_w = Decimal(width) - left - right
    axis_max, step = nice_scale(max((bar.total for bar in bars), default=Decimal(0)))
    scale = plot_w / axis_max
    bottom = top + row_h * len(bars)
    desc = "; ".join(
        f"{bar.label}: {money(bar.total)}{unit} ("
        + ", ".join(f"{s.name} {money(v)}" for s, v in zip(segments, bar.values, strict=True))
        + ")"
        for bar in bars
    )
    out = _open(chart_id, width, height, title, desc, "bars")
    out += _legend([(s.name, s.color) for s in segments], left, Decimal(18))
    out.append('<g class="grid">')
    tick = Decimal(0)
    while tick <= axis_max:
        x = left + tick * scale
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 6)}" x2="{_n(x)}" y2="{_n(bottom)}"/>'
            f'<text class="tick" x="{_n(x)}" y="{_n(bottom + 16)}" text-anchor="middle">'
            f"{escape(money(tick))}</text>"
        )
        tick += step
    out.append("</g>")
    for index, bar in enumerate(bars):
        y = top + row_h * index + (row_h - bar_h) / 2
        out.append(f'<g class="bar" data-label="{escape(bar.label)}">')
        out.append(
            f'<text class="bar-label" x="{_n(left - 10)}" y="{_n(y + bar_h / 2 + 4)}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        x = left
        for segment, value in zip(segments, bar.values, strict=True):
            w = value * scale
            rect = (
                f'<rect class="segment segment-{_slug(segment.name)}" '
                f'data-category="{escape(segment.name)}" data-value="{value}" '
                f'x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(bar_h)}" '
                f'fill="{escape(segment.color)}"><title>{escape(bar.label)} · '
                f"{escape(segment.name)}: {escape(money(value))}{escape(unit)}</title></rect>"
            )
            if link is not None:
                rect = f'<a href="{escape(link(bar.label, segment.name))}">{rect}</a>'
            out.append(rect)
            x += w
        out.append(
            f'<text class="bar-total" x="{_n(x + 8)}" y="{_n(y + bar_h / 2 + 4)}">'
            f"{escape(money(bar.total))}{escape(unit)}</text>"
        )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Plot:
    """The plotting area of the trend chart and its scales."""

    left: Decimal
    width: Decimal
    bottom: Decimal
    height: Decimal
    axis_max: Decimal
    days: int

    def x(self, i: int) -> Decimal:
        if self.days < 2:
            return self.left + self.width / 2
        return self.left + self.width / (self.days - 1) * i

    def y(self, value: Decimal) -> Decimal:
        return self.bottom - value / self.axis_max * self.height

    def xy(self, i: int, value: Decimal) -> tuple[str, str]:
        return _n(self.x(i)), _n(self.y(value))


def _last(points: Sequence[Decimal | None]) -> tuple[int, Decimal] | None:
    """The last day that has a value, and the value."""
    for i in range(len(points) - 1, -1, -1):
        value = points[i]
        if value is not None:
            return i, value
    return None


def _series(
    line: Line,
    plot: _Plot,
    days: Sequence[date],
    money: Money,
    link: Callable[[str, date], str] | None = None,
) -> list[str]:
    """A line's runs of consecutive days as polylines (a lone day as a dot), its end marked,
    and a point with its own tooltip (and link) on every day that has a value."""
    out = [
        f'<g class="series" data-label="{escape(line.label)}" stroke="{escape(line.color)}" '
        f'fill="{escape(line.color)}">'
    ]
    run: list[tuple[str, str]] = []
    for i, value in enumerate((*line.points, None)):
        if value is not None:
            run.append(plot.xy(i, value))
            continue
        if len(run) > 1:
            points = " ".join(f"{x},{y}" for x, y in run)
            out.append(f'<polyline class="trend-line" fill="none" points="{points}"/>')
        elif run:
            out.append(f'<circle class="trend-dot" cx="{run[0][0]}" cy="{run[0][1]}" r="2.5"/>')
        run = []
    last = _last(line.points)
    if last is not None:
        x, y = plot.xy(*last)
        out.append(
            f'<circle class="trend-end" cx="{x}" cy="{y}" r="3.5" stroke="#fff">'
            f"<title>{escape(line.label)}: {escape(money(last[1]))}/day on "
            f"{days[last[0]]:%d %b}</title></circle>"
        )
    for i, value in enumerate(line.points):
        if value is None:
            continue
        x, y = plot.xy(i, value)
        point = (
            f'<circle class="trend-point" cx="{x}" cy="{y}" r="5" data-day="{days[i]}">'
            f"<title>{escape(line.label)}: {escape(money(value))}/day on "
            f"{days[i]:%d %b %Y}</title></circle>"
        )
        if link is not None:
            point = f'<a href="{escape(link(line.label, days[i]))}">{point}</a>'
        out.append(point)
    out.append("</g>")
    return out


def _trend_grid(plot: _Plot, step: Decimal, days: Sequence[date], money: Money) -> list[str]:
    out = ['<g class="grid">']
    tick = Decimal(0)
    while tick <= plot.axis_max:
        y = plot.y(tick)
        out.append(
            f'<line x1="{_n(plot.left)}" y1="{_n(y)}" x2="{_n(plot.left + plot.width)}" '
            f'y2="{_n(y)}"/><text class="tick" x="{_n(plot.left - 8)}" y="{_n(y + 4)}" '
            f'text-anchor="end">{escape(money(tick))}</text>'
        )
        tick += step
    for i, day in enumerate(days):
        last = i == len(days) - 1
        if last or (i % 7 == 0 and len(days) - 1 - i >= 4):  # no label crowding the last one
            anchor = "end" if last and len(days) > 1 else "middle"
            out.append(
                f'<text class="tick" x="{_n(plot.x(i))}" y="{_n(plot.bottom + 18)}" '
                f'text-anchor="{anchor}">{day:%d %b}</text>'
            )
    out.append("</g>")
    return out


def trend_lines(
    lines: Sequence[Line],
    days: Sequence[date],
    *,
    chart_id: str = "trend",
    title: str = "Daily cost, last 30 days",
    money: Money = lambda v: f"${v}",
    width: int = 600,
    height: int = 280,
    link: Callable[[str, date], str] | None = None,
) -> str:
    """One line per environment over `days`; a day without cost rows breaks the line. Every
    point has its tooltip; with `link(line, day)` it leads to that day's records."""
    for line in lines:
        if len(line.points) != len(days):
            raise ValueError(f"{line.label}: {len(line.points)} points for {len(days)} days")
    left, right, top, bottom = Decimal(56), Decimal(16), Decimal(40), Decimal(height - 30)
    values = [p for line in lines for p in line.points if p is not None]
    axis_max, step = nice_scale(max(values, default=Decimal(0)))
    plot = _Plot(left, Decimal(width) - left - right, bottom, bottom - top, axis_max, len(days))
    span = f"{days[0]:%d %b} – {days[-1]:%d %b %Y}" if days else "no days"
    latest = [(line.label, _last(line.points)) for line in lines]
    desc = f"{span}. " + "; ".join(
        f"{label}: latest {money(last[1])}/day" for label, last in latest if last is not None
    )
    out = _open(chart_id, width, height, title, desc, "trend")
    out += _legend([(line.label, line.color) for line in lines], left, Decimal(18))
    out += _trend_grid(plot, step, days, money)
    for line in lines:
        out += _series(line, plot, days, money, link)
    out.append("</svg>")
    return "".join(out)
