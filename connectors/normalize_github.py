"""Pure translation of GitHub payloads (GraphQL nodes or REST items) into rows of the SPEC §4
tables `pull_requests`, `reviews`, `review_requests` and `commits`. No I/O, no clock.

Identities: a deleted account (`author: null`, REST `user: null` or `{}`) is `ghost`; a bot keeps
GitHub's REST login form ending in `[bot]` (GraphQL gives a Bot's login without it); a team
review request is `team:<slug>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from connectors.errors import UNREADABLE, unreadable
from connectors.times import parse_github_time
from core.schemas import SCHEMAS

GHOST = "ghost"
BOT_SUFFIX = "[bot]"
TEAM_PREFIX = "team:"
REVIEW_STATES = frozenset({"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"})
GITHUB_TABLES = ("pull_requests", "reviews", "review_requests", "commits")

# GitHub's noreply commit emails name the account: `<id>+<login>@users.noreply.github.com`
# (https://docs.github.com/en/account-and-profile/reference/email-addresses-reference).
_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[^@+]+)@users\.noreply\.github\.com$", re.IGNORECASE)

Row = dict[str, Any]


def later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two optional times."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


@dataclass
class TableRows:
    """Rows for the four GitHub tables, as produced from one page."""

    pull_requests: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)
    review_requests: list[Row] = field(default_factory=list)
    commits: list[Row] = field(default_factory=list)

    def extend(self, other: TableRows) -> None:
        self.pull_requests += other.pull_requests
        self.reviews += other.reviews
        self.review_requests += other.review_requests
        self.commits += other.commits

    def frame(self, table: str) -> pl.DataFrame:
        rows: list[Row] = getattr(self, table)
        return (
            pl.DataFrame(rows, schema=SCHEMAS[table], orient="row")
            if rows
            else pl.DataFrame(schema=SCHEMAS[table])
        )


# -- identities ------------------------------------------------------------------------------------


def actor_login(actor: Mapping[str, Any] | None) -> str:
    """A GraphQL `Actor` (`{__typename, login}`) as a stored identity."""
    if not actor or not actor.get("login"):
        return GHOST
    login = str(actor["login"])
    if actor.get("__typename") == "Bot" and not login.endswith(BOT_SUFFIX):
        login += BOT_SUFFIX
    return login


def requested_reviewer(reviewer: Mapping[str, Any] | None) -> str:
    """A GraphQL `RequestedReviewer` (User, Bot, Mannequin or Team) as a stored identity."""
    if reviewer and reviewer.get("__typename") == "Team" and reviewer.get("slug"):
        return TEAM_PREFIX + str(reviewer["slug"])
    return actor_login(reviewer)


def rest_login(user: Mapping[str, Any] | None) -> str:
    """A REST user object as a stored identity (REST bot logins already end in `[bot]`)."""
    if not user or not user.get("login"):
        return GHOST
    login = str(user["login"])
    if user.get("type") == "Bot" and not login.endswith(BOT_SUFFIX):
        login += BOT_SUFFIX
    return login


def noreply_login(email: str | None) -> str | None:
    """The login a GitHub noreply commit email stands for, else None."""
    match = _NOREPLY.match(email or "")
    return match.group("login") if match else None


# -- GraphQL ---------------------------------------------------------------------------------------


def _graphql_pull_request(repo: str, node: Mapping[str, Any]) -> TableRows:
    """One `PullRequest` node of PULL_REQUESTS_PAGE, with its nested connections complete."""
    number = int(node["number"])
    rows = TableRows()
    rows.pull_requests.append(
        {
            "repo": repo,
            "number": number,
            "author": actor_login(node.get("author")),
            "title": node.get("title"),
            "url": node.get("url"),
            "state": str(node.get("state") or "").lower() or None,
            "draft": bool(node.get("isDraft")),
            "created_at": parse_github_time(node.get("createdAt")),
            "merged_at": parse_github_time(node.get("mergedAt")),
            "closed_at": parse_github_time(node.get("closedAt")),
            "updated_at": parse_github_time(node.get("updatedAt")),
            "labels": [label["name"] for label in _nodes(node.get("labels"))],
            "additions": node.get("additions"),
            "deletions": node.get("deletions"),
        }
    )
    for review in _nodes(node.get("reviews")):
        submitted = parse_github_time(review.get("submittedAt"))
        if submitted is None or review.get("state") not in REVIEW_STATES:
            continue  # a pending review is not submitted yet
        rows.reviews.append(
            {
                "repo": repo,
                "review_id": int(review["fullDatabaseId"]),
                "number": number,
                "reviewer": actor_login(review.get("author")),
                "state": review["state"],
                "submitted_at": submitted,
            }
        )
    events = [
        (
            item["__typename"] == "ReviewRequestedEvent",
            parse_github_time(item.get("createdAt")),
            requested_reviewer(item.get("requestedReviewer")),
            actor_login(item.get("actor")),
        )
        for item in _nodes(node.get("timelineItems"))
        if item.get("__typename") in ("ReviewRequestedEvent", "ReviewRequestRemovedEvent")
    ]
    rows.review_requests = review_requests(repo, number, events)
    rows.commits = [_graphql_commit(repo, item["commit"], number) for item in _nodes(node.get("commits"))]
    return rows


def _graphql_commit(repo: str, commit: Mapping[str, Any], pr_number: int | None) -> Row:
    """A GraphQL `Commit` (PR commit or default-branch history node)."""
    author = commit.get("author") or {}
    email = author.get("email") or None
    user = author.get("user") or {}
    return {
        "repo": repo,
        "sha": commit["oid"],
        "author": user.get("login") or noreply_login(email),
        "author_email": email,
        "authored_at": parse_github_time(commit.get("authoredDate")),
        "committed_at": parse_github_time(commit.get("committedDate")),
        "additions": commit.get("additions"),
        "deletions": commit.get("deletions"),
        "pr_number": pr_number,
        "message_first_line": commit.get("messageHeadline"),
    }


def _nodes(connection: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not connection:
        return []
    return [node for node in connection.get("nodes") or [] if node]


# -- REST ------------------------------------------------------------------------------------------


def _rest_pull_request(
    repo: str,
    pull: Mapping[str, Any],
    reviews: Iterable[Mapping[str, Any]],
    events: Iterable[Mapping[str, Any]],
    commits: Iterable[Mapping[str, Any]],
) -> TableRows:
    """A PR list item with its reviews, issue events and commits from the REST API."""
    number = int(pull["number"])
    merged_at = parse_github_time(pull.get("merged_at"))
    rows = TableRows()
    rows.pull_requests.append(
        {
            "repo": repo,
            "number": number,
            "author": rest_login(pull.get("user")),
            "title": pull.get("title"),
            "url": pull.get("html_url"),
            "state": "merged" if merged_at is not None else pull.get("state"),
            "draft": bool(pull.get("draft", False)),
            "created_at": parse_github_time(pull.get("created_at")),
            "merged_at": merged_at,
            "closed_at": parse_github_time(pull.get("closed_at")),
            "updated_at": parse_github_time(pull.get("updated_at")),
            "labels": [label["name"] for label in pull.get("labels") or [] if label and label.get("name")],
            # Only the single-PR endpoint carries these; a list item usually does not.
            "additions": pull.get("additions"),
            "deletions": pull.get("deletions"),
        }
    )
    for review in reviews:
        submitted = parse_github_time(review.get("submitted_at"))
        if submitted is None or review.get("state") not in REVIEW_STATES:
            continue
        rows.reviews.append(
            {
                "repo": repo,
                "review_id": int(review["id"]),
                "number": number,
                "reviewer": rest_login(review.get("user")),
                "state": review["state"],
                "submitted_at": submitted,
            }
        )
    request_events = []
    for event in events:
        kind = event.get("event")
        if kind not in ("review_requested", "review_request_removed"):
            continue
        team = event.get("requested_team")
        if team and team.get("slug"):
            reviewer = TEAM_PREFIX + str(team["slug"])
        else:
            reviewer = rest_login(event.get("requested_reviewer"))
        requester = rest_login(event.get("review_requester") or event.get("actor"))
        request_events.append(
            (kind == "review_requested", parse_github_time(event.get("created_at")), reviewer, requester)
        )
    rows.review_requests = review_requests(repo, number, request_events)
    rows.commits = [_rest_commit(repo, item, number) for item in commits]
    return rows


def _rest_commit(repo: str, item: Mapping[str, Any], pr_number: int | None) -> Row:
    """A REST commit list item (PR commits or `GET /repos/{repo}/commits`)."""
    git = item.get("commit") or {}
    git_author = git.get("author") or {}
    email = git_author.get("email") or None
    linked = item.get("author") or {}
    stats = item.get("stats") or {}
    message = str(git.get("message") or "")
    return {
        "repo": repo,
        "sha": item["sha"],
        "author": linked.get("login") or noreply_login(email),
        "author_email": email,
        "authored_at": parse_github_time(git_author.get("date")),
        "committed_at": parse_github_time((git.get("committer") or {}).get("date")),
        "additions": stats.get("additions"),
        "deletions": stats.get("deletions"),
        "pr_number": pr_number,
        "message_first_line": message.splitlines()[0] if message else None,
    }


# -- shared ----------------------------------------------------------------------------------------


def review_requests(
    repo: str, number: int, events: Iterable[tuple[bool, datetime | None, str, str]]
) -> list[Row]:
    """Pair request and removal events `(is_request, at, reviewer, requester)` into request rows.

    A removal closes the reviewer's latest open request; a removal with no open request (its
    request predates the history GitHub kept) is dropped.
    """
    rows: list[Row] = []
    open_requests: dict[str, Row] = {}
    seen: set[tuple[str, datetime]] = set()
    ordered = sorted((e for e in events if e[1] is not None), key=lambda e: (e[1], not e[0]))
    for is_request, at, reviewer, requester in ordered:
        assert at is not None
        if is_request:
            if (reviewer, at) in seen:
                continue
            seen.add((reviewer, at))
            row: Row = {
                "repo": repo,
                "number": number,
                "reviewer": reviewer,
                "requested_at": at,
                "requester": requester,
                "removed_at": None,
            }
            rows.append(row)
            open_requests[reviewer] = row
        elif reviewer in open_requests:
            open_requests.pop(reviewer)["removed_at"] = at
    return rows


# -- entry points: a payload missing what we read is the source's error, not a crash ----------------


def graphql_pull_request(repo: str, node: Mapping[str, Any]) -> TableRows:
    """One `PullRequest` node of PULL_REQUESTS_PAGE, with its nested connections complete."""
    try:
        return _graphql_pull_request(repo, node)
    except UNREADABLE as error:
        raise unreadable(f"GitHub sent a pull request of {repo}", error) from None


def graphql_commit(repo: str, commit: Mapping[str, Any], pr_number: int | None) -> Row:
    """A GraphQL `Commit` (PR commit or default-branch history node)."""
    try:
        return _graphql_commit(repo, commit, pr_number)
    except UNREADABLE as error:
        raise unreadable(f"GitHub sent a commit of {repo}", error) from None


def rest_pull_request(
    repo: str,
    pull: Mapping[str, Any],
    reviews: Iterable[Mapping[str, Any]],
    events: Iterable[Mapping[str, Any]],
    commits: Iterable[Mapping[str, Any]],
) -> TableRows:
    """A PR list item with its reviews, issue events and commits from the REST API."""
    try:
        return _rest_pull_request(repo, pull, reviews, events, commits)
    except UNREADABLE as error:
        raise unreadable(f"GitHub sent a pull request of {repo}", error) from None


def rest_commit(repo: str, item: Mapping[str, Any], pr_number: int | None) -> Row:
    """A REST commit list item (PR commits or `GET /repos/{repo}/commits`)."""
    try:
        return _rest_commit(repo, item, pr_number)
    except UNREADABLE as error:
        raise unreadable(f"GitHub sent a commit of {repo}", error) from None
