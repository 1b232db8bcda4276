"""SVG charts: static, escaped, honest about missing weeks, readable without colour."""

from __future__ import annotations

import re
from itertools import pairwise
from xml.etree import ElementTree

import pytest

from reports.charts import (
    PALETTE,
    SERIES_STYLES,
    Series,
    bullet_chart,
    compare_bars,
    line_chart,
    nice_ceiling,
    sparkline,
)
from reports.render import chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour: what is left of it in greyscale."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_light_colours_differ_in_greyscale() -> None:
    # yellow 0.58 > green 0.31 > red 0.10: apart by a contrast ratio of at least 1.5 each
    order = [luminance(PALETTE[c]) for c in ("yellow", "green", "red")]
    assert order == sorted(order, reverse=True)
    for lighter, darker in pairwise(order):
        assert (lighter + 0.05) / (darker + 0.05) >= 1.5


def test_series_differ_by_more_than_colour() -> None:
    dashes = [dash for _, dash, _ in SERIES_STYLES]
    shapes = [shape for _, _, shape in SERIES_STYLES]
    assert len(set(dashes)) == len(dashes) and len(set(shapes)) == len(shapes)


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_bullet_chart_bands_and_marker() -> None:
    svg = chart_svg(bullet_chart(0.4625, 0.4))
    root = parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert [t for t in texts if t in ("green", "yellow", "red")] == ["green", "yellow", "red"]
    assert "46 %" in texts
    assert root.find(f"{SVG}title").text == "Coding share: 46 %, target below 40 %"  # type: ignore[union-attr]
    # bands: green 0–40 %, yellow 40–60 %, red 60–100 % of a 344-px scale starting at x=8
    bands = [r for r in root.iter(f"{SVG}rect") if r.get("fill-opacity") == "0.45"]
    assert [(r.get("x"), r.get("width")) for r in bands] == [
        ("8", "137.6"),
        ("145.6", "68.8"),
        ("214.4", "137.6"),
    ]


def test_bullet_chart_without_data() -> None:
    svg = chart_svg(bullet_chart(None, None))
    assert "no data this week" in svg
    parse(svg)


def test_sparkline_leaves_gaps_for_missing_weeks() -> None:
    root = parse(chart_svg(sparkline([0.5, None, 0.3, 0.2], 0.4, "Coding share")))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2  # one point alone, then a run of two
    assert len(list(root.iter(f"{SVG}circle"))) == 3


def test_chart_text_is_escaped() -> None:
    payload = '<script>alert(1)</script>"><img onerror=alert(1)>'
    for svg in (
        line_chart(["2026-W01", "2026-W02"], [Series(payload, [0.1, None])], payload),
        compare_bars([(payload, 1.0), ("team", None)], "h", payload),
        sparkline([0.1], None, payload),
        bullet_chart(0.1, 0.4, payload),
    ):
        text = chart_svg(svg)
        assert "<script" not in text and "<img" not in text
        root = parse(text)  # still well-formed XML
        assert payload in (root.get("aria-label") or "")


def test_line_chart_axis_and_band() -> None:
    svg = chart_svg(
        line_chart(
            ["2026-W01", "2026-W02", "2026-W03"],
            [Series("Coding share", [0.3, 0.5, None])],
            "Coding",
            band=(0.0, 0.2),
            band_label="green: below 20 %",
        )
    )
    root = parse(svg)
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.endswith("%")]
    # largest value 0.5 -> four steps of 25 %: 0, 25, 50, 75, 100 %
    assert ticks[:6] == ["green: below 20 %", "0 %", "25 %", "50 %", "75 %", "100 %"]
    assert "Coding share: 30 %, 50 %, no data" in (root.get("aria-label") or "")
    assert re.search(r"W03", svg)


def test_line_chart_without_any_value() -> None:
    svg = chart_svg(line_chart(["2026-W01"], [Series("a", [None])], "Empty"))
    assert "no data in these weeks" in svg
    parse(svg)


@pytest.mark.parametrize(
    ("largest", "as_percent", "ceiling"),
    [
        (0.5, True, 1.0),
        (0.09, True, 0.1),
        (0.19, True, 0.2),
        (0.0, True, 0.1),
        (30, False, 40),
        (95, False, 100),
    ],
)
def test_nice_ceiling(largest: float, as_percent: bool, ceiling: float) -> None:
    assert nice_ceiling(largest, as_percent) == pytest.approx(ceiling)
