"""Incremental sync of one GitHub repo into the store: pull requests with their reviews, review
requests and commits, then default-branch commits. A plain function; the flows wrap it in a task.

Delivery is at least once, the store exactly once: pages are upserted by primary key as they
arrive, and the cursor moves only after the whole repo is durable in the store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from connectors.errors import NotFound, PermissionDenied
from connectors.github import (
    REST_PR_COMMITS_CAP,
    GithubClient,
    GraphqlUnavailable,
    RawPage,
    github_client,
    graphql_pages,
    rest_pages,
    utc_now,
)
from connectors.normalize_github import (
    TableRows,
    graphql_commit,
    graphql_pull_request,
    rest_commit,
    rest_pull_request,
)
from core.config import Config
from core.state import SyncState
from core.store import Store

log = logging.getLogger(__name__)

SOURCE = "github"
FIRST_SYNC_DAYS = 120


@dataclass
class RepoSyncResult:
    """What one repo's sync did: HTTP requests sent and rows written per table."""

    repo: str
    requests: int = 0
    pull_requests: int = 0
    commits: int = 0
    reviews: int = 0
    review_requests: int = 0
    note: str = ""
    api: str = ""
    truncated: list[int] = field(default_factory=list)  # PRs stored with only their first 250 commits


def sync_github_repo(
    config: Config,
    repo: str,
    store: Store,
    state: SyncState,
    token: str,
    *,
    since: datetime | None = None,
    now: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
    client: GithubClient | None = None,
) -> RepoSyncResult:
    """Read PRs updated at or after (cursor − overlap) — on a first sync since `since`, default
    120 days ago — and the default branch's commits since the last sync; upsert them page by page
    and advance the cursor once everything is written. An explicit `since` earlier than the
    cursor re-reads from `since` (a backfill)."""
    settings = config.github
    if settings is None:
        raise ValueError("the config has no [github] section")
    client = client or github_client(config, token, sleep=sleep, now=now, progress=progress)
    requests_before = client.requests
    started = now()
    overlap = timedelta(minutes=settings.overlap_minutes)
    entry = state.entry(SOURCE, repo)
    cursor = state.cursor(SOURCE, repo)
    commits_cursor = datetime.fromisoformat(entry["commits_cursor"]) if entry.get("commits_cursor") else None
    first_since = since or started - timedelta(days=FIRST_SYNC_DAYS)
    updated_since = _lower_bound(cursor, overlap, since, first_since)
    commits_since = _lower_bound(commits_cursor, overlap, since, first_since)

    result = RepoSyncResult(repo)
    known = _stored_updated_at(store, repo)
    newest: datetime | None = None
    truncated = {int(n) for n in entry.get("truncated_pull_requests") or []}
    use_graphql = settings.api == "graphql" or (
        settings.api == "auto" and client.graphql_available is not False
    )
    try:
        pages = _pages(
            client,
            repo,
            use_graphql,
            settings.api == "auto",
            updated_since,
            commits_since,
            known,
            settings.page_size,
        )
        for number, page in enumerate(pages, start=1):
            result.api = page.api
            _write_pull_requests(store, repo, _pull_request_rows(repo, page), result)
            _write_branch_commits(store, repo, _branch_commit_rows(repo, page), result)
            if page.newest_updated_at is not None:
                newest = page.newest_updated_at if newest is None else max(newest, page.newest_updated_at)
            if page.note:
                result.note = page.note
            rewritten = {raw.get("number") or raw["pull"]["number"] for raw in page.pull_requests}
            truncated = (truncated - {int(n) for n in rewritten}) | set(page.truncated)
            if progress is not None and page.pull_requests:
                progress(f"{repo}: page {number}, {len(page.pull_requests)} changed pull requests")
    except NotFound:
        raise NotFound(f"repo {repo} not found or not visible to this token") from None
    except PermissionDenied as error:
        raise PermissionDenied(f"repo {repo}: {error}") from None
    finally:
        result.requests = client.requests - requests_before

    # The rows are durable (each upsert is an atomic file replace); only now may the cursor move.
    new_cursor = min(max(filter(None, (cursor, newest, updated_since))), started)
    if truncated:
        result.truncated = sorted(truncated)
        cut = ", ".join(f"#{n}" for n in result.truncated)
        result.note = "; ".join(
            filter(
                None, [result.note, f"commits truncated at {REST_PR_COMMITS_CAP} for {cut} (REST API cap)"]
            )
        )
    state.set_cursor(
        SOURCE,
        repo,
        new_cursor,
        commits_cursor=started.isoformat(),
        api=result.api,
        truncated_pull_requests=sorted(truncated),
    )
    log.info(
        "%s: %d requests, %d pull requests, %d reviews, %d review requests, %d commits%s",
        repo,
        result.requests,
        result.pull_requests,
        result.reviews,
        result.review_requests,
        result.commits,
        f" ({result.note})" if result.note else "",
    )
    return result


