"""The quarter view of a range run: every team over the range, counted by hand."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import polars as pl

from metrics.result import TeamWeek
from reports.render import PageContext, best_and_worst, colour_counts, decision_wait, quarter_page
from reports.slug import unique_slugs
from tests.reports.factory import WEEK, ZONE_NAME, TeamWeekFactory, busy_summary, checklist, evidence
from tests.reports.test_change import COLOURS

ZONE = ZoneInfo(ZONE_NAME)


def weeks_of(
    make: TeamWeekFactory,
    name: str,
    colours: list[tuple[str, ...]],
    shares: list[float | None],
    waits: list[list[float]],
) -> list[TeamWeek]:
    result = []
    for back, (row, share, wait) in enumerate(zip(colours, shares, waits, strict=True)):
        summary = busy_summary(name, 3)
        summary["checklist"] = checklist(*row)
        summary["coding"] = {**summary["coding"], "share": share}
        frames = evidence()
        frames["answered"] = (
            frames["answered"]
            .head(0)
            .vstack(
                pl.DataFrame(
                    {"key": [f"DS-{i}" for i in range(len(wait))], "wait_hours": wait},
                    schema={"key": pl.String(), "wait_hours": pl.Float64()},
                ).select(
                    pl.col("key"),
                    *(
                        pl.lit(None, dtype=frames["answered"].schema[c]).alias(c)
                        for c in ("summary", "url", "category", "requested_at", "answered_at")
                    ),
                    pl.col("wait_hours"),
                )
            )
        )
        result.append(
            make(name=name, week=WEEK.previous(ZONE, len(colours) - 1 - back), summary=summary, frames=frames)
        )
    return result


def test_quarter_index_counts_each_light_and_finds_best_and_worst_week(
    team_week: TeamWeekFactory, context: PageContext
) -> None:
    churn = weeks_of(
        team_week,
        "Churn & Retention",
        COLOURS,
        [0.5, 0.6, None, 0.55, 0.45],
        # medians: 10 h; (2, 30) -> 16 h; none; 40 h; (1, 3, 50) -> 3 h
        [[10.0], [2.0, 30.0], [], [40.0], [1.0, 3.0, 50.0]],
    )
    calm_colours = [
        ("green",) * 5,
        ("green",) * 5,
        ("green", "green", "green", "green", "grey"),
        ("grey",) * 5,
        ("green",) * 5,
    ]
    calm = weeks_of(team_week, "Forecasting", calm_colours, [0.1] * 5, [[2.0]] * 5)
    assert [decision_wait(tw) for tw in churn] == [10.0, 16.0, None, 40.0, 3.0]
    # Churn, colours per light over W43..W47 (see COLOURS):
    # coding green, red, red, red, red -> 4 red, 1 green
    # reviews green, yellow, green, green, yellow -> 2 yellow, 3 green
    # tactical grey, grey, red, yellow, green -> 1 red, 1 yellow, 1 green, 2 grey
    counts = colour_counts(churn)
    assert counts["coding"] == {"red": 4, "yellow": 0, "green": 1, "grey": 0}
    assert counts["reviews"] == {"red": 0, "yellow": 2, "green": 3, "grey": 0}
    assert counts["tactical_ownership"] == {"red": 1, "yellow": 1, "green": 1, "grey": 2}
    # (red, yellow) per week: W43 (0,0) W44 (1,1) W45 (2,1) W46 (1,1) W47 (1,2)
    best, worst = best_and_worst(churn)
    assert best is not None and worst is not None
    assert (best.week.label, worst.week.label) == ("2026-W43", "2026-W45")
    # Forecasting: all green but W46 (every light grey: not judged, not green); best and worst
    # are the earliest of the tied all-green weeks
    calm_best, calm_worst = best_and_worst(calm)
    assert calm_best is not None and calm_worst is not None
    assert calm_best.week.label == calm_worst.week.label == "2026-W43"

    html = quarter_page(
        {"Churn & Retention": churn, "Forecasting": calm},
        unique_slugs(["Churn & Retention", "Forecasting"]),
        context,
    )
    assert "All teams — 2026-W43 to 2026-W47" in html and "5 weeks" in html
    row = html.split('<tr data-team="Churn &amp; Retention">', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'data-label="[^"]+">([^<]*)</td>', row)
    # all green (nothing red or yellow) 1 of 5 (W43), a red light 4 of 5, longest run of red or
    # yellow weeks W44..W47 = 4
    assert cells[:3] == ["1 of 5", "4 of 5", "4 weeks"]
    assert "2026-W43: all green" in row and "2026-W45: 2 red, 1 yellow" in row
    lights = (
        html.split('id="quarter-lights"', 1)[1]
        .split('<tr data-team="Churn &amp; Retention">', 1)[1]
        .split("</tr>", 1)[0]
    )
    coding = lights.split('data-item="coding">', 1)[1].split("</td>", 1)[0]
    assert re.findall(r'data-colour="(\w+)">.*?<span class="n">(\d+)</span>', coding) == [
        ("red", "4"),
        ("green", "1"),
    ]
    trends = (
        html.split('id="quarter-trends"', 1)[1]
        .split('<tr data-team="Churn &amp; Retention">', 1)[1]
        .split("</tr>", 1)[0]
    )
    assert "first 50 %, last 45 %" in trends and "first 10 h, last 3 h" in trends
    calm_row = html.split('<tr data-team="Forecasting">', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'data-label="[^"]+">([^<]*)</td>', calm_row)[:3] == ["4 of 5", "0 of 5", "0 weeks"]
    assert 'href="churn-retention.html"' in html and 'href="forecasting.html"' in html
