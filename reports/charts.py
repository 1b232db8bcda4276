"""Static SVG charts: Python decides every shape, `_chart.html` draws them with autoescape on.

A chart is data (a `Chart` of `Shape`s: tag, attributes, text), never a string of markup, so the
team names and labels it carries are escaped by the same template engine as the rest of the page.

Colours never stand alone: bands carry words, series carry distinct dashes and marker shapes,
so a chart reads the same in greyscale and for colour-blind readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Light colours, far apart in lightness (yellow 0.58, green 0.31, red 0.10 relative luminance);
# grey ("no data") is drawn hollow with a dashed outline instead of a fill.
PALETTE = {"green": "#4dac26", "yellow": "#f6c141", "red": "#b2182b", "grey": "#9e9e9e"}
INK = "#1f2328"
MUTED = "#57606a"
# Okabe–Ito colours for data series, each paired with its own dash pattern and marker.
SERIES_STYLES = (
    ("#0072b2", "", "circle"),
    ("#d55e00", "6 4", "square"),
    ("#009e73", "2 3", "triangle"),
    ("#cc79a7", "10 3 2 3", "diamond"),
)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Shape:
    """One SVG element: its tag, its attributes in order, and the text inside it (if any)."""

    tag: str
    attrs: tuple[tuple[str, str], ...]
    text: str = ""


@dataclass(frozen=True)
class Chart:
    """A whole chart; `label` is its accessible description (title and aria-label)."""

    kind: str
    width: int
    height: int
    label: str
    shapes: tuple[Shape, ...]
    font: str = FONT


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _el(tag: str, text: str = "", **attrs: float | str) -> Shape:
    """A shape; numbers are written with one decimal at most, `fill_opacity` as `fill-opacity`."""
    return Shape(
        tag,
        tuple(
            (name.replace("_", "-"), _n(value) if isinstance(value, float | int) else value)
            for name, value in attrs.items()
        ),
        text,
    )


def _svg(width: int, height: int, label: str, shapes: list[Shape], kind: str = "line") -> Chart:
    return Chart(kind, width, height, label, tuple(shapes))


def _text(x: float, y: float, text: str, size: int = 13, anchor: str = "start", fill: str = INK) -> Shape:
    return _el("text", text, x=x, y=y, font_size=size, text_anchor=anchor, fill=fill)


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def bullet_chart(share: float | None, target: float | None, label: str = "Coding share") -> Chart:
    """The coding share on a 0–100 % scale over its green / yellow / red bands (SPEC §5.1)."""
    width, height, left, right = 360, 78, 8, 352
    span = right - left

    def x(value: float) -> float:
        return left + span * min(max(value, 0.0), 1.0)

    parts: list[Shape] = []
    if target is None:
        parts.append(_el("rect", x=left, y=22, width=span, height=22, fill="#eeeeee"))
    else:
        bands = (
            (0.0, target, "green", "green"),
            (target, min(target + 0.2, 1.0), "yellow", "yellow"),
            (min(target + 0.2, 1.0), 1.0, "red", "red"),
        )
        for start, end, colour, word in bands:
            if end <= start:
                continue
            parts.append(
                _el(
                    "rect",
                    x=x(start),
                    y=22,
                    width=x(end) - x(start),
                    height=22,
                    fill=PALETTE[colour],
                    fill_opacity="0.45",
                )
            )
            parts.append(_text((x(start) + x(end)) / 2, 16, word, 12, "middle", MUTED))
        parts.append(
            _el(
                "line",
                x1=x(target),
                x2=x(target),
                y1=18,
                y2=48,
                stroke=INK,
                stroke_width=2,
                stroke_dasharray="3 2",
            )
        )
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        anchor = "start" if tick == 0 else "end" if tick == 1 else "middle"
        parts.append(_text(x(tick), 62, _percent(tick), 11, anchor, MUTED))
    if share is None:
        parts.append(_text(left + span / 2, 38, "no data this week", 13, "middle"))
        summary = f"{label}: no data"
    else:
        parts.append(_el("rect", x=left, y=29, width=x(share) - left, height=8, fill=INK))
        parts.append(_el("rect", x=x(share) - 2, y=24, width=4, height=18, fill=INK))
        parts.append(_text(min(max(x(share), left + 20), right - 20), 76, _percent(share), 13, "middle"))
        summary = f"{label}: {_percent(share)}"
        if target is not None:
            summary += f", target below {_percent(target)}"
    return _svg(width, height + 4, summary, parts, "bullet")


def _marker(shape: str, cx: float, cy: float, colour: str) -> Shape:
    if shape == "square":
        return _el("rect", x=cx - 3.5, y=cy - 3.5, width=7, height=7, fill=colour)
    if shape == "triangle":
        points = f"{_n(cx)},{_n(cy - 4.5)} {_n(cx + 4.5)},{_n(cy + 3.5)} {_n(cx - 4.5)},{_n(cy + 3.5)}"
        return _el("polygon", points=points, fill=colour)
    if shape == "diamond":
        points = f"{_n(cx)},{_n(cy - 5)} {_n(cx + 5)},{_n(cy)} {_n(cx)},{_n(cy + 5)} {_n(cx - 5)},{_n(cy)}"
        return _el("polygon", points=points, fill=colour)
    return _el("circle", cx=cx, cy=cy, r=3.5, fill=colour)


def _segments(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Split a line at missing values: a week without data is a gap, never a zero."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def sparkline(
    values: Sequence[float | None], target: float | None, label: str, *, as_percent: bool = True
) -> Chart:
    """A small line of shares (0–1), or of hours, over weeks, with the target as a dashed line."""
    width, height, pad = 180, 44, 5
    top = max([v for v in values if v is not None] + [target or 0.0, 0.1 if as_percent else 1.0])

    def y(value: float) -> float:
        return height - pad - (height - 2 * pad) * min(value, top) / top

    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = [None if v is None else (pad + i * step, y(v)) for i, v in enumerate(values)]
    parts = [_el("rect", x=0, y=0, width=width, height=height, fill="#f6f8fa")]
    if target is not None:
        parts.append(
            _el("line", x1=0, x2=width, y1=y(target), y2=y(target), stroke=MUTED, stroke_dasharray="4 3")
        )
    for run in _segments(points):
        path = " ".join(f"{_n(px)},{_n(py)}" for px, py in run)
        parts.append(_el("polyline", points=path, fill="none", stroke=INK, stroke_width=2))
    for point in points:
        if point is not None:
            parts.append(_marker("circle", point[0], point[1], INK))
    known = ["no data" if v is None else _percent(v) if as_percent else f"{v:.1f} h" for v in values]
    return _svg(width, height, f"{label}, oldest first: {', '.join(known) or 'no weeks'}", parts, "spark")


def compare_bars(items: Sequence[tuple[str, float | None]], unit: str, label: str) -> Chart:
    """Horizontal bars for a few named values (e.g. pickup hours: you vs the team)."""
    width, row = 360, 30
    height = row * len(items) + 6
    known = [v for _, v in items if v is not None]
    top = max([*known, 1.0])
    parts: list[Shape] = []
    for i, (name, value) in enumerate(items):
        y = 6 + i * row
        parts.append(_text(2, y + 15, name, 13))
        colour, _, _ = SERIES_STYLES[i % len(SERIES_STYLES)]
        if value is None:
            parts.append(_text(110, y + 15, "no data", 13, fill=MUTED))
            continue
        length = 170 * value / top
        parts.append(_el("rect", x=110, y=y + 3, width=max(length, 1), height=16, fill=colour))
        parts.append(_text(116 + length, y + 15, f"{value:.1f} {unit}", 13))
    described = ", ".join(f"{n}: {'no data' if v is None else f'{v:.1f} {unit}'}" for n, v in items)
    return _svg(width, height, f"{label}: {described}", parts, "bars")


def nice_ceiling(largest: float, as_percent: bool) -> float:
    """The top of a y axis: four equal steps of a round size (5 %, 10 %, 25 %; 1, 2, 5 h, ...)."""
    if as_percent:
        steps = [0.025, 0.05, 0.1, 0.25]
    else:
        steps = [m * 10.0**k for k in range(-1, 5) for m in (1, 2, 2.5, 5)]
    wanted = min(largest * 1.05, 1.0) if as_percent else largest * 1.05
    for step in steps:
        if step * 4 >= wanted:
            return step * 4
    return largest * 1.05


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    label: str,
    *,
    as_percent: bool = True,
    band: tuple[float, float] | None = None,
    band_label: str = "",
) -> Chart:
    """Week-by-week lines with a legend; `band` shades a target range (e.g. the coding target)."""
    width = 560
    left, right, top_pad, bottom = 48, 548, 12, 196
    values = [v for s in series for v in s.values if v is not None]
    ceiling = nice_ceiling(max([*values, band[1] if band else 0.0]), as_percent)

    def x(i: int) -> float:
        return left + (right - left) * (i / max(len(labels) - 1, 1) if len(labels) > 1 else 0.5)

    def y(v: float) -> float:
        return bottom - (bottom - top_pad) * min(max(v, 0.0), ceiling) / ceiling

    def fmt(v: float) -> str:
        if as_percent:
            return f"{v * 100:.1f}".rstrip("0").rstrip(".") + " %"
        return f"{v:.0f} h" if v >= 10 or v == int(v) else f"{v:.1f} h"

    parts: list[Shape] = []
    if band is not None:
        low, high = band
        parts.append(
            _el(
                "rect",
                x=left,
                y=y(high),
                width=right - left,
                height=y(low) - y(high),
                fill=PALETTE["green"],
                fill_opacity="0.18",
            )
        )
        if band_label:
            parts.append(_text(right - 4, y(high) + 16, band_label, 14, "end", MUTED))
    for k in range(5):
        value = ceiling * k / 4
        parts.append(
            _el("line", x1=left, x2=right, y1=y(value), y2=y(value), stroke="#d0d7de", stroke_width=1)
        )
        parts.append(_text(left - 6, y(value) + 5, fmt(value), 13, "end", MUTED))
    every = max(1, -(-len(labels) // 8))
    for i, text in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            # the last label ends at the plot's right edge, so it is never cut off
            anchor = "end" if i == len(labels) - 1 and len(labels) > 1 else "middle"
            parts.append(
                _text(
                    x(i) + (8 if anchor == "end" else 0), bottom + 18, text.split("-")[-1], 13, anchor, MUTED
                )
            )
    for index, one in enumerate(series):
        colour, dash, shape = SERIES_STYLES[index % len(SERIES_STYLES)]
        points = [None if v is None else (x(i), y(v)) for i, v in enumerate(one.values)]
        dashes = {"stroke_dasharray": dash} if dash else {}
        for run in _segments(points):
            path = " ".join(f"{_n(px)},{_n(py)}" for px, py in run)
            parts.append(_el("polyline", points=path, fill="none", stroke=colour, stroke_width=2.5, **dashes))
        parts.extend(_marker(shape, p[0], p[1], colour) for p in points if p is not None)
        lx = left + (index % 3) * 170
        ly = bottom + 40 + (index // 3) * 20
        parts.append(
            _el("line", x1=lx, x2=lx + 26, y1=ly - 4, y2=ly - 4, stroke=colour, stroke_width=2.5, **dashes)
        )
        parts.append(_marker(shape, lx + 13, ly - 4, colour))
        parts.append(_text(lx + 32, ly, one.name, 14))
    if not values:
        parts.append(
            _text((left + right) / 2, (top_pad + bottom) / 2, "no data in these weeks", 14, "middle")
        )
    rows = len(series) and (len(series) - 1) // 3 + 1

    def value_text(v: float) -> str:
        return _percent(v) if as_percent else f"{v:.1f} h"

    described = "; ".join(
        f"{s.name}: " + ", ".join("no data" if v is None else value_text(v) for v in s.values) for s in series
    )
    return _svg(width, bottom + 26 + rows * 20 + 4, f"{label}. {described}", parts)
