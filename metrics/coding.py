"""Coding share (SPEC §5.1): the manager's commits grouped into sessions, against the size target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl

from core.config import CodingSettings
from metrics.scope import TeamScope, band, hours, in_window

SESSION_SCHEMA = {
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


def coding_colour(share: float | None, target: float) -> str:
    """green below target, yellow up to target + 20 points, red from there."""
    return band(share, target, target + 0.20)


def coding_sessions(
    commits: pl.DataFrame, start: datetime, end: datetime, settings: CodingSettings, zone: ZoneInfo
) -> pl.DataFrame:
    """Sessions of the given commits authored in [start, end): a commit at most the gap after the
    previous one joins its session; a session lasts last - first + allowance."""
    gap = pl.duration(minutes=settings.session_gap_minutes)
    allowance = pl.duration(minutes=settings.first_commit_allowance_minutes)
    return (
        commits.lazy()
        .filter(in_window("authored_at", start, end))
        .select("authored_at")
        .sort("authored_at")
        .with_columns(
            session=(pl.col("authored_at").diff() > gap).fill_null(True).cum_sum(),
        )
        .group_by("session")
        .agg(
            start=pl.col("authored_at").min(),
            end=pl.col("authored_at").max(),
            commits=pl.len().cast(pl.Int64),
        )
        .sort("start")
        .select(
            day=pl.col("start").dt.convert_time_zone(zone.key).dt.date(),
            start=pl.col("start"),
            end=pl.col("end"),
            commits=pl.col("commits"),
            hours=hours(pl.col("end") - pl.col("start") + allowance),
        )
        .collect()
        .cast(SESSION_SCHEMA)  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class CodingWeek:
    hours: float
    share: float
    target: float
    colour: str
    sessions: pl.DataFrame
    manager_merged_pr_share: float | None
    manager_commit_share: float | None


def coding_week(
    scope: TeamScope,
    start: datetime,
    end: datetime,
    settings: CodingSettings,
    work_hours: float,
    zone: ZoneInfo,
) -> CodingWeek:
    """The manager's coding hours and share for one week, with the sessions behind them."""
    manager_commits = scope.commits.filter((pl.col("person") == scope.manager) & ~pl.col("handover"))
    sessions = coding_sessions(manager_commits, start, end, settings, zone)
    coding_hours = float(sessions.get_column("hours").sum()) if sessions.height else 0.0
    share = min(coding_hours / work_hours, 1.0)
    target = size_target(len(scope.team.members))

    people = [scope.manager, *scope.team.members]
    week_commits = scope.commits.filter(
        in_window("authored_at", start, end) & pl.col("person").is_in(people).fill_null(False)
    )
    merged = scope.prs.filter(in_window("merged_at", start, end))
    return CodingWeek(
        hours=coding_hours,
        share=share,
        target=target,
        colour=coding_colour(share, target),
        sessions=sessions,
        manager_merged_pr_share=_fraction(merged.get_column("author_person") == scope.manager),
        manager_commit_share=_fraction(week_commits.get_column("person") == scope.manager),
    )


def _fraction(flags: pl.Series) -> float | None:
    return None if flags.is_empty() else float(flags.cast(pl.Float64).mean())  # type: ignore[arg-type]
