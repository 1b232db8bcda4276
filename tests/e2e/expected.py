"""What the store must hold after syncing the dataset, derived from the dataset model by hand
(SPEC §4), independently of the connectors' normalisers."""

from __future__ import annotations

from typing import Any

import polars as pl

from tests.connectors.github_fake import Repo
from tests.e2e.dataset import Issue, JiraUser

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "pull_requests": (
        "repo", "number", "author", "title", "state", "draft",
        "created_at", "merged_at", "closed_at", "updated_at", "labels",
    ),
    "reviews": ("repo", "review_id", "number", "reviewer", "state", "submitted_at"),
    "review_requests": ("repo", "number", "reviewer", "requested_at", "requester", "removed_at"),
    "commits": ("repo", "sha", "author", "author_email", "authored_at", "committed_at", "pr_number"),
    "issues": (
        "key", "project", "issue_type", "summary", "url", "status", "labels", "components",
        "assignee", "reporter", "created_at", "updated_at", "resolved_at",
    ),
    "issue_events": ("key", "event_id", "field", "at", "actor", "from_value", "to_value"),
    "comments": ("key", "comment_id", "author", "created_at", "mentions"),
}  # fmt: skip


def rows(frame: pl.DataFrame, table: str) -> set[Row]:
    """The store's rows of `table` in the columns checked here (lists as tuples)."""
    picked = frame.select(COLUMNS[table]).rows()
    return {tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in picked}


def _login(login: str | None) -> str:
    return login if login is not None else "ghost"


def github_rows(repos: dict[str, Repo]) -> dict[str, set[Row]]:
    found: dict[str, set[Row]] = {
        "pull_requests": set(),
        "reviews": set(),
        "review_requests": set(),
        "commits": set(),
    }
    for name, repo in repos.items():
        in_prs: set[str] = set()
        for pull in repo.pulls:
            found["pull_requests"].add(
                (
                    name, pull.number, _login(pull.author), pull.title, pull.state.lower(), pull.draft,
                    pull.created, pull.merged, pull.closed, pull.updated, tuple(pull.labels),
                )
            )  # fmt: skip
            for review in pull.reviews:
                found["reviews"].add(
                    (name, review.id, pull.number, _login(review.author), review.state, review.submitted)
                )
            ordered = sorted(pull.events, key=lambda e: e.at)
            for event in ordered:
                if event.removed:
                    continue
                removal = next(
                    (
                        e.at
                        for e in ordered
                        if e.removed and e.reviewer == event.reviewer and e.at >= event.at
                    ),
                    None,
                )
                found["review_requests"].add(
                    (name, pull.number, event.reviewer, event.at, _login(event.actor), removal)
                )
            for c in pull.commits:
                in_prs.add(c.sha)
                found["commits"].add((name, c.sha, c.login, c.email, c.authored, c.committed, pull.number))
        for c in repo.branch or []:
            if c.sha not in in_prs:
                found["commits"].add((name, c.sha, c.login, c.email, c.authored, c.committed, None))
    return found


def identity(user: JiraUser | None, flavor: str) -> str | None:
    if user is None:
        return None
    return user.account_id if flavor == "cloud" else user.name


def jira_rows(issues: list[Issue], flavor: str, base: str) -> dict[str, set[Row]]:
    found: dict[str, set[Row]] = {"issues": set(), "issue_events": set(), "comments": set()}
    for issue in issues:
        found["issues"].add(
            (
                issue.key, issue.project, issue.issue_type, issue.summary, f"{base}/browse/{issue.key}",
                issue.status, tuple(issue.labels), tuple(issue.components),
                identity(issue.assignee, flavor), identity(issue.reporter, flavor),
                issue.created, issue.updated, issue.resolved,
            )
        )  # fmt: skip
        for history in issue.histories:
            for field, old, new in history.items:
                if field == "assignee":
                    old_value = identity(old, flavor)  # type: ignore[arg-type]
                    new_value = identity(new, flavor)  # type: ignore[arg-type]
                else:
                    old_value, new_value = old, new  # type: ignore[assignment]
                found["issue_events"].add(
                    (
                        issue.key,
                        history.id,
                        field,
                        history.at,
                        identity(history.author, flavor),
                        old_value,
                        new_value,
                    )
                )
        for comment in issue.comments:
            mentions = tuple(
                dict.fromkeys(identity(p, flavor) for p in comment.parts if isinstance(p, JiraUser))
            )
            found["comments"].add(
                (issue.key, comment.id, identity(comment.author, flavor), comment.at, mentions)
            )
    return found
