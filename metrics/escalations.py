"""Escalations per delegation category (SPEC §5.3): what reaches the manager, and why."""

from __future__ import annotations

from typing import Any

import polars as pl

from core.config import Config
from metrics.scope import Scope, in_weeks

CATEGORIES = ("strategic", "implementation", "tactical")

ESCALATION_SCHEMA: dict[str, Any] = {
    "team": pl.String,
    "key": pl.String,
    "at": pl.Datetime("us", "UTC"),
    "kind": pl.String,
    "by": pl.String,
    "category": pl.String,
    "reasons": pl.List(pl.String),
}


def escalations(scope: Scope, config: Config) -> pl.DataFrame:
    """Every escalation on team issues, at its time, with kind, category and reason.

    Kinds: `label` (an escalation label added), `assign` (assigned to the manager by someone
    else), `status` (moved into a decision status from outside one), `mention` (a comment by
    anyone but the manager that mentions the manager). `by` is who did it (person id, or the raw
    identity when unmapped); `reasons` are the issue's reasons at `as_of`.
    """
    field = pl.col("_field")
    label_added = pl.col("_label_added")
    assigned = (
        field.eq("assignee")
        & (pl.col("_to_person") == pl.col("manager")).fill_null(False)
        & ~pl.col("by_manager")
    )
    into_decision = pl.col("_into_decision")
    from_events = (
        scope.events.lazy()
        .filter(label_added | assigned | into_decision)
        .select(
            "team",
            "key",
            "at",
            kind=pl.when(label_added)
            .then(pl.lit("label"))
            .when(assigned)
            .then(pl.lit("assign"))
            .otherwise(pl.lit("status")),
            by=pl.col("by"),
        )
    )
    mentioned = (
        scope.comments.lazy()
        .filter(
            ~pl.col("by_manager") & pl.col("_mentioned").list.contains(pl.col("manager")).fill_null(False)
        )
        .select("team", "key", at=pl.col("created_at"), kind=pl.lit("mention"), by=pl.col("by"))
    )
    return (
        pl.concat([from_events, mentioned])
        .join(
            scope.issues.lazy().select("team", "key", "category", "reasons"), on=["team", "key"], how="inner"
        )
        .sort("team", "at", "key", "kind", "by")
        .collect()
        .cast(ESCALATION_SCHEMA)  # type: ignore[arg-type]
    )


def manager_actions(scope: Scope) -> pl.DataFrame:
    """Every changelog event and comment the manager made on team issues: team, key, at."""
    return pl.concat(
        [
            scope.events.filter("by_manager").select("team", "key", "at"),
            scope.comments.filter("by_manager").select("team", "key", at=pl.col("created_at")),
        ]
    )


def escalations_by_week(
    scope: Scope, weeks: pl.DataFrame, found: pl.DataFrame, actions: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Per team, week and category: the counts (active, escalated, escalation_rate,
    manager_involved), the reasons (reason, count of escalated issues), the evidence items (each
    escalation in the week: key, at, kind, by, reasons) and the active issues without the
    manager (key)."""
    activity = pl.concat(
        [
            scope.events.lazy().select("team", "key", "at"),
            scope.comments.lazy().select("team", "key", at=pl.col("created_at")),
            scope.issues.lazy().select("team", "key", at=pl.col("created_at")),
            scope.issues.lazy().select("team", "key", at=pl.col("resolved_at")),
        ]
    )
    active = (
        in_weeks(activity, "at", weeks)
        .select("team", "week", "key")
        .unique()
        .join(scope.issues.lazy().select("team", "key", "category"), on=["team", "key"], how="inner")
    )
    in_week = in_weeks(found.lazy(), "at", weeks)
    escalated = in_week.select("team", "week", "key").unique()
    involved = in_weeks(actions.lazy(), "at", weeks).select("team", "week", "key").unique()
    flags = ["team", "week", "key"]
    marked = active.join(escalated.with_columns(escalated=pl.lit(True)), on=flags, how="left").join(
        involved.with_columns(involved=pl.lit(True)), on=flags, how="left"
    )
    counts = marked.group_by("team", "week", "category").agg(
        active=pl.len().cast(pl.Int64),
        escalated=pl.col("escalated").is_not_null().sum().cast(pl.Int64),
        manager_involved=pl.col("involved").is_not_null().sum().cast(pl.Int64),
    )
    grid = (
        scope.teams.lazy()
        .select("team")
        .join(weeks.lazy().select("week"), how="cross")
        .join(pl.LazyFrame({"category": list(CATEGORIES)}), how="cross")
    )
    by_category_plan = (
        grid.join(counts, on=["team", "week", "category"], how="left")
        .with_columns(pl.col("active", "escalated", "manager_involved").fill_null(0))
        .with_columns(
            escalation_rate=pl.when(pl.col("active") > 0).then(pl.col("escalated") / pl.col("active"))
        )
    )
    reasons_plan = (
        in_week.select("team", "week", "category", "key", "reasons")
        .unique(["team", "week", "category", "key"])
        .explode("reasons")
        .group_by("team", "week", "category", reason=pl.col("reasons"))
        .agg(count=pl.col("key").n_unique().cast(pl.Int64))
        .sort(["team", "week", "category", "count", "reason"], descending=[False, False, False, True, False])
    )
    items_plan = in_week.select("team", "week", "category", "key", "at", "kind", "by", "reasons").sort(
        "team", "week", "category", "at", "key", "kind", "by"
    )
    unattended_plan = (
        marked.filter((pl.col("category") == "strategic") & pl.col("involved").is_null())
        .select("team", "week", "key")
        .sort("team", "week", "key")
    )
    by_category, reasons, items, unattended = pl.collect_all(
        [by_category_plan, reasons_plan, items_plan, unattended_plan]
    )
    return by_category, reasons, items, unattended
