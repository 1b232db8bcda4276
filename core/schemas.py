"""The tables of the store: the seven normalised source tables (SPEC §4) and the self-check
answers (SPEC §8), one polars schema and primary key each."""

from __future__ import annotations

from typing import TypeVar

import polars as pl

UTC_TIME: pl.DataType = pl.Datetime("us", "UTC")
TEXT_LIST: pl.DataType = pl.List(pl.String)

PULL_REQUESTS = pl.Schema(
    {
        "repo": pl.String(),
        "number": pl.Int64(),
        "author": pl.String(),
        "title": pl.String(),
        "url": pl.String(),
        "state": pl.String(),
        "draft": pl.Boolean(),
        "created_at": UTC_TIME,
        "merged_at": UTC_TIME,
        "closed_at": UTC_TIME,
        "updated_at": UTC_TIME,
        "labels": TEXT_LIST,
        "additions": pl.Int64(),
        "deletions": pl.Int64(),
    }
)

REVIEWS = pl.Schema(
    {
        "repo": pl.String(),
        "review_id": pl.Int64(),
        "number": pl.Int64(),
        "reviewer": pl.String(),
        "state": pl.String(),
        "submitted_at": UTC_TIME,
    }
)

REVIEW_REQUESTS = pl.Schema(
    {
        "repo": pl.String(),
        "number": pl.Int64(),
        "reviewer": pl.String(),
        "requested_at": UTC_TIME,
        "requester": pl.String(),
        "removed_at": UTC_TIME,
    }
)

COMMITS = pl.Schema(
    {
        "repo": pl.String(),
        "sha": pl.String(),
        "author": pl.String(),
        "author_email": pl.String(),
        "authored_at": UTC_TIME,
        "committed_at": UTC_TIME,
        "additions": pl.Int64(),
        "deletions": pl.Int64(),
        "pr_number": pl.Int64(),
        "message_first_line": pl.String(),
    }
)

ISSUES = pl.Schema(
    {
        "key": pl.String(),
        "project": pl.String(),
        "issue_type": pl.String(),
        "summary": pl.String(),
        "url": pl.String(),
        "status": pl.String(),
        "labels": TEXT_LIST,
        "components": TEXT_LIST,
        "assignee": pl.String(),
        "reporter": pl.String(),
        "created_at": UTC_TIME,
        "updated_at": UTC_TIME,
        "resolved_at": UTC_TIME,
        "parent_key": pl.String(),
    }
)

ISSUE_EVENTS = pl.Schema(
    {
        "key": pl.String(),
        "event_id": pl.String(),
        "field": pl.String(),
        "at": UTC_TIME,
        "actor": pl.String(),
        "from_value": pl.String(),
        "to_value": pl.String(),
    }
)

COMMENTS = pl.Schema(
    {
        "key": pl.String(),
        "comment_id": pl.String(),
        "author": pl.String(),
        "created_at": UTC_TIME,
        "mentions": TEXT_LIST,
    }
)

# The Friday self-check answers (SPEC §8): one colour per team, ISO week and item.
CHECKINS = pl.Schema(
    {
        "team": pl.String(),
        "week": pl.String(),
        "item": pl.String(),
        "colour": pl.String(),
        "answered_at": UTC_TIME,
    }
)

SCHEMAS: dict[str, pl.Schema] = {
    "pull_requests": PULL_REQUESTS,
    "reviews": REVIEWS,
    "review_requests": REVIEW_REQUESTS,
    "commits": COMMITS,
    "issues": ISSUES,
    "issue_events": ISSUE_EVENTS,
    "comments": COMMENTS,
    "checkins": CHECKINS,
}

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "pull_requests": ("repo", "number"),
    "reviews": ("repo", "review_id"),
    "review_requests": ("repo", "number", "reviewer", "requested_at"),
    "commits": ("repo", "sha"),
    "issues": ("key",),
    "issue_events": ("key", "event_id", "field"),
    "comments": ("key", "comment_id"),
    "checkins": ("team", "week", "item"),
}

GITHUB_TABLES = ("pull_requests", "reviews", "review_requests", "commits")
JIRA_TABLES = ("issues", "issue_events", "comments")
PRACTICE_TABLES = ("checkins",)  # written by `radar checkin` and `radar web`, never by a sync


def empty(table: str) -> pl.DataFrame:
    """An empty frame with the table's schema."""
    return pl.DataFrame(schema=SCHEMAS[table])


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def conform(table: str, frame: FrameT) -> FrameT:
    """Bring a frame (eager or lazy) to the table's exact schema: column order, dtypes, UTC times.

    Missing columns become nulls and extra columns are dropped, so a store written by an
    older version (or by hand) still reads. Naive datetimes are taken to be UTC.
    """
    schema = SCHEMAS[table]
    present = frame.collect_schema()
    columns: list[pl.Expr] = []
    for name, dtype in schema.items():
        if name not in present:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
            continue
        current = present[name]
        expr = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if current == pl.String:
                expr = expr.str.to_datetime(time_zone="UTC", time_unit="us")
            elif isinstance(current, pl.Datetime):
                expr = (
                    expr.dt.replace_time_zone("UTC")
                    if current.time_zone is None
                    else expr.dt.convert_time_zone("UTC")
                )
            elif current == pl.Date:
                expr = expr.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        elif current == pl.Null and isinstance(dtype, pl.List):
            expr = expr.cast(dtype)
        columns.append(expr.cast(dtype).alias(name))
    return frame.select(columns)
