"""Incremental Jira sync of one project into the store: search pages -> completed issues -> rows -> upsert.

The cursor (`state["jira"][project]`) is the start time of the last complete sync. A sync reads
`updated >= cursor - overlap_minutes`, written as epoch milliseconds: a JQL date without a zone is
read in the Jira site's own time zone, which silently shifts the window. The cursor moves only
after every page is in the store, and never past the moment this sync started, so an issue that
changes during the sync is read again next time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from connectors.errors import NotFound, PermissionDenied, SourceError
from connectors.jira import JiraClient, jira_client, utc_now
from connectors.normalize_jira import JiraRows, normalize_issue, unique_by_id
from connectors.times import parse_time
from core.buffer import RowBuffer
from core.config import Config
from core.schemas import SCHEMAS
from core.state import SyncState
from core.store import Store
from sync.common import FLUSH_ROWS

SOURCE = "jira"


@dataclass
class ProjectSyncResult:
    """What one project's sync did; `requests` counts every HTTP request sent, retries included."""

    project: str
    requests: int
    issues: int
    events: int
    comments: int
    note: str = ""
    ok: bool = True


def project_jql(project: str, since: datetime | None) -> str:
    """`project = "DS" AND updated >= <epoch ms> ORDER BY updated ASC` (no time bound without `since`)."""
    quoted = project.replace("\\", "\\\\").replace('"', '\\"')
    clauses = [f'project = "{quoted}"']
    if since is not None:
        clauses.append(f"updated >= {int(since.timestamp() * 1000)}")
    return " AND ".join(clauses) + " ORDER BY updated ASC"


def changelog_truncated(issue: Mapping[str, Any]) -> bool:
    """True when the embedded changelog holds fewer histories than the issue has."""
    changelog = issue.get("changelog") or {}
    total = changelog.get("total")
    return total is not None and int(total) > len(changelog.get("histories") or [])


def comments_truncated(issue: Mapping[str, Any]) -> bool:
    """True when the embedded comment list holds fewer comments than the issue has."""
    block = (issue.get("fields") or {}).get("comment") or {}
    total = block.get("total")
    return total is not None and int(total) > len(block.get("comments") or [])


def _stored_updates(store: Store, project: str) -> dict[str, datetime]:
    issues = store.read("issues").filter(pl.col("project") == project).select("key", "updated_at")
    return {key: updated for key, updated in zip(issues["key"], issues["updated_at"], strict=True) if updated}


def _frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMAS[table]) if rows else pl.DataFrame(schema=SCHEMAS[table])


def _unexpected(key: str, base_url: str, error: Exception) -> SourceError:
    return SourceError(
        f"Jira at {base_url} sent issue {key} in an unexpected shape ({type(error).__name__}: {error}); "
        "nothing of its page was written"
    )


def _key_and_update(issue: Any, base_url: str) -> tuple[str, datetime | None]:
    try:
        return str(issue["key"]), parse_time(issue.get("fields", {}).get("updated"))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        key = issue.get("key", "?") if isinstance(issue, dict) else "?"
        raise _unexpected(str(key), base_url, error) from None


def _complete(client: JiraClient, issue: Mapping[str, Any], base_url: str, key: str) -> JiraRows:
    """The rows of an issue, its changelog and comments fetched in full when the embedded ones are cut."""
    try:
        histories = comments = None
        if changelog_truncated(issue):
            embedded = (issue.get("changelog") or {}).get("histories") or []
            histories = unique_by_id(embedded, client.changelog(key))
        if comments_truncated(issue):
            embedded = ((issue.get("fields") or {}).get("comment") or {}).get("comments") or []
            comments = unique_by_id(embedded, client.comments(key))
        return normalize_issue(issue, base_url, histories, comments)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _unexpected(key, base_url, error) from None


def _write(store: Store, buffered: Mapping[str, JiraRows]) -> None:
    """Replace the issues' events and comments as a set, then the issue rows.

    The issue row goes last: its `updated_at` tells the next sync the issue is complete.
    """
    if not buffered:
        return
    rows = JiraRows()
    for issue in buffered.values():
        rows.extend(issue)
    scope = pl.DataFrame({"key": list(buffered)}, schema={"key": pl.String})
    store.upsert("issue_events", _frame("issue_events", rows.issue_events), replace_scope=scope)
    store.upsert("comments", _frame("comments", rows.comments), replace_scope=scope)
    store.upsert("issues", _frame("issues", rows.issues))


