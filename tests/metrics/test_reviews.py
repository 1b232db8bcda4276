"""Review bottleneck (SPEC §5.2), each expected number worked out by hand from the definition."""

from __future__ import annotations

import pytest

from core.weeks import Week
from metrics.weekly import team_weeks
from tests.metrics.builders import WEEK, config, frame, t


def pr(
    number: int, author: str, created: str = "2026-11-10 09:00", merged: str | None = None, **more
) -> dict:
    return {
        "repo": "acme/app",
        "number": number,
        "author": author,
        "title": f"PR {number}",
        "url": f"https://github.com/acme/app/pull/{number}",
        "state": "merged" if merged else "open",
        "created_at": t(created),
        "merged_at": t(merged) if merged else None,
        **more,
    }


def review(rid: int, number: int, reviewer: str, at: str | None, state: str = "APPROVED") -> dict:
    return {
        "repo": "acme/app",
        "review_id": rid,
        "number": number,
        "reviewer": reviewer,
        "state": state,
        "submitted_at": t(at) if at else None,
    }


def request(
    number: int, reviewer: str, at: str, removed: str | None = None, requester: str = "m1-gh"
) -> dict:
    return {
        "repo": "acme/app",
        "number": number,
        "reviewer": reviewer,
        "requested_at": t(at),
        "requester": requester,
        "removed_at": t(removed) if removed else None,
    }


def reviews_of(tables: dict, members: int = 3) -> dict:
    cfg = config(members=members)
    return team_weeks(tables, cfg, Week.parse(WEEK, cfg.zone))[0].to_json()["reviews"]


@pytest.fixture
def scenario() -> dict:
    prs = frame(
        "pull_requests",
        [
            pr(1, "m1-gh", merged="2026-11-18 10:00"),
            pr(2, "m2-gh", merged="2026-11-19 10:00"),
            pr(3, "m1-gh", merged="2026-11-20 10:00"),
            pr(4, "mia-gh", merged="2026-11-20 11:00"),  # the manager's own PR: not in the share
            pr(5, "m3-gh"),  # open; request to mia removed
            pr(6, "m3-gh"),  # open; request to mia outstanding since Sat
            pr(9, "outsider", merged="2026-11-18 10:00"),  # not a team PR
        ],
    )
    reviews = frame(
        "reviews",
        [
            review(11, 1, "mia-gh", "2026-11-16 14:00", "COMMENTED"),
            review(12, 1, "m2-gh", "2026-11-16 11:00"),
            review(13, 2, "MIA-GH", "2026-11-18 09:00"),
            review(14, 2, "m1-gh", "2026-11-17 12:00"),
            review(15, 3, "mia-gh", "2026-11-19 09:00"),  # no request: share yes, pickup no
            review(16, 4, "m1-gh", "2026-11-20 10:30"),
            review(17, 9, "mia-gh", "2026-11-18 09:00"),  # outsider's PR: ignored everywhere
            review(18, 3, "dependabot[bot]", "2026-11-19 09:00"),
            review(19, 5, "mia-gh", None, "PENDING"),  # not submitted: ignored
        ],
    )
    requests = frame(
        "review_requests",
        [
            request(1, "mia-gh", "2026-11-16 10:00"),  # picked up after 4 h
            request(1, "m2-gh", "2026-11-16 10:00"),  # 1 h
            request(2, "mia-gh", "2026-11-17 09:00"),  # 24 h
            request(2, "m1-gh", "2026-11-17 09:00"),  # 3 h
            request(2, "team:data-science", "2026-11-17 09:00"),
            request(5, "mia-gh", "2026-11-19 12:00", removed="2026-11-20 09:00"),
            request(6, "mia-gh", "2026-11-21 00:00"),  # waiting 48 h at week end
        ],
    )
    return {"pull_requests": prs, "reviews": reviews, "review_requests": requests}


def test_review_bottleneck(scenario: dict) -> None:
    result = reviews_of(scenario)
    # Team PRs merged this week not by the manager: 1, 2, 3; mia reviewed all three -> 3 / 3 = 1.0.
    assert result["manager_review_share"] == 1.0
    # Manager pickups: 4 h (PR 1) and 24 h (PR 2) -> median 14 h.  Team: 1 h and 3 h -> 2 h.
    assert result["manager_pickup_hours"] == 14.0
    assert result["team_pickup_hours"] == 2.0
    # PR 6: requested Sat 21 Nov 00:00, week ends Mon 23 Nov 00:00 -> 48 h.  PR 5's request was removed.
    assert result["waiting_on_manager"] == [{"repo": "acme/app", "number": 6, "age_hours": 48.0}]
    # Reviews on team PRs in the week: mia 3 (PRs 1, 2, 3), m2 1, m1 2 (PRs 2, 4); bot ignored -> 3 / 6.
    assert result["top_reviewer_share"] == 0.5
    # Share 100 % is red; waiting 48 h is red.
    assert result["colour"] == "red"


