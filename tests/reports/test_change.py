"""Change since last week and streaks (reports/change.py), and where they show: the team page,
the subject line and the comparison page. Expected values counted by hand from the colours."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from metrics.result import TeamWeek
from reports.change import (
    BETTER,
    SAME,
    UNJUDGED,
    WORSE,
    change,
    light_changes,
    light_streak,
    ordinal,
    streak,
    subject_lights,
)
from reports.email import weekly_message
from reports.render import PageContext, comparison_page, team_page
from reports.slug import unique_slugs
from tests.reports.factory import WEEK, ZONE_NAME, TeamWeekFactory, busy_summary, checklist

ZONE = ZoneInfo(ZONE_NAME)
# Five weeks of one team, oldest first: (coding, reviews, tactical, strategic, decisions)
COLOURS = [
    ("green", "green", "grey", "green", "green"),  # W43
    ("red", "yellow", "grey", "green", "green"),  # W44
    ("red", "green", "red", "green", "yellow"),  # W45
    ("red", "green", "yellow", "green", "grey"),  # W46
    ("red", "yellow", "green", "green", "yellow"),  # W47
]


def history(
    make: TeamWeekFactory, colours: list[tuple[str, ...]] = COLOURS, name: str = "Churn & Retention"
) -> list[TeamWeek]:
    weeks = []
    for back, row in zip(range(len(colours) - 1, -1, -1), colours, strict=True):
        summary = busy_summary(name, 3)
        summary["checklist"] = checklist(*row)
        weeks.append(make(name=name, week=WEEK.previous(ZONE, back), summary=summary))
    return weeks


def test_change_and_streak_rules() -> None:
    assert change("red", "yellow") == WORSE and change("green", "red") == BETTER
    assert change("yellow", "yellow") == SAME
    assert (
        change("grey", "red") == UNJUDGED
        and change("red", "grey") == UNJUDGED
        and change("red", None) == UNJUDGED
    )
    assert light_streak(["red", "green", "yellow", "red", "yellow"]) == 3
    assert light_streak(["red", "grey"]) == 0 and light_streak([]) == 0
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
    ]


def test_light_changes_over_five_weeks(team_week: TeamWeekFactory) -> None:
    changes = {c["item"]: c for c in light_changes(history(team_week))}
    # coding red W44..W47: 4 weeks in a row, same as last week
    assert (changes["coding"]["streak"], changes["coding"]["change"]) == (4, SAME)
    # reviews yellow now, green last week: worse, streak 1
    assert (changes["reviews"]["streak"], changes["reviews"]["change"], changes["reviews"]["was"]) == (
        1,
        WORSE,
        "green",
    )
    # tactical green after yellow: better, no streak
    assert (changes["tactical_ownership"]["streak"], changes["tactical_ownership"]["change"]) == (0, BETTER)
    # decisions yellow after grey: not judged; the grey week breaks the streak
    assert (changes["decisions"]["streak"], changes["decisions"]["change"]) == (1, UNJUDGED)
    # the team had a red or yellow light in W44, W45, W46 and W47
    assert streak(history(team_week)) == 4


def test_subject_names_long_streaks(team_week: TeamWeekFactory) -> None:
    weeks = history(team_week)
    # 1 red (coding, 4th week), 2 yellow (reviews new, decisions new)
    assert subject_lights(light_changes(weeks)) == "1 red (coding 4th week), 2 yellow"
    message = weekly_message(weeks[-1], "", (), history=weeks[:-1])
    assert (
        message.subject
        == "Delegation radar — Churn & Retention — week 2026-W47: 1 red (coding 4th week), 2 yellow"
    )
    # without the weeks before, no streak can be named
    assert weekly_message(weeks[-1], "").subject.endswith("week 2026-W47: 1 red, 2 yellow")


def test_subject_with_two_reds_in_a_row() -> None:
    changes = [
        {"item": "coding", "colour": "red", "streak": 5},
        {"item": "reviews", "colour": "red", "streak": 1},
        {"item": "tactical_ownership", "colour": "yellow", "streak": 2},
        {"item": "strategic_involvement", "colour": "green", "streak": 0},
        {"item": "decisions", "colour": "grey", "streak": 0},
    ]
    assert subject_lights(changes) == "2 red (coding 5th week), 1 yellow (tactical 2nd week)"
    assert subject_lights([{"item": "coding", "colour": "green", "streak": 0}]) == "all green"
    assert subject_lights([{"item": "coding", "colour": "grey", "streak": 0}]) == "no data"


def test_team_page_shows_change_and_streak(team_week: TeamWeekFactory, context: PageContext) -> None:
    weeks = history(team_week)
    html = team_page(weeks[-1], weeks, context)
    lines = dict(re.findall(r'<li data-item="(\w+)">.*?<p class="change"[^>]*>(.*?)</p>', html, re.S))
    assert lines["coding"] == "4th week in a row · same as last week"
    assert lines["reviews"] == "new this week · worse than last week (was green)"
    assert lines["tactical_ownership"] == "better than last week (was yellow)"
    assert lines["decisions"] == "new this week · no data last week"
    assert lines["strategic_involvement"] == "same as last week"


def test_comparison_page_shows_change_and_streak(team_week: TeamWeekFactory, context: PageContext) -> None:
    churn = history(team_week)
    calm = history(team_week, [("green",) * 5] * 5, name="Forecasting")
    slugs = unique_slugs(["Churn & Retention", "Forecasting"])
    html = comparison_page(
        WEEK, [churn[-1], calm[-1]], slugs, context, {"Churn & Retention": churn, "Forecasting": calm}
    )
    churn_row = html.split('<tr data-team="Churn &amp; Retention">', 1)[1].split("</tr>", 1)[0]
    deltas = dict(re.findall(r'data-item="(\w+)">.*?<span class="delta"[^>]*>(.*?)</span>', churn_row))
    assert deltas == {
        "coding": "4 weeks",
        "reviews": "worse, was green",
        "tactical_ownership": "better, was yellow",
    }
    assert "red or yellow for the 4th week in a row" in churn_row
    calm_row = html.split('<tr data-team="Forecasting">', 1)[1].split("</tr>", 1)[0]
    assert 'class="delta"' not in calm_row and "red or yellow" not in calm_row
    assert "Your review share" not in html and "Manager's review share" in html