def _row_count(rows: JiraRows) -> int:
    return len(rows.issues) + len(rows.issue_events) + len(rows.comments)


def sync_jira_project(
    config: Config,
    project: str,
    store: Store,
    state: SyncState,
    user: str | None,
    token: str,
    *,
    since: datetime | None = None,
    now: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
    client: JiraClient | None = None,
    flush_rows: int = FLUSH_ROWS,
) -> ProjectSyncResult:
    """Bring one Jira project's issues, changelog rows and comments up to date in the store.

    `since` re-reads everything updated from then on (issues already stored are read again);
    without it the sync starts from the project's cursor. Pass `client` to share one client
    (and its request count) between projects. Rows are written every `flush_rows` rows and at
    the end, before the cursor moves.
    """
    if config.jira is None:
        raise ValueError("the config has no [jira] section")
    settings = config.jira
    client = client or jira_client(config, user, token, sleep=sleep, now=now)
    requests_before = client.requests
    started = now()
    if since is not None:
        window_start: datetime | None = since
    else:
        cursor = state.cursor(SOURCE, project)
        window_start = cursor - timedelta(minutes=settings.overlap_minutes) if cursor else None
    known = _stored_updates(store, project) if since is None else {}

    first_seen: dict[str, datetime | None] = {}
    reread_floor: datetime | None = None
    issues = events = comments = unchanged = pages = 0
    # Issue key -> its rows, not yet written; an issue read again (it changed while we paged)
    # keeps only its latest reading.
    buffered: RowBuffer[str, JiraRows] = RowBuffer(_row_count)
    for page in client.search_pages(project_jql(project, window_start), project):
        pages += 1
        rows = JiraRows()
        keys: list[str] = []
        for issue in page["issues"]:  # a page of the checked shape (connectors.shapes)
            key, updated = _key_and_update(issue, settings.url)
            if key in first_seen:
                # Changed while we paged: with offset paging an issue behind it may have been skipped.
                earlier = first_seen[key]
                if earlier is not None and (reread_floor is None or earlier < reread_floor):
                    reread_floor = earlier
            else:
                first_seen[key] = updated
            if updated is not None and known.get(key) == updated:
                unchanged += 1
                continue
            completed = _complete(client, issue, settings.url, key)
            buffered.put(key, completed)
            rows.extend(completed)
            keys.append(key)
        known.update({row["key"]: row["updated_at"] for row in rows.issues})
        if buffered.rows >= flush_rows:
            _write(store, buffered.readings)
            buffered.clear()
        issues += len(keys)
        events += len(rows.issue_events)
        comments += len(rows.comments)
        if progress is not None:
            progress(f"jira {project}: page {pages}, {issues} issues read, {unchanged} unchanged")

    _write(store, buffered.readings)  # every row is in the store before the cursor moves
    new_cursor = started if reread_floor is None else min(started, reread_floor)
    state.set_cursor(SOURCE, project, new_cursor)
    notes = [f"{unchanged} unchanged"] if unchanged else []
    if reread_floor is not None:
        notes.append(f"issues changed during the sync; cursor held at {new_cursor.isoformat()}")
    return ProjectSyncResult(
        project=project,
        requests=client.requests - requests_before,
        issues=issues,
        events=events,
        comments=comments,
        note="; ".join(notes),
    )


def sync_jira(
    config: Config,
    store: Store,
    state: SyncState,
    user: str | None,
    token: str,
    *,
    since: datetime | None = None,
    now: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> list[ProjectSyncResult]:
    """Sync every `[jira] projects` entry with one client.

    A project that does not exist or is not visible is reported (`ok=False`) and the others
    still sync; credential, flavour, rate-limit and transport errors stop the whole sync.
    """
    if config.jira is None:
        return []
    client = jira_client(config, user, token, sleep=sleep, now=now)
    results = []
    for project in config.jira.projects:
        before = client.requests
        try:
            result = sync_jira_project(
                config, project, store, state, user, token,
                since=since, now=now, sleep=sleep, progress=progress, client=client,
            )  # fmt: skip
        except (NotFound, PermissionDenied) as error:
            result = ProjectSyncResult(project, client.requests - before, 0, 0, 0, note=str(error), ok=False)
        results.append(result)
    return results