def test_manager_review_share_counts_prs_not_reviews(scenario: dict) -> None:
    # Drop mia's reviews on PRs 2 and 3: she reviewed 1 of the 3 PRs -> 1/3, yellow (25-50 %).
    reviews = scenario["reviews"].filter(~scenario["reviews"]["review_id"].is_in([13, 15]))
    result = reviews_of({**scenario, "reviews": reviews})
    assert result["manager_review_share"] == pytest.approx(1 / 3)
    # PR 2's request to mia is now unanswered, but PR 2 merged on Thursday: only PR 6 waits.
    assert result["waiting_on_manager"] == [{"repo": "acme/app", "number": 6, "age_hours": 48.0}]
    # Manager pickups: only PR 1's 4 h remains.
    assert result["manager_pickup_hours"] == 4.0


def test_merged_pr_is_not_waiting() -> None:
    # PR 2 merged on Friday with mia's request unanswered: not open at week end -> nothing waits.
    tables = {
        "pull_requests": frame("pull_requests", [pr(2, "m1-gh", merged="2026-11-20 10:00")]),
        "review_requests": frame("review_requests", [request(2, "mia-gh", "2026-11-17 09:00")]),
    }
    result = reviews_of(tables)
    assert result["waiting_on_manager"] == []
    # Share: 1 merged PR, mia did not review -> 0.0 green; nothing waiting green.
    assert result["manager_review_share"] == 0.0
    assert result["colour"] == "green"


@pytest.mark.parametrize(
    ("requested", "age", "colour"),
    [
        ("2026-11-22 00:01", 23.983333, "green"),
        ("2026-11-22 00:00", 24.0, "yellow"),
        ("2026-11-21 00:01", 47.983333, "yellow"),
        ("2026-11-21 00:00", 48.0, "red"),
    ],
)
def test_waiting_colour_edges(requested: str, age: float, colour: str) -> None:
    tables = {
        "pull_requests": frame("pull_requests", [pr(6, "m1-gh")]),
        "review_requests": frame("review_requests", [request(6, "mia-gh", requested)]),
    }
    result = reviews_of(tables)
    assert result["waiting_on_manager"][0]["age_hours"] == pytest.approx(age, abs=1e-5)
    # No PR merged: the share is null (grey), so the waiting colour decides.
    assert result["manager_review_share"] is None
    assert result["colour"] == colour


@pytest.mark.parametrize(
    ("reviewed", "merged", "colour"),
    [(0, 8, "green"), (1, 8, "green"), (2, 8, "yellow"), (3, 8, "yellow"), (4, 8, "red"), (3, 4, "green")],
)
def test_share_colour_edges(reviewed: int, merged: int, colour: str) -> None:
    # 0/8 = 0 % and 1/8 = 12.5 % green; 2/8 = 25 % yellow (from 25 %), 3/8 = 37.5 % yellow;
    # 4/8 = 50 % red (from 50 %).  3/4 = 75 % would be red, but 4 merged PRs < min_sample 5: the
    # share is grey, and the review colour is the worse of grey and nothing waiting (green): green.
    prs = frame("pull_requests", [pr(n, "m1-gh", merged="2026-11-18 10:00") for n in range(1, merged + 1)])
    reviews = frame("reviews", [review(n, n, "mia-gh", "2026-11-17 10:00") for n in range(1, reviewed + 1)])
    result = reviews_of({"pull_requests": prs, "reviews": reviews})
    assert result["colour"] == colour
    assert result["manager_review_share"] == reviewed / merged


def test_request_answered_after_week_end_still_waits() -> None:
    # Requested Fri 20 Nov 12:00, mia reviews Tue 24 Nov: at the end of W47 it waits 60 h -> red.
    tables = {
        "pull_requests": frame("pull_requests", [pr(6, "m1-gh")]),
        "review_requests": frame("review_requests", [request(6, "mia-gh", "2026-11-20 12:00")]),
        "reviews": frame("reviews", [review(1, 6, "mia-gh", "2026-11-24 10:00")]),
    }
    result = reviews_of(tables)
    assert result["waiting_on_manager"] == [{"repo": "acme/app", "number": 6, "age_hours": 60.0}]
    assert result["colour"] == "red"
    assert result["manager_pickup_hours"] is None


def test_empty_week_reviews() -> None:
    assert reviews_of({}) == {
        "manager_review_share": None,
        "manager_pickup_hours": None,
        "team_pickup_hours": None,
        "waiting_on_manager": [],
        "top_reviewer_share": None,
        "colour": "green",
    }