def _lower_bound(
    cursor: datetime | None, overlap: timedelta, since: datetime | None, first_since: datetime
) -> datetime:
    if cursor is None:
        return first_since
    bound = cursor - overlap
    return min(bound, since) if since is not None else bound


def _pages(
    client: GithubClient,
    repo: str,
    use_graphql: bool,
    may_fall_back: bool,
    updated_since: datetime,
    commits_since: datetime,
    known: dict[int, datetime],
    page_size: int,
) -> Iterator[RawPage]:
    arguments = {
        "updated_since": updated_since,
        "commits_since": commits_since,
        "known": known,
        "page_size": page_size,
    }
    if use_graphql:
        try:
            yield from graphql_pages(client, repo, **arguments)  # type: ignore[arg-type]
            return
        except GraphqlUnavailable as error:
            # The first GraphQL request finds out; REST re-reads anything already upserted.
            if not may_fall_back:
                raise
            log.warning("%s; using the REST API", error)
    yield from rest_pages(client, repo, **arguments)  # type: ignore[arg-type]


def _pull_request_rows(repo: str, page: RawPage) -> TableRows:
    rows = TableRows()
    for raw in page.pull_requests:
        if page.api == "graphql":
            rows.extend(graphql_pull_request(repo, raw))
        else:
            commits = raw["commits"] if "graphql_commits" not in raw else []
            pull = rest_pull_request(repo, raw["pull"], raw["reviews"], raw["events"], commits)
            if "graphql_commits" in raw:  # past REST's 250-commit cap, completed through GraphQL
                number = pull.pull_requests[0]["number"]
                pull.commits = [graphql_commit(repo, commit, number) for commit in raw["graphql_commits"]]
            rows.extend(pull)
    return rows


def _branch_commit_rows(repo: str, page: RawPage) -> list[dict[str, Any]]:
    convert = graphql_commit if page.api == "graphql" else rest_commit
    return [convert(repo, raw, None) for raw in page.branch_commits]


def _stored_updated_at(store: Store, repo: str) -> dict[int, datetime]:
    """`updated_at` of the PRs already stored: an unchanged PR need not be fetched again."""
    stored = store.read("pull_requests").filter(pl.col("repo") == repo, pl.col("updated_at").is_not_null())
    return dict(zip(stored["number"].to_list(), stored["updated_at"].to_list(), strict=True))


def _write_pull_requests(store: Store, repo: str, rows: TableRows, result: RepoSyncResult) -> None:
    """Replace the PRs' reviews, requests and commits as sets, then write the PRs themselves
    (last, so a stored PR row implies its detail is stored)."""
    if not rows.pull_requests:
        return
    numbers = sorted({row["number"] for row in rows.pull_requests})
    scope = pl.DataFrame(
        {"repo": [repo] * len(numbers), "number": numbers}, schema={"repo": pl.String, "number": pl.Int64}
    )
    store.upsert("reviews", rows.frame("reviews"), replace_scope=scope)
    store.upsert("review_requests", rows.frame("review_requests"), replace_scope=scope)
    store.upsert("commits", rows.frame("commits"), replace_scope=scope.rename({"number": "pr_number"}))
    store.upsert("pull_requests", rows.frame("pull_requests"))
    result.pull_requests += len(rows.pull_requests)
    result.reviews += len(rows.reviews)
    result.review_requests += len(rows.review_requests)
    result.commits += len(rows.commits)


def _write_branch_commits(
    store: Store, repo: str, commits: list[dict[str, Any]], result: RepoSyncResult
) -> None:
    """Upsert default-branch commits, never replacing a stored PR commit (which knows its PR)."""
    if not commits:
        return
    stored = store.read("commits").filter(pl.col("repo") == repo, pl.col("pr_number").is_not_null())
    in_prs = set(stored["sha"].to_list())
    fresh = TableRows(commits=[row for row in commits if row["sha"] not in in_prs])
    if fresh.commits:
        store.upsert("commits", fresh.frame("commits"))
    result.commits += len(fresh.commits)
