"""The server-side SVG charts: valid SVG, one bar segment per category, lines per environment."""

from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from backoffice.finance.charts import Bar, Line, Segment, nice_scale, stacked_bars, trend_lines
from backoffice.finance.formatting import compact_usd
from infra.environments import CATEGORIES, ENVIRONMENTS

SVG = "{http://www.w3.org/2000/svg}"
SEGMENTS = [
    Segment(c.value, color) for c, color in zip(CATEGORIES, ["#1", "#2", "#3", "#4"], strict=True)
]
DAYS = [date(2026, 10, 27) + timedelta(days=i) for i in range(30)]


def seed_bars():
    return [
        Bar(spec.name, tuple(cost for _, cost in spec.daily_cost.by_category()))
        for spec in ENVIRONMENTS
    ]


def parse(svg: str) -> ElementTree.Element:
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own markup
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    return root


def test_stacked_bars_is_valid_svg_with_one_segment_per_category_per_environment():
    root = parse(stacked_bars(seed_bars(), SEGMENTS, money=compact_usd))
    bars = root.findall(f".//{SVG}g[@class='bar']")
    assert [bar.get("data-label") for bar in bars] == ["Test", "Dev", "Staging", "Prod"]
    for bar in bars:
        segments = bar.findall(f"{SVG}rect")
        assert [s.get("data-category") for s in segments] == [
            "Compute",
            "Data",
            "Network",
            "Observability",
        ]
        assert all("segment" in s.get("class", "") for s in segments)
    prod = bars[3].findall(f"{SVG}rect")
    assert [Decimal(s.get("data-value")) for s in prod] == [180, 120, 60, 60]
    totals = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "bar-total"]
    assert totals == ["$38/day", "$74/day", "$156/day", "$420/day"]


def test_segments_are_proportional_and_stacked_left_to_right():
    root = parse(stacked_bars(seed_bars(), SEGMENTS))
    prod = root.findall(f".//{SVG}g[@data-label='Prod']/{SVG}rect")
    xs = [Decimal(r.get("x")) for r in prod]
    widths = [Decimal(r.get("width")) for r in prod]
    for (x, w), next_x in zip(zip(xs, widths, strict=True), xs[1:], strict=False):
        assert abs(x + w - next_x) <= Decimal("0.1")
    assert abs(widths[0] / widths[2] - 3) < Decimal("0.01")  # 180 : 60


def test_text_from_data_is_escaped():
    svg = stacked_bars([Bar("<Prod & co>", (Decimal(1),) * 4)], SEGMENTS)
    root = parse(svg)
    assert "<Prod" not in svg
    assert root.find(f".//{SVG}g[@class='bar']").get("data-label") == "<Prod & co>"


def test_stacked_bars_refuse_a_value_count_that_does_not_match_the_segments():
    with pytest.raises(ValueError):
        stacked_bars([Bar("Test", (Decimal(1),))], SEGMENTS)
    with pytest.raises(ValueError):
        stacked_bars([Bar("Test", (Decimal(-1),) * 4)], SEGMENTS)


def test_all_zero_bars_still_draw():
    root = parse(stacked_bars([Bar("Test", (Decimal(0),) * 4)], SEGMENTS))
    assert len(root.findall(f".//{SVG}rect[@data-category]")) == 4


def test_trend_is_valid_svg_with_a_line_per_environment():
    lines = [
        Line(spec.name, "#123456", tuple(spec.daily_total for _ in DAYS)) for spec in ENVIRONMENTS
    ]
    root = parse(trend_lines(lines, DAYS, money=compact_usd))
    series = root.findall(f".//{SVG}g[@class='series']")
    assert [s.get("data-label") for s in series] == ["Test", "Dev", "Staging", "Prod"]
    for s in series:
        (polyline,) = s.findall(f"{SVG}polyline")
        assert len(polyline.get("points").split()) == 30
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert "$500" in ticks and "27 Oct" in ticks and "25 Nov" in ticks
    assert "Prod: latest $420/day" in root.find(f"{SVG}desc").text


def test_a_day_without_costs_breaks_the_line():
    points = tuple(None if i in (10, 20, 21) else Decimal(10) for i in range(30))
    points = points[:28] + (None, Decimal(5))  # the last day alone: a dot
    root = parse(trend_lines([Line("Dev", "#000", points)], DAYS))
    polylines = root.findall(f".//{SVG}polyline")
    assert [len(p.get("points").split()) for p in polylines] == [10, 9, 6]
    assert len(root.findall(f".//{SVG}circle[@class='trend-dot']")) == 1


def test_trend_refuses_points_that_do_not_match_the_days():
    with pytest.raises(ValueError):
        trend_lines([Line("Dev", "#000", (Decimal(1),))], DAYS)


def test_trend_without_any_value_still_draws_axes():
    root = parse(trend_lines([Line("Dev", "#000", (None,) * 30)], DAYS))
    assert root.findall(f".//{SVG}polyline") == []


@pytest.mark.parametrize(
    ("top", "axis_max", "step"),
    [
        ("420", 500, 100),
        ("180", 200, 50),
        ("38", 40, 10),
        ("0", 1, 1),
        ("12600", 15000, 5000),
        ("0.3", "0.3", "0.1"),
    ],
)
def test_nice_scale(top, axis_max, step):
    assert nice_scale(Decimal(top)) == (Decimal(axis_max), Decimal(step))
    assert "E" not in str(nice_scale(Decimal(top))[0])
