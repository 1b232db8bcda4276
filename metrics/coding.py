"""Coding share (SPEC §5.1): the manager's commits grouped into sessions, against the target for
everyone who reports to them.

Coding share belongs to the manager, not to one team: their commits in every repo of the store
count, and the target follows the number of distinct people across all the teams they manage.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from core.config import CodingSettings, Config
from metrics.scope import Scope, band, hours, in_weeks

SESSION_SCHEMA: dict[str, Any] = {
    "team": pl.String,
    "week": pl.String,
    "day": pl.Date,
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "commits": pl.Int64,
    "hours": pl.Float64,
}


def size_target(reports: int) -> float:
    """Reports <= 6 -> 40 %, 7-12 -> 20 %, >= 13 -> 10 %."""
    if reports <= 6:
        return 0.40
    if reports <= 12:
        return 0.20
    return 0.10


def red_from(reports: int) -> float:
    """Red from target + 20 points, but from 30 % with more than 10 reports (PRACTICE.md)."""
    target = size_target(reports)
    line = round(target + 0.20, 6)  # 0.40 + 0.20 is 0.6000000000000001 in floats
    return min(line, 0.30) if reports > 10 else line


def coding_colour(share: float | None, reports: int) -> str:
    """green below the target, yellow up to the red line, red from it; grey without a share."""
    return band(share, size_target(reports), red_from(reports))


def coding_sessions(
    scope: Scope, weeks: pl.DataFrame, settings: CodingSettings, zone: ZoneInfo
) -> pl.DataFrame:
    """Each team's manager's coding sessions per week (the same for every team of one manager): a
    commit at most the gap after the previous one (in the same week) joins its session; a
    session lasts last - first + allowance."""
    gap = pl.duration(minutes=settings.session_gap_minutes)
    allowance = pl.duration(minutes=settings.first_commit_allowance_minutes)
    sessions = (
        in_weeks(scope.manager_commits.select("manager", "authored_at"), "authored_at", weeks)
        .sort("manager", "week", "authored_at")
        .with_columns(new=(pl.col("authored_at").diff().over("manager", "week") > gap).fill_null(True))
        .with_columns(session=pl.col("new").cum_sum())
        .group_by("manager", "week", "session")
        .agg(start=pl.col("authored_at").min(), end=pl.col("authored_at").max(), commits=pl.len())
    )
    return (
        scope.teams.select("team", "manager")
        .join(sessions, on="manager", how="inner")
        .select(
            "team",
            "week",
            day=pl.col("start").dt.convert_time_zone(zone.key).dt.date(),
            start=pl.col("start"),
            end=pl.col("end"),
            commits=pl.col("commits").cast(pl.Int64),
            hours=hours(pl.col("end") - pl.col("start") + allowance),
        )
        .sort("team", "week", "start")
        .cast(SESSION_SCHEMA)  # type: ignore[arg-type]
    )


def coding_by_week(
    scope: Scope, weeks: pl.DataFrame, sessions: pl.DataFrame, config: Config, workdays: dict[str, int]
) -> pl.DataFrame:
    """team, week, hours, share, target, reports, expected_hours, manager_merged_pr_share,
    manager_commit_share.  `workdays`: week label -> the d of expected_hours = hours x d / 5."""
    reports = pl.DataFrame(
        {
            "team": [team.name for team in config.teams],
            "reports": [config.reports(team.manager) for team in config.teams],
        },
        schema={"team": pl.String, "reports": pl.Int64},
    )
    expected = pl.DataFrame(
        {"week": list(workdays), "days": list(workdays.values())},
        schema={"week": pl.String, "days": pl.Int64},
    ).with_columns(expected_hours=pl.col("days").cast(pl.Float64) * config.work_hours_per_week / 5)
    grid = (
        scope.teams.select("team")
        .join(reports, on="team", how="left")
        .join(weeks.select("week"), how="cross")
        .join(expected, on="week", how="left")
    )
    coded = sessions.group_by("team", "week").agg(hours=pl.col("hours").sum())
    team_commits = (
        in_weeks(scope.commits, "authored_at", weeks)
        .join(scope.people, on=["team", "person"], how="inner")
        .group_by("team", "week")
        .agg(manager_commit_share=pl.col("is_manager").cast(pl.Float64).mean())
    )
    merged = (
        in_weeks(scope.prs, "merged_at", weeks)
        .group_by("team", "week")
        .agg(manager_merged_pr_share=pl.col("by_manager").cast(pl.Float64).mean())
    )
    size = pl.col("reports")
    return (
        grid.join(coded, on=["team", "week"], how="left")
        .join(team_commits, on=["team", "week"], how="left")
        .join(merged, on=["team", "week"], how="left")
        .with_columns(hours=pl.col("hours").fill_null(0.0))
        .with_columns(
            share=pl.when(pl.col("expected_hours") > 0).then(
                pl.min_horizontal(pl.col("hours") / pl.col("expected_hours"), pl.lit(1.0))
            ),
            target=pl.when(size <= 6).then(0.40).when(size <= 12).then(0.20).otherwise(0.10),
        )
        .select(
            "team",
            "week",
            "hours",
            "share",
            "target",
            "reports",
            "expected_hours",
            "manager_merged_pr_share",
            "manager_commit_share",
        )
    )
