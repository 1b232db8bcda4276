"""Coding share (SPEC §5.1): the manager's commits grouped into sessions, against the size target."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from core.config import CodingSettings
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


def size_target(team_size: int) -> float:
    """Team size <= 6 -> 40 %, 7-12 -> 20 %, >= 13 -> 10 %."""
    if team_size <= 6:
        return 0.40
    if team_size <= 12:
        return 0.20
    return 0.10


def target_expr(size: pl.Expr) -> pl.Expr:
    return pl.when(size <= 6).then(0.40).when(size <= 12).then(0.20).otherwise(0.10)


def coding_colour(share: float | None, target: float) -> str:
    """green below target, yellow up to target + 20 points, red from there."""
    return band(share, target, target + 0.20)


def coding_sessions(
    scope: Scope, weeks: pl.DataFrame, settings: CodingSettings, zone: ZoneInfo
) -> pl.DataFrame:
    """Each team manager's coding sessions per week: a commit at most the gap after the previous one
    (in the same week) joins its session; a session lasts last - first + allowance."""
    gap = pl.duration(minutes=settings.session_gap_minutes)
    allowance = pl.duration(minutes=settings.first_commit_allowance_minutes)
    managers = scope.people.filter("is_manager").select("team", "person")
    commits = scope.commits.filter(~pl.col("handover")).join(managers, on=["team", "person"], how="semi")
    return (
        in_weeks(commits.select("team", "authored_at"), "authored_at", weeks)
        .sort("team", "week", "authored_at")
        .with_columns(
            new=(pl.col("authored_at").diff().over("team", "week") > gap).fill_null(True),
        )
        .with_columns(session=pl.col("new").cum_sum())
        .group_by("team", "week", "session")
        .agg(start=pl.col("authored_at").min(), end=pl.col("authored_at").max(), commits=pl.len())
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
    scope: Scope, weeks: pl.DataFrame, sessions: pl.DataFrame, work_hours: float
) -> pl.DataFrame:
    """team, week, hours, share, target, manager_merged_pr_share, manager_commit_share."""
    grid = scope.teams.select("team", "team_size").join(weeks.select("week"), how="cross")
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
    return (
        grid.join(coded, on=["team", "week"], how="left")
        .join(team_commits, on=["team", "week"], how="left")
        .join(merged, on=["team", "week"], how="left")
        .with_columns(hours=pl.col("hours").fill_null(0.0))
        .with_columns(
            share=pl.min_horizontal(pl.col("hours") / work_hours, pl.lit(1.0)),
            target=target_expr(pl.col("team_size")),
        )
        .select("team", "week", "hours", "share", "target", "manager_merged_pr_share", "manager_commit_share")
    )
