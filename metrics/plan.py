"""The delegation plan (SPEC §8): per phase, the weeks since the hand-over started, the category's
escalation rate and manager involvement against the 4 weeks before it, and the verdict.

Pure functions over small per-week frames; the flows read the weekly numbers and pass them in.
Manager involvement, week by week, is `manager_involved / active` of the category: the share of
the category's active issues the manager touched. A week with no active issue has neither a rate
nor an involvement (null): it is no evidence either way (README, "The delegation plan").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

BASELINE_WEEKS = 4  # the weeks before the start the phase is compared with
RECENT_WEEKS = 3  # the weeks a verdict looks at
SETTLING_WEEKS = 6  # before this many weeks a phase is settling in
PHASE_WEEKS = (6, 8)  # how long the practice gives a category at least

# Input: one row per report week of the category's numbers.
CATEGORY_WEEK_SCHEMA: dict[str, Any] = {
    "week": pl.String,
    "monday": pl.Date,
    "active": pl.Int64,
    "escalation_rate": pl.Float64,
    "manager_involved": pl.Int64,
}
# Output of plan_weeks, input of plan_verdict: phase_week 1 is the start week, -3..0 the baseline.
PLAN_WEEK_SCHEMA: dict[str, Any] = {
    "week": pl.String,
    "phase_week": pl.Int64,
    "active": pl.Int64,
    "escalation_rate": pl.Float64,
    "manager_involved": pl.Int64,
    "manager_involvement": pl.Float64,
}

SETTLING = "settling in"
ON_TRACK = "on track"
STUCK = "stuck"
READY = "ready for the next category"
NOT_STARTED = "not started"

NEXT_CATEGORY = {"tactical": "implementation", "implementation": None}


def weeks_since_start(since: date, monday: date) -> int:
    """The phase week of the week starting `monday`: the start week is week 1 (0 or less: before)."""
    return (monday - since).days // 7 + 1


def plan_weeks(category_weeks: pl.DataFrame, since: date, through: date) -> pl.DataFrame:
    """The baseline weeks and the weeks from the start up to the week of `through` (a Monday),
    numbered by phase week, with the manager's involvement as a share of active issues."""
    last = weeks_since_start(since, through)
    return (
        category_weeks.lazy()
        .with_columns(phase_week=((pl.col("monday") - pl.lit(since)).dt.total_days() // 7 + 1).cast(pl.Int64))
        .filter(pl.col("phase_week").is_between(1 - BASELINE_WEEKS, last))
        .with_columns(
            manager_involvement=pl.when(pl.col("active") > 0).then(
                pl.col("manager_involved") / pl.col("active")
            )
        )
        .sort("phase_week")
        .select(list(PLAN_WEEK_SCHEMA))
        .collect()
        .cast(PLAN_WEEK_SCHEMA)  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class PlanVerdict:
    """A phase's verdict and the numbers behind it."""

    verdict: str
    weeks: int  # weeks since the start, the start week counted as week 1
    recent_at_or_under: int  # of the last 3 weeks, weeks with the rate at or under the threshold
    recent_above: int  # of the last 3 weeks, weeks with the rate above it
    recent_involvement: float | None  # mean involvement of the last 3 weeks
    baseline_involvement: float | None  # mean involvement of the 4 weeks before the start
    baseline_rate: float | None  # mean escalation rate of the baseline weeks


def plan_verdict(weeks: pl.DataFrame, threshold: float) -> PlanVerdict:
    """SPEC §8: w < 6 settling in; ready when the rate is at or under `threshold` in each of the
    last 3 weeks and their mean involvement is below the baseline's; stuck when the rate is above
    it in 2 or more of the last 3 weeks; on track otherwise.

    `weeks` has PLAN_WEEK_SCHEMA's phase_week, escalation_rate and manager_involvement. A week
    without a rate (nothing active, or missing) is neither at or under nor above the threshold.
    """
    started = weeks.filter(pl.col("phase_week") >= 1)
    w = int(started.get_column("phase_week").max() or 0) if started.height else 0  # type: ignore[arg-type]
    baseline = weeks.filter(pl.col("phase_week") <= 0)
    recent = started.filter(pl.col("phase_week") > w - RECENT_WEEKS)
    rate = pl.col("escalation_rate")
    counts = recent.select(
        under=(rate <= threshold).sum(),
        above=(rate > threshold).sum(),
        involvement=pl.col("manager_involvement").mean(),
    ).row(0, named=True)
    base = baseline.select(involvement=pl.col("manager_involvement").mean(), rate=rate.mean()).row(
        0, named=True
    )
    recent_involvement, baseline_involvement = counts["involvement"], base["involvement"]
    under, above = int(counts["under"] or 0), int(counts["above"] or 0)
    if w < 1:
        verdict = NOT_STARTED
    elif w < SETTLING_WEEKS:
        verdict = SETTLING
    elif (
        under == RECENT_WEEKS
        and recent_involvement is not None
        and baseline_involvement is not None
        and recent_involvement < baseline_involvement
    ):
        verdict = READY
    elif above >= 2:
        verdict = STUCK
    else:
        verdict = ON_TRACK
    return PlanVerdict(verdict, w, under, above, recent_involvement, baseline_involvement, base["rate"])


def verdict_step(verdict: str, category: str) -> str:
    """What the manager does next, in the product's words."""
    if verdict == NOT_STARTED:
        return "This hand-over has not started yet."
    if verdict == SETTLING:
        return (
            f"Give it time: the team needs {PHASE_WEEKS[0]}–{PHASE_WEEKS[1]} weeks to build the habit. "
            "Keep stepping back and answer escalations with a question."
        )
    if verdict == STUCK:
        return (
            f"{category.capitalize()} work keeps coming back to you. Sit down with the team and agree "
            "again, with examples, what is theirs to decide and when to bring you in."
        )
    if verdict == READY:
        following = NEXT_CATEGORY.get(category)
        if following:
            return (
                f"The team owns {category} work. Tell your own manager, then start handing over "
                f"{following} work the same way."
            )
        return f"The team owns {category} work. Strategic work stays with you: spend the time there."
    return "Hold the line: escalations are within the target. Keep sending questions back to the team."
