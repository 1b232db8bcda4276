"""Review bottleneck (SPEC §5.2): does the team wait on the manager's reviews?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from metrics.scope import TeamScope, band, hours, in_window, worst

WAITING_SCHEMA = {
    "repo": pl.String,
    "number": pl.Int64,
    "title": pl.String,
    "url": pl.String,
    "requested_at": pl.Datetime("us", "UTC"),
    "age_hours": pl.Float64,
}


def share_colour(share: float | None) -> str:
    """green < 25 %, yellow 25-50 %, red >= 50 %; grey when no PR was merged."""
    return band(share, 0.25, 0.50)


def waiting_colour(oldest_hours: float | None) -> str:
    """green < 24 h, yellow 24-48 h, red >= 48 h; nothing waiting is green."""
    return "green" if oldest_hours is None else band(oldest_hours, 24, 48)


def first_review_after_request(requests: pl.DataFrame, reviews: pl.DataFrame) -> pl.DataFrame:
    """Each request with the first review by the same reviewer at or after it (`reviewed_at`)."""
    answered = (
        requests.select("repo", "number", "reviewer_key", "requested_at", "removed_at")
        .join(
            reviews.select("repo", "number", "reviewer_key", "submitted_at"),
            on=["repo", "number", "reviewer_key"],
            how="left",
        )
        .filter(pl.col("submitted_at") >= pl.col("requested_at"))
        .group_by("repo", "number", "reviewer_key", "requested_at")
        .agg(reviewed_at=pl.col("submitted_at").min())
    )
    return requests.join(answered, on=["repo", "number", "reviewer_key", "requested_at"], how="left")


@dataclass(frozen=True)
class ReviewWeek:
    manager_review_share: float | None
    manager_pickup_hours: float | None
    team_pickup_hours: float | None
    waiting: pl.DataFrame
    top_reviewer_share: float | None
    colour: str


def review_week(scope: TeamScope, start: datetime, end: datetime) -> ReviewWeek:
    """Manager review share, pickup medians, PRs waiting on the manager, load concentration."""
    manager = scope.manager
    merged = scope.prs.filter(in_window("merged_at", start, end) & (pl.col("author_person") != manager))
    manager_reviewed = (
        scope.reviews.filter(pl.col("reviewer_key") == manager).select("repo", "number").unique()
    )
    reviewed_flags = merged.join(
        manager_reviewed.with_columns(hit=pl.lit(True)), on=["repo", "number"], how="left"
    ).get_column("hit")
    review_share = None if merged.is_empty() else float(reviewed_flags.is_not_null().mean())  # type: ignore[arg-type]

    pickups = first_review_after_request(scope.requests, scope.reviews).filter(
        in_window("reviewed_at", start, end)
    )
    pickups = pickups.with_columns(pickup=hours(pl.col("reviewed_at") - pl.col("requested_at")))
    manager_pickup = _median(pickups.filter(pl.col("reviewer_key") == manager).get_column("pickup"))
    team_pickup = _median(pickups.filter(pl.col("reviewer_key") != manager).get_column("pickup"))

    waiting = waiting_on_manager(scope, end)
    oldest = float(waiting.get_column("age_hours").max()) if waiting.height else None  # type: ignore[arg-type]

    week_reviews = scope.reviews.filter(in_window("submitted_at", start, end))
    top_share = None
    if week_reviews.height:
        top = week_reviews.group_by("reviewer_key").len().get_column("len").max()
        top_share = float(top) / week_reviews.height  # type: ignore[arg-type]

    return ReviewWeek(
        manager_review_share=review_share,
        manager_pickup_hours=manager_pickup,
        team_pickup_hours=team_pickup,
        waiting=waiting,
        top_reviewer_share=top_share,
        colour=worst(share_colour(review_share), waiting_colour(oldest)),
    )


def waiting_on_manager(scope: TeamScope, end: datetime) -> pl.DataFrame:
    """Team PRs open at week end with a request to the manager neither removed nor followed by a
    manager review by then; age counted from the oldest such request."""
    open_prs = scope.prs.filter(
        (pl.col("created_at") < end)
        & (pl.col("merged_at").is_null() | (pl.col("merged_at") >= end))
        & (pl.col("closed_at").is_null() | (pl.col("closed_at") >= end))
    )
    manager_reviews = scope.reviews.filter(
        (pl.col("reviewer_key") == scope.manager) & (pl.col("submitted_at") < end)
    )
    outstanding = (
        first_review_after_request(
            scope.requests.filter((pl.col("reviewer_key") == scope.manager) & (pl.col("requested_at") < end)),
            manager_reviews,
        )
        .filter(
            (pl.col("removed_at").is_null() | (pl.col("removed_at") >= end)) & pl.col("reviewed_at").is_null()
        )
        .group_by("repo", "number")
        .agg(requested_at=pl.col("requested_at").min())
    )
    return (
        open_prs.join(outstanding, on=["repo", "number"], how="inner")
        .with_columns(age_hours=hours(pl.lit(end, dtype=pl.Datetime("us", "UTC")) - pl.col("requested_at")))
        .sort(["age_hours", "repo", "number"], descending=[True, False, False])
        .select(list(WAITING_SCHEMA))
        .cast(WAITING_SCHEMA)  # type: ignore[arg-type]
    )


def _median(values: pl.Series) -> float | None:
    values = values.drop_nulls()
    return None if values.is_empty() else float(values.median())  # type: ignore[arg-type]
