"""Jira faults the connector tests do not already cover (see README.md for the full table): both
rate-limit headers at once, a search/jql result longer than one offset page, a changelog of 250
with only 40 embedded, and a server that keeps answering the same offset page."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from connectors.errors import TransientError
from tests.connectors.test_jira_sync import FakeJira, Run, dataset

FIELDS_FROM_DS1 = ("project", "issuetype", "status", "labels", "components", "reporter", "created")


def many_issues(count: int) -> list[dict[str, Any]]:
    """`count` small issues shaped like the recorded DS-1, one minute apart."""
    template = dataset("cloud")[0]
    issues = []
    for n in range(count):
        issue = copy.deepcopy(template)
        issue["id"], issue["key"] = str(90000 + n), f"DS-{1000 + n}"
        issue["fields"]["summary"] = f"Issue {n}"
        issue["fields"]["updated"] = f"2026-11-0{1 + n // 1440}T{n % 1440 // 60:02d}:{n % 60:02d}:00.000+0000"
        issue["fields"]["comment"]["comments"] = []
        issue["changelog"]["histories"] = []
        issues.append(issue)
    return issues


def test_429_with_retry_after_and_an_iso_reset_waits_as_told(tmp_path: Path, rsps: Any) -> None:
    run = Run(tmp_path, "cloud", FakeJira("cloud", dataset("cloud")), rsps)
    # Retry-After is the wait Jira asks for; the ISO reset (two minutes later) is the fallback.
    run.fake.fail("/search/jql", 429, {"Retry-After": "7", "X-RateLimit-Reset": "2026-11-05T08:02Z"})
    result = run.sync()
    assert run.sleeps == [7.0]
    assert result.issues == 3


def test_search_jql_reads_past_100_by_token_where_offset_paging_would_stop(tmp_path: Path, rsps: Any) -> None:
    fake = FakeJira("cloud", many_issues(250), search_page=100)
    run = Run(tmp_path, "cloud", fake, rsps)
    result = run.sync()
    searches = fake.requests_to("/search/jql")
    assert len(searches) == 3  # 100 + 100 + 50, each page asked for by the previous page's token
    assert all("startAt" not in params for params in searches)
    assert [("nextPageToken" in params) for params in searches] == [False, True, True]
    assert result.issues == 250
    assert run.store.read("issues").height == 250


@pytest.mark.parametrize("embedded", [100, 40])
def test_changelog_of_250_with_only_some_embedded_is_read_in_full(
    tmp_path: Path, rsps: Any, embedded: int
) -> None:
    fake = FakeJira("cloud", dataset("cloud"))
    fake.embedded_changelog = embedded
    run = Run(tmp_path, "cloud", fake, rsps)
    run.sync()
    assert [p["startAt"] for p in fake.requests_to("/issue/DS-2/changelog")] == ["0", "100", "200"]
    events = run.store.read("issue_events").filter(pl.col("key") == "DS-2")
    assert events.height == 250
    assert events["event_id"].n_unique() == 250


def test_server_answering_the_same_offset_page_again_stops_instead_of_looping(
    tmp_path: Path, rsps: Any
) -> None:
    fake = FakeJira("server", dataset("server"))
    page = {"startAt": 0, "maxResults": 1, "total": 250, "issues": dataset("server")[:1]}
    fake.search = lambda params: (200, {"Content-Type": "application/json"}, json.dumps(page))  # type: ignore[method-assign]
    run = Run(tmp_path, "server", fake, rsps)
    with pytest.raises(TransientError, match="earlier page"):
        run.sync()
    # startAt=0, then startAt=1 answered as startAt=0 again
    assert [p["startAt"] for p in fake.requests_to("/search")] == ["0", "1"]
    assert run.state.cursor("jira", "DS") is None
