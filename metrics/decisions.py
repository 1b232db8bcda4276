"""Decision latency (SPEC §5.4): every escalation is a request; how long until the manager answers?"""

from __future__ import annotations

from typing import Any

import polars as pl

from core.config import Config
from metrics.escalations import CATEGORIES
from metrics.scope import Scope, band, hours, in_weeks

UTC = pl.Datetime("us", "UTC")
NEVER = pl.datetime(9999, 1, 1, time_zone="UTC")
PENDING_SCHEMA: dict[str, Any] = {
    "team": pl.String,
    "week": pl.String,
    "key": pl.String,
    "summary": pl.String,
    "url": pl.String,
    "category": pl.String,
    "requested_at": UTC,
    "age_hours": pl.Float64,
}


def decision_colour(longest_hours: float | None, config: Config) -> str:
    """green < yellow threshold (24 h), yellow up to red (72 h), red from there; grey with none."""
    thresholds = config.thresholds
    return band(longest_hours, thresholds.decision_yellow_hours, thresholds.decision_red_hours)


def decision_requests(
    scope: Scope, config: Config, escalations: pl.DataFrame, actions: pl.DataFrame
) -> pl.DataFrame:
    """Each escalation with `answered_at` (first later manager event or comment; for a request made
    by entering a decision status, also the first exit from it, whichever comes first) and
    `closed_at` (the issue was resolved before any answer: neither latency nor pending)."""
    requests = escalations.with_row_index("request")
    by_manager = (
        requests.select("request", "team", "key", "at")
        .join(actions.rename({"at": "action_at"}), on=["team", "key"], how="inner")
        .filter(pl.col("action_at") > pl.col("at"))
        .group_by("request")
        .agg(by_manager=pl.col("action_at").min())
    )
    exits = scope.events.filter("_exit_decision").select("team", "key", exit_at=pl.col("at"))
    by_exit = (
        requests.filter(pl.col("kind") == "status")
        .select("request", "team", "key", "at")
        .join(exits, on=["team", "key"], how="inner")
        .filter(pl.col("exit_at") > pl.col("at"))
        .group_by("request")
        .agg(by_exit=pl.col("exit_at").min())
    )
    answered = pl.min_horizontal("by_manager", "by_exit")
    resolved = pl.col("resolved_at")
    closed = resolved.is_not_null() & (answered.is_null() | (resolved < answered))
    return (
        requests.join(by_manager, on="request", how="left")
        .join(by_exit, on="request", how="left")
        .join(
            scope.issues.select("team", "key", "summary", "url", "resolved_at"),
            on=["team", "key"],
            how="left",
        )
        .with_columns(
            answered_at=pl.when(closed).then(pl.lit(None, dtype=UTC)).otherwise(answered),
            closed_at=pl.when(closed)
            .then(pl.max_horizontal(resolved, pl.col("at")))
            .otherwise(pl.lit(None, dtype=UTC)),
        )
        .with_columns(latency_hours=hours(pl.col("answered_at") - pl.col("at")))
        .drop("by_manager", "by_exit", "resolved_at")
    )


def decisions_by_week(
    scope: Scope, weeks: pl.DataFrame, requests: pl.DataFrame, stale_after_days: float
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(team, week, category, requested, answered, median_hours, p90_hours, longest_answered),
    the pending issues per week (PENDING_SCHEMA) and the stale ones (same schema).

    An issue is pending by its oldest request made before the week's `as_of` and still open then
    (answered or closed later, or never; one answered exactly then is not), with that request's
    age; one whose oldest open request is older than `stale_after_days` is stale instead.
    """
    made = (
        in_weeks(requests, "at", weeks)
        .group_by("team", "week", "category")
        .agg(requested=pl.len().cast(pl.Int64))
    )
    answered = (
        in_weeks(requests.filter(pl.col("answered_at").is_not_null()), "answered_at", weeks)
        .group_by("team", "week", "category")
        .agg(
            answered=pl.len().cast(pl.Int64),
            median_hours=pl.col("latency_hours").median(),
            p90_hours=pl.col("latency_hours").quantile(0.9, interpolation="linear"),
            longest_answered=pl.col("latency_hours").max(),
        )
    )
    open_issues = (
        requests.with_columns(
            open_until=pl.min_horizontal("answered_at", "closed_at").fill_null(NEVER),
        )
        .join_where(
            weeks.select("week", "end"),
            pl.col("at") < pl.col("end"),
            pl.col("open_until") > pl.col("end"),
        )
        .sort("at", "kind")
        .group_by("team", "week", "key", maintain_order=True)
        .first()
        .with_columns(requested_at=pl.col("at"), age_hours=hours(pl.col("end") - pl.col("at")))
        .sort(["team", "week", "age_hours", "key"], descending=[False, False, True, False])
    )
    stale = pl.col("age_hours") > stale_after_days * 24
    pending = open_issues.filter(~stale).select(list(PENDING_SCHEMA)).cast(PENDING_SCHEMA)  # type: ignore[arg-type]
    stale_rows = open_issues.filter(stale).select(list(PENDING_SCHEMA)).cast(PENDING_SCHEMA)  # type: ignore[arg-type]
    grid = (
        scope.teams.select("team")
        .join(weeks.select("week"), how="cross")
        .join(pl.DataFrame({"category": list(CATEGORIES)}), how="cross")
    )
    keys = ["team", "week", "category"]
    by_category = (
        grid.join(made, on=keys, how="left")
        .join(answered, on=keys, how="left")
        .with_columns(pl.col("requested", "answered").fill_null(0))
    )
    return by_category, pending, stale_rows
