"""Escalations per delegation category (SPEC §5.3): what reaches the manager, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from core.config import Config
from metrics.scope import TeamScope, in_window, lowered

CATEGORIES = ("strategic", "implementation", "tactical")

ESCALATION_SCHEMA = {
    "key": pl.String,
    "at": pl.Datetime("us", "UTC"),
    "kind": pl.String,
    "category": pl.String,
    "reason": pl.String,
}


def _label_set(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .fill_null("")
        .str.to_lowercase()
        .str.split(" ")
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def escalations(scope: TeamScope, config: Config) -> pl.DataFrame:
    """Every escalation on the team's issues, at its time, with its kind, category and reason.

    Kinds: `label` (an escalation label added), `assigned` (assigned to the manager by someone
    else), `decision_status` (moved into a decision status from outside one), `mention` (a comment
    by anyone but the manager that mentions the manager).
    """
    manager = scope.manager_jira
    escalation_labels = lowered(config.escalation.labels)
    decision = lowered(config.decision_statuses)
    field = pl.col("field").str.to_lowercase()
    not_manager_actor = pl.col("actor").is_null() | ~pl.col("actor").is_in(manager)

    label_added = field.eq("labels") & (
        _label_set("to_value")
        .list.set_difference(_label_set("from_value"))
        .list.set_intersection(escalation_labels)
    ).list.len().gt(0)
    assigned = field.eq("assignee") & pl.col("to_value").is_in(manager).fill_null(False) & not_manager_actor
    into_decision = (
        field.eq("status")
        & pl.col("to_value").str.to_lowercase().is_in(decision).fill_null(False)
        & ~pl.col("from_value").str.to_lowercase().is_in(decision).fill_null(False)
    )
    from_events = scope.events.filter(label_added | assigned | into_decision).select(
        "key",
        "at",
        kind=pl.when(label_added)
        .then(pl.lit("label"))
        .when(assigned)
        .then(pl.lit("assigned"))
        .otherwise(pl.lit("decision_status")),
    )
    mentions = scope.comments.filter(
        (pl.col("author").is_null() | ~pl.col("author").is_in(manager))
        & pl.col("mentions").list.set_intersection(manager).list.len().gt(0).fill_null(False)
    ).select("key", pl.col("created_at").alias("at"), kind=pl.lit("mention"))

    reasons = {label.lower(): reason for label, reason in config.escalation.reasons.items()}
    issue_reason = scope.issues.select(
        "key",
        "category",
        reason=pl.col("labels")
        .list.eval(
            pl.element().str.to_lowercase().replace_strict(reasons, default=None, return_dtype=pl.String)
        )
        .list.drop_nulls()
        .list.first()
        .fill_null("unspecified"),
    )
    return (
        pl.concat([from_events, mentions])
        .filter(pl.col("at").is_not_null())
        .join(issue_reason, on="key", how="inner")
        .sort("at", "key", "kind")
        .cast(ESCALATION_SCHEMA)  # type: ignore[arg-type]
    )


def manager_actions(scope: TeamScope) -> pl.DataFrame:
    """Every changelog event and comment the manager made on the team's issues: key, at."""
    events = scope.events.filter(pl.col("actor").is_in(scope.manager_jira)).select("key", "at")
    comments = scope.comments.filter(pl.col("author").is_in(scope.manager_jira)).select(
        "key", pl.col("created_at").alias("at")
    )
    return pl.concat([events, comments]).filter(pl.col("at").is_not_null())


def active_issues(scope: TeamScope, start: datetime, end: datetime) -> pl.DataFrame:
    """Issues with any event, comment, creation or resolution in the week: key, category."""
    touched = pl.concat(
        [
            scope.events.filter(in_window("at", start, end)).select("key"),
            scope.comments.filter(in_window("created_at", start, end)).select("key"),
            scope.issues.filter(in_window("created_at", start, end)).select("key"),
            scope.issues.filter(in_window("resolved_at", start, end)).select("key"),
        ]
    ).unique()
    return scope.issues.join(touched, on="key", how="semi").select("key", "category")


@dataclass(frozen=True)
class EscalationWeek:
    by_category: dict[str, dict[str, Any]]
    flags: list[str]


def escalation_week(
    scope: TeamScope,
    config: Config,
    found: pl.DataFrame,
    actions: pl.DataFrame,
    start: datetime,
    end: datetime,
) -> EscalationWeek:
    """Per category: active, escalated, escalation_rate, manager_involved, reasons."""
    active = active_issues(scope, start, end)
    in_week = found.filter(in_window("at", start, end))
    involved_keys = actions.filter(in_window("at", start, end)).select("key").unique()
    result: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        keys = active.filter(pl.col("category") == category).select("key")
        escalations_here = in_week.filter(pl.col("category") == category).join(keys, on="key", how="semi")
        escalated = escalations_here.select("key").n_unique()
        reasons = escalations_here.group_by("reason").len().sort(["len", "reason"], descending=[True, False])
        result[category] = {
            "active": keys.height,
            "escalated": escalated,
            "escalation_rate": escalated / keys.height if keys.height else None,
            "manager_involved": keys.join(involved_keys, on="key", how="semi").height,
            "reasons": dict(
                zip(reasons.get_column("reason").to_list(), reasons.get_column("len").to_list(), strict=True)
            ),
        }
    thresholds = config.thresholds
    flags = []
    tactical_rate = result["tactical"]["escalation_rate"]
    if tactical_rate is not None and tactical_rate > thresholds.tactical_escalation_rate:
        flags.append("team is not owning tactical decisions")
    implementation_rate = result["implementation"]["escalation_rate"]
    if implementation_rate is not None and implementation_rate > thresholds.implementation_escalation_rate:
        flags.append("implementation decisions keep coming back to you")
    if (
        result["strategic"]["active"]
        and result["strategic"]["manager_involved"] < result["strategic"]["active"]
    ):
        flags.append("strategic work without you")
    return EscalationWeek(result, flags)
