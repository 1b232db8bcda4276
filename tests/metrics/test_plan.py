"""The delegation plan's verdict (SPEC §8) at its edges, with hand-computed inputs."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.plan import (
    CATEGORY_WEEK_SCHEMA,
    NOT_STARTED,
    ON_TRACK,
    PLAN_WEEK_SCHEMA,
    READY,
    SETTLING,
    STUCK,
    plan_verdict,
    plan_weeks,
    verdict_step,
    weeks_since_start,
)

THRESHOLD = 0.10
# The baseline: 4 weeks before the start, the manager touched half of the active issues.
BASELINE = [(-3, 0.30, 0.5), (-2, 0.20, 0.5), (-1, 0.25, 0.5), (0, 0.25, 0.5)]


def frame(rows: list[tuple[int, float | None, float | None]]) -> pl.DataFrame:
    """(phase_week, escalation_rate, manager_involvement) rows as a plan frame."""
    return pl.DataFrame(
        [
            {
                "week": f"w{w}",
                "phase_week": w,
                "active": None,
                "escalation_rate": rate,
                "manager_involved": None,
                "manager_involvement": share,
            }
            for w, rate, share in rows
        ],
        schema=PLAN_WEEK_SCHEMA,
    )


def good_weeks(count: int) -> list[tuple[int, float | None, float | None]]:
    """Weeks 1..count with the rate under the threshold and involvement at 0.2 (< baseline 0.5)."""
    return [(w, 0.05, 0.2) for w in range(1, count + 1)]


def test_five_weeks_is_settling_in_even_with_perfect_numbers() -> None:
    result = plan_verdict(frame(BASELINE + good_weeks(5)), THRESHOLD)
    assert (result.verdict, result.weeks) == (SETTLING, 5)


def test_six_weeks_with_three_good_weeks_is_ready() -> None:
    result = plan_verdict(frame(BASELINE + good_weeks(6)), THRESHOLD)
    # last 3 weeks (4, 5, 6): 0.05 <= 0.10 each; involvement mean 0.2 < baseline mean 0.5
    assert result.verdict == READY
    assert (result.weeks, result.recent_at_or_under, result.recent_above) == (6, 3, 0)
    assert result.recent_involvement == pytest.approx(0.2)
    assert result.baseline_involvement == pytest.approx(0.5)
    assert result.baseline_rate == pytest.approx((0.30 + 0.20 + 0.25 + 0.25) / 4)  # 0.25


def test_rate_exactly_at_the_threshold_counts_as_at_or_under() -> None:
    weeks = [*good_weeks(3), (4, 1 / 10, 0.2), (5, 0.1, 0.2), (6, 2 / 20, 0.2)]
    assert plan_verdict(frame(BASELINE + weeks), THRESHOLD).verdict == READY


def test_involvement_equal_to_the_baseline_is_not_below_it() -> None:
    # last 3 weeks' involvement: (0.5 + 0.4 + 0.6) / 3 = 0.5, the baseline's mean: not below
    weeks = [*good_weeks(3), (4, 0.05, 0.5), (5, 0.05, 0.4), (6, 0.05, 0.6)]
    result = plan_verdict(frame(BASELINE + weeks), THRESHOLD)
    assert result.recent_involvement == pytest.approx(0.5)
    assert result.verdict == ON_TRACK


def test_two_of_three_weeks_above_is_stuck_one_is_on_track() -> None:
    two = [*good_weeks(3), (4, 0.15, 0.2), (5, 0.05, 0.2), (6, 0.11, 0.2)]
    result = plan_verdict(frame(BASELINE + two), THRESHOLD)
    assert (result.verdict, result.recent_above, result.recent_at_or_under) == (STUCK, 2, 1)
    one = [*good_weeks(3), (4, 0.05, 0.2), (5, 0.05, 0.2), (6, 0.11, 0.2)]
    assert plan_verdict(frame(BASELINE + one), THRESHOLD).verdict == ON_TRACK


def test_only_the_last_three_weeks_count() -> None:
    # weeks 1-5 above the threshold, then 6-8 at or under: ready at week 8
    weeks = [(w, 0.5, 0.9) for w in range(1, 6)] + [(w, 0.0, 0.1) for w in range(6, 9)]
    result = plan_verdict(frame(BASELINE + weeks), THRESHOLD)
    assert (result.verdict, result.weeks) == (READY, 8)


def test_a_week_with_nothing_active_is_no_evidence() -> None:
    # week 5 had no active issue: not at or under (so not ready), not above (so not stuck)
    weeks = [*good_weeks(4), (5, None, None), (6, 0.05, 0.2)]
    result = plan_verdict(frame(BASELINE + weeks), THRESHOLD)
    assert (result.verdict, result.recent_at_or_under, result.recent_above) == (ON_TRACK, 2, 0)
    stuck = [*good_weeks(4), (5, None, None), (6, 0.5, 0.2), (7, 0.5, 0.2)]
    assert plan_verdict(frame(BASELINE + stuck), THRESHOLD).verdict == STUCK


def test_no_baseline_means_not_ready() -> None:
    # Nothing active in the 4 weeks before: involvement cannot be shown to have dropped.
    empty = [(w, None, None) for w in range(-3, 1)]
    assert plan_verdict(frame(empty + good_weeks(6)), THRESHOLD).verdict == ON_TRACK


def test_before_the_start_is_not_started() -> None:
    assert plan_verdict(frame(BASELINE), THRESHOLD).verdict == NOT_STARTED


def test_plan_weeks_numbers_weeks_and_divides_involvement() -> None:
    since = date(2026, 9, 28)  # Monday of 2026-W40
    rows = [
        # week, monday, active, rate, manager_involved
        ("2026-W35", since - timedelta(weeks=5), 4, 0.25, 4),  # before the baseline: dropped
        ("2026-W36", since - timedelta(weeks=4), 4, 0.25, 2),  # phase week -3
        ("2026-W39", since - timedelta(weeks=1), 0, None, 0),  # phase week 0, nothing active
        ("2026-W40", since, 5, 0.2, 1),  # phase week 1
        ("2026-W41", since + timedelta(weeks=1), 8, 0.125, 2),  # phase week 2
        ("2026-W42", since + timedelta(weeks=2), 8, 0.0, 0),  # after `through`: dropped
    ]
    weeks = pl.DataFrame(rows, schema=CATEGORY_WEEK_SCHEMA, orient="row")
    got = plan_weeks(weeks, since, since + timedelta(weeks=1))
    expected = pl.DataFrame(
        [
            ("2026-W36", -3, 4, 0.25, 2, 0.5),  # 2 / 4
            ("2026-W39", 0, 0, None, 0, None),  # nothing active: no involvement
            ("2026-W40", 1, 5, 0.2, 1, 0.2),  # 1 / 5
            ("2026-W41", 2, 8, 0.125, 2, 0.25),  # 2 / 8
        ],
        schema=PLAN_WEEK_SCHEMA,
        orient="row",
    )
    assert_frame_equal(got, expected)
    assert weeks_since_start(since, since) == 1
    assert weeks_since_start(since, since + timedelta(weeks=5)) == 6
    assert weeks_since_start(since, since - timedelta(weeks=1)) == 0


@pytest.mark.parametrize(
    ("verdict", "category", "step"),
    [
        ("not started", "tactical", "This hand-over has not started yet."),
        (
            "settling in",
            "tactical",
            "Give it time: the team needs 6–8 weeks to build the habit. "
            "Keep stepping back and answer escalations with a question.",
        ),
        (
            "on track",
            "implementation",
            "Hold the line: escalations are within the target. Keep sending questions back to the team.",
        ),
        (
            "stuck",
            "implementation",
            "Implementation work keeps coming back to you. Sit down with the team and agree again, with "
            "examples, what is theirs to decide and when to bring you in.",
        ),
        (
            "ready for the next category",
            "tactical",
            "The team owns tactical work. Tell your own manager, then start handing over implementation "
            "work the same way.",
        ),
        (
            "ready for the next category",
            "implementation",
            "The team owns implementation work. Strategic work stays with you: spend the time there.",
        ),
    ],
)
def test_each_verdict_says_what_to_do_next(verdict: str, category: str, step: str) -> None:
    """The plan page's next step for each verdict (PRACTICE.md: the delegation plan): tactical work
    is handed over first, then implementation; strategic work is never handed over."""
    assert verdict_step(verdict, category) == step
