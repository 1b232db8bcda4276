"""Review bottleneck (SPEC §5.2): does the team wait on the manager's reviews?"""

from __future__ import annotations

from typing import Any

import polars as pl

from metrics.scope import Scope, band, hours, in_weeks

WAITING_SCHEMA: dict[str, Any] = {
    "team": pl.String,
    "week": pl.String,
    "repo": pl.String,
    "number": pl.Int64,
    "title": pl.String,
    "url": pl.String,
    "requested_at": pl.Datetime("us", "UTC"),
    "age_hours": pl.Float64,
}


def share_colour(share: float | None, merged: int, min_sample: int) -> str:
    """green < 25 %, yellow 25-50 %, red >= 50 %; grey with fewer than `min_sample` merged PRs
    (too few to judge)."""
    return "grey" if merged < min_sample else band(share, 0.25, 0.50)


def waiting_colour(oldest_hours: float | None) -> str:
    """green < 24 h, yellow 24-48 h, red >= 48 h; nothing waiting is green."""
    return "green" if oldest_hours is None else band(oldest_hours, 24, 48)


def first_reviews(scope: Scope) -> pl.DataFrame:
    """Each review request with `reviewed_at`: the first review by the same reviewer at or after it."""
    keys = ["team", "repo", "number", "reviewer_key", "requested_at"]
    answered = (
        scope.requests.select(keys)
        .join(
            scope.reviews.select("team", "repo", "number", "reviewer_key", "submitted_at"),
            on=["team", "repo", "number", "reviewer_key"],
            how="inner",
        )
        .filter(pl.col("submitted_at") >= pl.col("requested_at"))
        .group_by(keys)
        .agg(reviewed_at=pl.col("submitted_at").min())
    )
    return scope.requests.join(answered, on=keys, how="left", nulls_equal=True)


def reviews_by_week(scope: Scope, weeks: pl.DataFrame, requests: pl.DataFrame) -> pl.DataFrame:
    """team, week, merged (the share's denominator), manager_review_share, manager_pickup_hours,
    team_pickup_hours, top_reviewer_share."""
    grid = scope.teams.select("team").join(weeks.select("week"), how="cross")
    reviewed = scope.reviews.filter("by_manager").select("team", "repo", "number").unique()
    share = (
        in_weeks(scope.prs.filter(~pl.col("by_manager")), "merged_at", weeks)
        .join(reviewed.with_columns(hit=pl.lit(True)), on=["team", "repo", "number"], how="left")
        .group_by("team", "week")
        .agg(
            merged=pl.len().cast(pl.Int64),
            manager_review_share=pl.col("hit").is_not_null().cast(pl.Float64).mean(),
        )
    )
    pickups = (
        in_weeks(requests.filter(pl.col("reviewed_at").is_not_null()), "reviewed_at", weeks)
        .with_columns(pickup=hours(pl.col("reviewed_at") - pl.col("requested_at")))
        .group_by("team", "week")
        .agg(
            manager_pickup_hours=pl.col("pickup").filter("to_manager").median(),
            team_pickup_hours=pl.col("pickup").filter(~pl.col("to_manager")).median(),
        )
    )
    load = (
        in_weeks(scope.reviews, "submitted_at", weeks)
        .group_by("team", "week", "reviewer_key")
        .len()
        .group_by("team", "week")
        .agg(top_reviewer_share=pl.col("len").max() / pl.col("len").sum())
    )
    return (
        grid.join(share, on=["team", "week"], how="left")
        .join(pickups, on=["team", "week"], how="left")
        .join(load, on=["team", "week"], how="left")
        .with_columns(pl.col("merged").fill_null(0))
    )


def waiting_on_manager(scope: Scope, weeks: pl.DataFrame, requests: pl.DataFrame) -> pl.DataFrame:
    """Per week: team PRs open at week end with a request to the manager neither removed nor
    followed by a manager review by then; age from the oldest such request to the week end.
    Something that happens exactly at the end instant has happened at week end."""
    prs = scope.prs.select("team", "repo", "number", "title", "url", "created_at", "merged_at", "closed_at")
    outstanding = (
        requests.filter("to_manager")
        .join(prs, on=["team", "repo", "number"], how="inner")
        .with_columns(
            until=pl.min_horizontal(
                pl.col("removed_at"), pl.col("reviewed_at"), pl.col("merged_at"), pl.col("closed_at")
            ).fill_null(pl.datetime(9999, 1, 1, time_zone="UTC")),
            since=pl.max_horizontal(
                pl.col("requested_at"), pl.col("created_at").fill_null(pl.col("requested_at"))
            ),
        )
    )
    return (
        outstanding.join_where(
            weeks.select("week", "end"),
            pl.col("requested_at") < pl.col("end"),
            pl.col("until") > pl.col("end"),
        )
        .filter(pl.col("since") <= pl.col("end"))
        .group_by("team", "week", "repo", "number")
        .agg(
            pl.col("title").first(),
            pl.col("url").first(),
            pl.col("requested_at").min(),
            pl.col("end").first(),
        )
        .with_columns(age_hours=hours(pl.col("end") - pl.col("requested_at")))
        .sort(["team", "week", "age_hours", "repo", "number"], descending=[False, False, True, False, False])
        .select(list(WAITING_SCHEMA))
        .cast(WAITING_SCHEMA)  # type: ignore[arg-type]
    )
