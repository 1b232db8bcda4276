"""Normalisation of recorded GitHub payloads (REST) and of a schema-conformant GraphQL answer into
the rows of SPEC §4, identities included."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import graphql_sync

from connectors.github_queries import PULL_REQUESTS_PAGE
from connectors.normalize_github import (
    graphql_commit,
    graphql_pull_request,
    noreply_login,
    requested_reviewer,
    rest_commit,
    rest_pull_request,
    review_requests,
)
from core.schemas import SCHEMAS
from tests.connectors.github_fake import github_schema, load

REPO = "acme/churn-model"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- REST, recorded -------------------------------------------------------------------------------


def test_recorded_bot_pull_request() -> None:
    """Every field of the rows of a recorded merged PR and its commit, read off the payload."""
    pull = load("pull_3370_dependabot.json")
    rows = rest_pull_request("PyGithub/PyGithub", pull, [], [], load("pull_3370_commits.json"))
    assert rows.pull_requests == [
        {
            "repo": "PyGithub/PyGithub",
            "number": 3370,
            "author": "dependabot[bot]",
            "title": "Bump actions/setup-python from 5 to 6",
            "url": "https://github.com/PyGithub/PyGithub/pull/3370",
            "state": "merged",  # REST says closed; merged_at is set
            "draft": False,
            "created_at": at("2025-09-08T06:01:05"),
            "merged_at": at("2025-11-19T17:43:18"),
            "closed_at": at("2025-11-19T17:43:18"),
            "updated_at": at("2025-11-19T17:43:19"),
            "labels": ["dependencies", "github_actions"],
            "additions": 7,
            "deletions": 7,
        }
    ]
    assert rows.commits == [
        {
            "repo": "PyGithub/PyGithub",
            "sha": "3253acaabd86de12b73d0a24c98eb9c13d1987b5",
            "author": "dependabot[bot]",
            "author_email": "49699333+dependabot[bot]@users.noreply.github.com",
            "authored_at": at("2025-09-08T06:01:04"),  # the git author's date, in UTC
            "committed_at": at("2025-09-08T06:01:04"),
            "additions": None,  # a PR's commit list carries no stats
            "deletions": None,
            "pr_number": 3370,
            "message_first_line": "Bump actions/setup-python from 5 to 6",
        }
    ]


def test_recorded_list_items_keep_state_labels_and_leave_sizes_null() -> None:
    items = {p["number"]: p for p in load("pulls_state_all_items_subset.json")}
    open_pr = rest_pull_request("panjf2000/ants", items[158], [], [], []).pull_requests[0]
    merged = rest_pull_request("panjf2000/ants", items[53], [], [], []).pull_requests[0]
    assert (open_pr["state"], open_pr["author"], open_pr["labels"]) == (
        "open",
        "icecube092",
        ["invalid", "waiting for response"],
    )
    assert merged["state"] == "merged"
    assert merged["additions"] is None  # a list item has no sizes


def test_recorded_reviews_with_a_deleted_reviewer() -> None:
    rows = rest_pull_request(REPO, {"number": 88}, load("pull_88_reviews_user_null.json"), [], [])
    assert [r["reviewer"] for r in rows.reviews] == ["zhquan_example", "ghost"]
    assert rows.reviews[0] == {
        "repo": REPO,
        "review_id": 205729182,
        "number": 88,
        "reviewer": "zhquan_example",
        "state": "APPROVED",
        "submitted_at": at("2019-02-20T12:26:10"),
    }
    assert [r["review_id"] for r in rows.reviews] == [205729182, 205729156]
    assert [(r["repo"], r["number"]) for r in rows.reviews] == [(REPO, 88)] * 2


def test_recorded_review_states() -> None:
    reviews = [*load("pull_538_reviews.json"), load("pull_538_review_dismissed.json")]
    rows = rest_pull_request("PyGithub/PyGithub", {"number": 538}, reviews, [], [])
    assert [r["state"] for r in rows.reviews] == ["APPROVED", *["COMMENTED"] * 4, "DISMISSED"]
    states = [
        r["state"]
        for r in rest_pull_request(REPO, {"number": 53}, load("pull_53_reviews.json"), [], []).reviews
    ]
    assert (states.count("COMMENTED"), states.count("CHANGES_REQUESTED")) == (12, 3)


def test_pending_review_is_skipped() -> None:
    pending = copy.deepcopy(load("pull_538_reviews.json")[0])
    pending["state"] = "PENDING"
    del pending["submitted_at"]
    assert rest_pull_request(REPO, {"number": 1}, [pending], [], []).reviews == []


def test_recorded_review_request_events() -> None:
    requested = load("issue_event_review_requested.json")
    removed = load("issue_event_review_request_removed.json")
    # The two recordings are of different PRs and reviewers: the removal has no open request here.
    (row,) = rest_pull_request(REPO, {"number": 538}, [], [requested, removed], []).review_requests
    assert row == {
        "repo": REPO,
        "number": 538,
        "reviewer": requested["requested_reviewer"]["login"],
        "requested_at": at("2017-03-22T19:06:44"),
        "requester": requested["review_requester"]["login"],
        "removed_at": None,
    }

    # The same reviewer's removal closes the request.
    removal = copy.deepcopy(removed)
    removal["requested_reviewer"] = requested["requested_reviewer"]
    (paired,) = rest_pull_request(REPO, {"number": 538}, [], [requested, removal], []).review_requests
    assert paired["removed_at"] == at("2018-08-11T12:32:59")


def test_team_review_request() -> None:
    event = copy.deepcopy(load("issue_event_review_requested.json"))
    del event["requested_reviewer"]
    event["requested_team"] = load("pull_31_requested_reviewers_team.json")["teams"][0]
    (row,) = rest_pull_request(REPO, {"number": 31}, [], [event], []).review_requests
    assert row["reviewer"] == "team:pygithub-owners"


def test_recorded_commits_with_unlinked_authors() -> None:
    commits = [rest_commit("panjf2000/ants", item, 172) for item in load("pull_172_commits_author_null.json")]
    assert [c["author"] for c in commits] == ["jdamick", None, None]
    assert [c["author_email"] for c in commits] == ["jeffreydamick@gmail.com", *["jdamick@amazon.com"] * 2]
    assert all(c["additions"] is None for c in commits)  # list items carry no stats


def test_noreply_emails_name_the_account() -> None:
    assert noreply_login("49699333+dependabot[bot]@users.noreply.github.com") == "dependabot[bot]"
    assert noreply_login("nino-b@users.noreply.github.com") == "nino-b"
    assert noreply_login("nino@acme.example") is None
    assert noreply_login(None) is None


# -- GraphQL, written to the published schema -----------------------------------------------------


def _replay(source: Any, info: Any, **_: Any) -> Any:
    return source.get(info.field_name) if isinstance(source, dict) else None


def test_graphql_fixture_follows_the_published_schema() -> None:
    fixture = load("graphql_pull_requests_page.json")
    variables = {"owner": "acme", "name": "churn-model", "pageSize": 2, "withHistory": True, "since": None}
    result = graphql_sync(
        github_schema(),
        PULL_REQUESTS_PAGE,
        root_value=fixture["data"],
        variable_values=variables,
        field_resolver=_replay,
    )
    assert result.errors is None
    assert result.data == fixture["data"]


def test_graphql_pull_requests_with_ghosts_bots_and_teams() -> None:
    repository = load("graphql_pull_requests_page.json")["data"]["repository"]
    ghost_pr, bot_pr = repository["pullRequests"]["nodes"]

    rows = graphql_pull_request(REPO, ghost_pr)
    (pr,) = rows.pull_requests
    assert (pr["author"], pr["state"], pr["labels"]) == ("ghost", "open", ["needs-manager", "modelling"])
    # Review 3 is pending (no submittedAt); the Bot reviewer gets GitHub's REST [bot] suffix.
    assert [(r["review_id"], r["reviewer"], r["state"]) for r in rows.reviews] == [
        (1, "ghost", "APPROVED"),
        (2, "renovate[bot]", "COMMENTED"),
        (4, "nino", "DISMISSED"),
    ]
    assert rows.reviews[0] == {
        "repo": REPO,
        "review_id": 1,  # GitHub sends `fullDatabaseId` as a string
        "number": 11,
        "reviewer": "ghost",
        "state": "APPROVED",
        "submitted_at": at("2026-02-28T13:00:00"),
    }
    assert rows.review_requests[1] == {
        "repo": REPO,
        "number": 11,
        "reviewer": "nino",
        "requested_at": at("2026-02-28T12:02:00"),
        "requester": "ana",
        "removed_at": at("2026-02-28T12:30:00"),
    }
    assert [(r["reviewer"], r["requester"], r["removed_at"]) for r in rows.review_requests] == [
        ("team:data-science", "ana", None),
        ("nino", "ana", at("2026-02-28T12:30:00")),
        ("ghost", "ghost", None),
    ]

    bot = graphql_pull_request(REPO, bot_pr)
    assert bot.pull_requests == [
        {
            "repo": REPO,
            "number": 12,
            "author": "dependabot[bot]",
            "title": "Bump actions/setup-python from 5 to 6",
            "url": "https://github.com/acme/churn-model/pull/12",
            "state": "merged",
            "draft": False,
            "created_at": at("2026-02-28T12:00:00"),
            "merged_at": at("2026-03-02T09:00:00"),
            "closed_at": at("2026-03-02T09:00:00"),
            "updated_at": at("2026-03-02T09:00:00"),
            "labels": ["dependencies"],
            "additions": 10,
            "deletions": 2,
        }
    ]
    assert bot.reviews == [] and bot.review_requests == []
    assert [c["author"] for c in bot.commits] == ["dependabot[bot]", None]
    assert all(c["pr_number"] == 12 for c in bot.commits)


def test_a_graphql_draft_pull_request_is_stored_as_a_draft() -> None:
    """`isDraft` is the row's `draft`; the fixture's pull requests are ready for review."""
    ready = load("graphql_pull_requests_page.json")["data"]["repository"]["pullRequests"]["nodes"][0]
    draft = {**ready, "isDraft": True}
    assert graphql_pull_request(REPO, ready).pull_requests[0]["draft"] is False
    assert graphql_pull_request(REPO, draft).pull_requests[0]["draft"] is True


def test_graphql_branch_history_commit() -> None:
    repository = load("graphql_pull_requests_page.json")["data"]["repository"]
    (node,) = repository["defaultBranchRef"]["target"]["history"]["nodes"]
    row = graphql_commit(REPO, node, None)
    assert row == {
        "repo": REPO,
        "sha": "c" * 40,
        "author": "nino",
        "author_email": "nino@acme.example",
        "authored_at": at("2026-03-01T12:00:00"),
        "committed_at": at("2026-03-01T12:00:00"),
        "additions": 3,
        "deletions": 1,
        "pr_number": None,
        "message_first_line": "Change things",
    }


@pytest.mark.parametrize(
    ("user", "login"),
    [
        ({"login": "renovate", "type": "Bot"}, "renovate[bot]"),  # a bot without the suffix gets it
        ({"login": "dependabot[bot]", "type": "Bot"}, "dependabot[bot]"),  # not twice
        ({"login": "nino-b", "type": "User"}, "nino-b"),
        (None, "ghost"),  # a deleted account
    ],
)
def test_a_rest_user_is_stored_as_graphql_names_it(user: dict[str, str] | None, login: str) -> None:
    """GraphQL names a bot `renovate[bot]`; a REST user of type Bot is stored the same way, so one
    bot is one identity whichever API the sync used."""
    from connectors.normalize_github import rest_login

    assert rest_login(user) == login


def test_a_graphql_pull_requests_times_are_its_own() -> None:
    """`createdAt` is the row's `created_at`; an open PR has no merge or close time (the fixture's
    first PR: created 2026-02-28 12:00 UTC, open)."""
    node = load("graphql_pull_requests_page.json")["data"]["repository"]["pullRequests"]["nodes"][0]
    (row,) = graphql_pull_request(REPO, node).pull_requests
    assert (row["created_at"], row["merged_at"], row["closed_at"]) == (at("2026-02-28 12:00"), None, None)


def test_review_requests_drop_repeats_and_events_without_a_time() -> None:
    """The same request seen twice (GitHub's timeline and its events list can both carry it) is one
    row; an event without a time cannot be placed and is left out."""
    at_noon = at("2026-03-02T12:00:00")
    events = [
        (True, at_noon, "nino", "ana"),
        (True, at_noon, "nino", "ana"),
        (True, None, "giorgi", "ana"),
        (True, at_noon, "giorgi", "ana"),
    ]
    assert review_requests(REPO, 7, events) == [
        {
            "repo": REPO,
            "number": 7,
            "reviewer": "nino",
            "requested_at": at_noon,
            "requester": "ana",
            "removed_at": None,
        },
        {
            "repo": REPO,
            "number": 7,
            "reviewer": "giorgi",
            "requested_at": at_noon,
            "requester": "ana",
            "removed_at": None,
        },
    ]


def test_a_page_of_rows_becomes_frames_of_the_stores_schema() -> None:
    """A page whose values leave a column empty everywhere (list items carry no sizes) still gives
    that column its type, so pages concatenate into the table."""
    items = load("pulls_state_all_items_subset.json")
    rows = rest_pull_request("panjf2000/ants", items[0], [], [], [])
    for table in ("pull_requests", "reviews", "review_requests", "commits"):
        assert rows.frame(table).schema == SCHEMAS[table]
    assert rows.frame("pull_requests")["additions"].to_list() == [None]


def test_rest_request_events_name_the_requester_by_the_actor_when_github_leaves_it_out() -> None:
    """Older events carry only `actor`; other events of the issue are not review requests; a team
    without a slug falls back to the reviewer named beside it."""
    when = "2026-03-02T12:00:00Z"
    events = [
        {
            "event": "review_requested",
            "created_at": when,
            "actor": {"login": "ana"},
            "requested_reviewer": {"login": "nino"},
        },
        {"event": "labeled", "created_at": when, "actor": {"login": "ana"}},
        {
            "event": "review_requested",
            "created_at": when,
            "review_requester": {"login": "ana"},
            "requested_team": {"name": "no slug"},
            "requested_reviewer": {"login": "giorgi"},
        },
    ]
    rows = rest_pull_request(REPO, {"number": 5}, [], events, []).review_requests
    assert [(r["reviewer"], r["requester"]) for r in rows] == [("nino", "ana"), ("giorgi", "ana")]


@pytest.mark.parametrize(
    ("reviewer", "stored"),
    [
        ({"__typename": "Team", "slug": "data-science"}, "team:data-science"),
        ({"__typename": "Team"}, "ghost"),  # a team GitHub no longer shows
        ({"__typename": "Bot", "login": "renovate"}, "renovate[bot]"),
        ({"__typename": "Bot", "login": "dependabot[bot]"}, "dependabot[bot]"),
        ({"__typename": "Mannequin", "login": "old-svn-user"}, "old-svn-user"),
        ({"__typename": "User", "login": ""}, "ghost"),
        (None, "ghost"),
    ],
)
def test_a_graphql_requested_reviewer_is_stored_as_one_identity(
    reviewer: dict[str, str] | None, stored: str
) -> None:
    assert requested_reviewer(reviewer) == stored


def test_labels_without_a_name_are_left_out() -> None:
    pull = {"number": 3, "labels": [{"name": "bug"}, {"name": ""}, None, {"id": 4}]}
    assert rest_pull_request(REPO, pull, [], [], []).pull_requests[0]["labels"] == ["bug"]


def test_a_rest_commit_with_stats_keeps_its_sizes() -> None:
    """The single-commit endpoint carries `stats`; a commit that has them keeps both numbers."""
    item = {
        "sha": "d" * 40,
        "commit": {"author": {"email": "nino@acme.example", "date": "2026-03-01T12:00:00Z"}, "message": ""},
        "author": {"login": "nino"},
        "stats": {"additions": 12, "deletions": 4, "total": 16},
    }
    row = rest_commit(REPO, item, None)
    assert (row["additions"], row["deletions"], row["message_first_line"]) == (12, 4, None)
