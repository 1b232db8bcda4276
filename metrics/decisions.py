"""Decision latency (SPEC §5.4): every escalation is a request; how long until the manager answers?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from core.config import Config
from metrics.escalations import CATEGORIES
from metrics.scope import TeamScope, band, hours, in_window, lowered, median_p90

UTC = pl.Datetime("us", "UTC")
PENDING_SCHEMA = {
    "key": pl.String,
    "summary": pl.String,
    "url": pl.String,
    "category": pl.String,
    "requested_at": UTC,
    "age_hours": pl.Float64,
}


def decision_requests(
    scope: TeamScope, config: Config, escalations: pl.DataFrame, actions: pl.DataFrame
) -> pl.DataFrame:
    """Each escalation with `answered_at` (first later manager event or comment; for a request made
    by entering a decision status, also the first exit from it) and `closed_at` (the issue was
    resolved before any answer: neither latency nor pending)."""
    requests = escalations.with_row_index("request")
    after_action = (
        requests.select("request", "key", "at")
        .join(actions.rename({"at": "action_at"}), on="key", how="inner")
        .filter(pl.col("action_at") > pl.col("at"))
        .group_by("request")
        .agg(by_manager=pl.col("action_at").min())
    )
    decision = lowered(config.decision_statuses)
    exits = scope.events.filter(
        (pl.col("field").str.to_lowercase() == "status")
        & pl.col("from_value").str.to_lowercase().is_in(decision).fill_null(False)
        & ~pl.col("to_value").str.to_lowercase().is_in(decision).fill_null(False)
    ).select("key", exit_at=pl.col("at"))
    after_exit = (
        requests.filter(pl.col("kind") == "decision_status")
        .select("request", "key", "at")
        .join(exits, on="key", how="inner")
        .filter(pl.col("exit_at") > pl.col("at"))
        .group_by("request")
        .agg(by_exit=pl.col("exit_at").min())
    )
    answered = pl.min_horizontal("by_manager", "by_exit")
    resolved = pl.col("resolved_at")
    closed = resolved.is_not_null() & (answered.is_null() | (resolved < answered))
    return (
        requests.join(after_action, on="request", how="left")
        .join(after_exit, on="request", how="left")
        .join(scope.issues.select("key", "summary", "url", "resolved_at"), on="key", how="left")
        .with_columns(
            answered_at=pl.when(closed).then(pl.lit(None, dtype=UTC)).otherwise(answered),
            closed_at=pl.when(closed)
            .then(pl.max_horizontal(resolved, pl.col("at")))
            .otherwise(pl.lit(None, dtype=UTC)),
        )
        .with_columns(latency_hours=hours(pl.col("answered_at") - pl.col("at")))
        .drop("by_manager", "by_exit", "resolved_at")
    )


def decision_colour(longest_hours: float | None, config: Config) -> str:
    """green < yellow threshold (24 h), yellow up to red (72 h), red from there; grey with none."""
    thresholds = config.thresholds
    return band(longest_hours, thresholds.decision_yellow_hours, thresholds.decision_red_hours)


@dataclass(frozen=True)
class DecisionWeek:
    by_category: dict[str, dict[str, Any]]
    pending: pl.DataFrame
    colour: str


def decision_week(requests: pl.DataFrame, config: Config, start: datetime, end: datetime) -> DecisionWeek:
    """Requested, answered, median/p90 latency and pending per category, and the colour."""
    end_lit = pl.lit(end, dtype=UTC)
    answered = requests.filter(in_window("answered_at", start, end))
    pending = (
        requests.filter(
            (pl.col("at") < end)
            & (pl.col("answered_at").is_null() | (pl.col("answered_at") >= end))
            & (pl.col("closed_at").is_null() | (pl.col("closed_at") >= end))
        )
        .with_columns(requested_at=pl.col("at"), age_hours=hours(end_lit - pl.col("at")))
        .sort(["age_hours", "key"], descending=[True, False])
        .select(list(PENDING_SCHEMA))
        .cast(PENDING_SCHEMA)  # type: ignore[arg-type]
    )
    made = requests.filter(in_window("at", start, end))
    result: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        latencies = answered.filter(pl.col("category") == category).get_column("latency_hours")
        median, p90 = median_p90(latencies)
        waiting = pending.filter(pl.col("category") == category)
        result[category] = {
            "requested": made.filter(pl.col("category") == category).height,
            "answered": latencies.len(),
            "median_hours": median,
            "p90_hours": p90,
            "pending": waiting.select("key", "age_hours").to_dicts(),
        }
    waits = pl.concat([answered.get_column("latency_hours"), pending.get_column("age_hours")])
    longest = None if waits.is_empty() else float(waits.max())  # type: ignore[arg-type]
    return DecisionWeek(result, pending, decision_colour(longest, config))
