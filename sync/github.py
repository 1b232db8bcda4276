"""Incremental sync of one GitHub repo into the store: pull requests with their reviews, review
requests and commits, then default-branch commits. A plain function; the flows wrap it in a task.

Delivery is at least once, the store exactly once: rows are buffered and upserted by primary key
every `flush_rows` rows and at the end of the repo, and the cursor moves only after the whole repo
is durable in the store. Before the per-repo syncs, `probe_github_repos` asks GitHub about many
repos in one request and records the ones with nothing new as synced, so they are not paged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from connectors.errors import NotFound, PermissionDenied, SourceError
from connectors.github import (
    REST_PR_COMMITS_CAP,
    GithubClient,
    GraphqlUnavailable,
    ProbeTarget,
    RawPage,
    RepoProbe,
    github_client,
    graphql_pages,
    probe_repositories,
    rest_pages,
    utc_now,
)
from connectors.github_queries import PROBE_BATCH_SIZE
from connectors.normalize_github import (
    TableRows,
    graphql_commit,
    graphql_pull_request,
    rest_commit,
    rest_pull_request,
)
from core.buffer import RowBuffer
from core.config import Config
from core.state import SyncState
from core.store import Store
from sync.common import FLUSH_ROWS

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
    flush_rows: int = FLUSH_ROWS,
) -> RepoSyncResult:
    """Read PRs updated at or after (cursor − overlap) — on a first sync since `since`, default
    120 days ago — and the default branch's commits since the last sync; upsert them every
    `flush_rows` rows and at the end, and advance the cursor once everything is written. An
    explicit `since` earlier than the cursor re-reads from `since` (a backfill)."""
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
    buffer = _Buffer(store, repo, result)
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
            buffer.add(_pull_request_rows(repo, page), _branch_commit_rows(repo, page))
            if buffer.rows >= flush_rows:
                buffer.flush()
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

    buffer.flush()
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


def _pull_request_rows(repo: str, page: RawPage) -> list[TableRows]:
    """The rows of each pull request of a page, one TableRows per PR."""
    pulls = []
    for raw in page.pull_requests:
        if page.api == "graphql":
            pulls.append(graphql_pull_request(repo, raw))
        else:
            commits = raw["commits"] if "graphql_commits" not in raw else []
            pull = rest_pull_request(repo, raw["pull"], raw["reviews"], raw["events"], commits)
            if "graphql_commits" in raw:  # past REST's 250-commit cap, completed through GraphQL
                number = pull.pull_requests[0]["number"]
                pull.commits = [graphql_commit(repo, commit, number) for commit in raw["graphql_commits"]]
            pulls.append(pull)
    return pulls


def _branch_commit_rows(repo: str, page: RawPage) -> list[dict[str, Any]]:
    convert = graphql_commit if page.api == "graphql" else rest_commit
    return [convert(repo, raw, None) for raw in page.branch_commits]


def _stored_updated_at(store: Store, repo: str) -> dict[int, datetime]:
    """`updated_at` of the PRs already stored: an unchanged PR need not be fetched again."""
    stored = store.read("pull_requests").filter(pl.col("repo") == repo, pl.col("updated_at").is_not_null())
    return dict(zip(stored["number"].to_list(), stored["updated_at"].to_list(), strict=True))


class _Buffer:
    """Rows of one repo waiting for the store: per pull request (latest reading only) and the
    default-branch commits. `flush` writes them with one upsert per table."""

    def __init__(self, store: Store, repo: str, result: RepoSyncResult) -> None:
        self.store = store
        self.repo = repo
        self.result = result
        self.pulls: RowBuffer[int, TableRows] = RowBuffer(_row_count)
        self.branch_commits: dict[str, dict[str, Any]] = {}

    @property
    def rows(self) -> int:
        return self.pulls.rows + len(self.branch_commits)

    def add(self, pulls: list[TableRows], branch_commits: list[dict[str, Any]]) -> None:
        for pull in pulls:
            self.pulls.put(int(pull.pull_requests[0]["number"]), pull)
        for commit in branch_commits:
            self.branch_commits[commit["sha"]] = commit

    def flush(self) -> None:
        """Replace the PRs' reviews, requests and commits as sets and add the branch commits, then
        write the PRs themselves (last, so a stored PR row implies its detail is stored)."""
        rows = TableRows()
        for pull in self.pulls.readings.values():
            rows.extend(pull)
        if rows.pull_requests:
            numbers = sorted(self.pulls.readings)
            scope = pl.DataFrame(
                {"repo": [self.repo] * len(numbers), "number": numbers},
                schema={"repo": pl.String, "number": pl.Int64},
            )
            self.store.upsert("reviews", rows.frame("reviews"), replace_scope=scope)
            self.store.upsert("review_requests", rows.frame("review_requests"), replace_scope=scope)
        else:
            scope = None
        branch = self._fresh_branch_commits(rows)
        commits = TableRows(commits=rows.commits + branch)
        if commits.commits or scope is not None:
            pr_scope = None if scope is None else scope.rename({"number": "pr_number"})
            self.store.upsert("commits", commits.frame("commits"), replace_scope=pr_scope)
        if rows.pull_requests:
            self.store.upsert("pull_requests", rows.frame("pull_requests"))
        self.result.pull_requests += len(rows.pull_requests)
        self.result.reviews += len(rows.reviews)
        self.result.review_requests += len(rows.review_requests)
        self.result.commits += len(rows.commits) + len(branch)
        self.pulls.clear()
        self.branch_commits.clear()

    def _fresh_branch_commits(self, rows: TableRows) -> list[dict[str, Any]]:
        """Default-branch commits, never replacing a PR commit (which knows its PR): neither one
        written now nor one already stored for a PR that is not being rewritten."""
        if not self.branch_commits:
            return []
        stored = self.store.read("commits").filter(
            pl.col("repo") == self.repo,
            pl.col("pr_number").is_not_null(),
            ~pl.col("pr_number").is_in(list(self.pulls.readings)),
        )
        in_prs = set(stored["sha"].to_list()) | {row["sha"] for row in rows.commits}
        return [row for sha, row in self.branch_commits.items() if sha not in in_prs]


def _row_count(rows: TableRows) -> int:
    return len(rows.pull_requests) + len(rows.reviews) + len(rows.review_requests) + len(rows.commits)


# -- the probe ------------------------------------------------------------------------------------


@dataclass
class ProbeResult:
    """What the probe found: repos with nothing new (recorded as synced, not to be paged)."""

    unchanged: list[str] = field(default_factory=list)
    probed: int = 0
    requests: int = 0
    note: str = ""


def probe_github_repos(
    config: Config,
    repos: list[str],
    store: Store,
    state: SyncState,
    token: str,
    *,
    since: datetime | None = None,
    now: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
    client: GithubClient | None = None,
) -> ProbeResult:
    """Find the repos a sync would find nothing new in, with one GraphQL request per
    `PROBE_BATCH_SIZE` repos, and record them as synced; the others need `sync_github_repo`.

    A repo is unchanged when every PR updated at or after (cursor − overlap) is stored with that
    same `updated_at` — the probe must see past the window (a PR older than it, or the end of the
    list) — and every default-branch commit since (commit cursor − overlap) is stored: exactly the
    case where `sync_github_repo` would write no row. Its state then moves as that sync would move
    it (the commit cursor to the probe's start, the cursor never past it). Only repos synced
    before, without `since`, are probed; on the REST API, or when a probe request fails, the
    repos it covers are synced in full as before.
    """
    settings = config.github
    result = ProbeResult()
    if settings is None or since is not None or settings.api == "rest":
        return result
    overlap = timedelta(minutes=settings.overlap_minutes)
    targets: list[tuple[ProbeTarget, datetime]] = []
    for repo in repos:
        entry = state.entry(SOURCE, repo)
        cursor = state.cursor(SOURCE, repo)
        if cursor is None or not entry.get("commits_cursor") or entry.get("api") == "rest":
            continue  # a first sync, or a server found to have no GraphQL API
        commits_since = datetime.fromisoformat(entry["commits_cursor"]) - overlap
        targets.append((ProbeTarget(repo, commits_since), cursor))
    if not targets:
        return result
    client = client or github_client(config, token, sleep=sleep, now=now, progress=progress)
    requests_before = client.requests
    pulls = store.read("pull_requests").filter(pl.col("updated_at").is_not_null())
    commits = store.read("commits").select("repo", "sha")
    try:
        for start in range(0, len(targets), PROBE_BATCH_SIZE):
            batch = targets[start : start + PROBE_BATCH_SIZE]
            started = now()
            try:
                probes = probe_repositories(client, [target for target, _ in batch])
            except GraphqlUnavailable as error:
                result.note = f"probe not possible ({error}); every repo is synced in full"
                break
            except SourceError as error:
                result.note = f"probe failed ({error}); its repos are synced in full"
                log.warning("GitHub %s", result.note)
                continue
            result.probed += len(probes)
            for target, cursor in batch:
                probe = probes.get(target.repo)
                if probe is None:
                    continue
                window = [(n, updated) for n, updated in probe.pull_requests if updated >= cursor - overlap]
                if not _unchanged(probe, target.repo, window, pulls, commits):
                    continue
                # As the repo's own sync would: the newest PR seen, never past the probe's start.
                new_cursor = min(max([cursor, *(updated for _, updated in window)]), started)
                state.set_cursor(SOURCE, target.repo, new_cursor, commits_cursor=started.isoformat())
                result.unchanged.append(target.repo)
    finally:
        result.requests = client.requests - requests_before
    log.info(
        "GitHub probe: %d of %d repos unchanged since their last sync, %d requests%s",
        len(result.unchanged),
        len(repos),
        result.requests,
        f" ({result.note})" if result.note else "",
    )
    return result


def _unchanged(
    probe: RepoProbe,
    repo: str,
    window: list[tuple[int, datetime]],
    pulls: pl.DataFrame,
    commits: pl.DataFrame,
) -> bool:
    """True when a sync of the repo would write nothing: every PR of the cursor's `window` is
    stored as it is, and so is every default-branch commit of the commit window."""
    if len(window) == len(probe.pull_requests) and probe.more_pull_requests:
        return False  # the window may hold more PRs than the probe saw
    if window:
        stored = pulls.filter(pl.col("repo") == repo, pl.col("number").is_in([n for n, _ in window]))
        known = dict(zip(stored["number"].to_list(), stored["updated_at"].to_list(), strict=True))
        if any(known.get(number) != updated for number, updated in window):
            return False
    if probe.branch_commits:
        if probe.more_branch_commits:
            return False
        stored_shas = commits.filter(pl.col("repo") == repo, pl.col("sha").is_in(probe.branch_commits))
        if stored_shas.height < len(set(probe.branch_commits)):
            return False
    return True
