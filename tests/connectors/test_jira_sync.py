"""Jira sync end to end against a fake Jira of each flavour served through `responses`.

The fake answers like Jira: Cloud pages `GET /rest/api/3/search/jql` by `nextPageToken`/`isLast`
(Atlassian's published SearchAndReconcileResults schema: no `total`, no `startAt`) and answers 410
on the removed `/search`; Server pages `GET /rest/api/2/search` by `startAt`/`total`. Search
results embed a capped changelog and comment list, completed from the paged endpoints.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
import requests
import responses
from polars.testing import assert_frame_equal

from connectors.errors import (
    AuthError,
    RateLimitExhausted,
    SourceError,
    TransientError,
    WrongFlavor,
)
from connectors.jira import SEARCH_FIELDS
from core.config import Config, parse_config
from core.state import SyncState
from core.store import Store
from sync.common import FLUSH_ROWS
from sync.jira import ProjectSyncResult, project_jql, sync_jira, sync_jira_project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira"
CLOUD_URL = "https://acme.atlassian.net"
SERVER_URL = "https://jira.acme.example"
NOW = datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
TOKEN = "s3cr3t-api-token"
NINO = "5b10ac8d82e05b22cc7d4ef5"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def long_changelog(flavor: str, count: int = 250) -> list[dict[str, Any]]:
    """DS-2's history: `count` status changes back and forth, one per hour from 2026-10-01."""
    author = (
        {"accountId": "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "displayName": "Giorgi M."}
        if flavor == "cloud"
        else {"name": "giorgi.m", "key": "JIRAUSER10102", "displayName": "Giorgi M."}
    )
    histories = []
    for n in range(count):
        old, new = ("In Progress", "Review") if n % 2 == 0 else ("Review", "In Progress")
        at = datetime(2026, 10, 1, 10, tzinfo=UTC) + timedelta(hours=n)
        histories.append(
            {
                "id": str(50000 + n),
                "author": author,
                "created": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                "items": [{"field": "status", "fieldtype": "jira", "fromString": old, "toString": new}],
            }
        )
    return histories


def dataset(flavor: str) -> list[dict[str, Any]]:
    issues = load("cloud_ds_issues.json" if flavor == "cloud" else "server_ds_issues.json")
    histories = long_changelog(flavor)
    issues[1]["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": len(histories)}
    issues[1]["changelog"]["histories"] = histories
    return issues


class FakeJira:
    """A Jira site of one flavour holding complete issues, paging and truncating like the real one."""

    def __init__(self, flavor: str, issues: list[dict[str, Any]], *, search_page: int = 2) -> None:
        self.flavor = flavor
        self.base = CLOUD_URL if flavor == "cloud" else SERVER_URL
        self.issues = {i["key"]: copy.deepcopy(i) for i in issues}
        self.projects = {"DS", "OPS"}
        self.search_page = search_page
        self.embedded_changelog = 100  # Jira embeds at most 100 histories (Cloud's search/jql fewer)
        self.embedded_comments = 2 if flavor == "cloud" else 50
        self.comment_page = 2
        self.log: list[tuple[str, dict[str, str]]] = []
        self.faults: list[tuple[str, Any]] = []
        self.down_after_search_pages: int | None = None
        self.before_search_page: Callable[[FakeJira, int], None] | None = None
        self.search_pages = 0

    # -- set-up -------------------------------------------------------------------------------

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.GET, re.compile(re.escape(self.base) + r"/.*"), callback=self.handle)

    def fail(
        self, path_part: str, status: int, headers: dict[str, str] | None = None, body: str = ""
    ) -> None:
        """The next request whose path contains `path_part` gets this answer instead."""
        self.faults.append((path_part, (status, headers or {}, body)))

    def raise_on(self, path_part: str, error: Exception) -> None:
        self.faults.append((path_part, error))

    def requests_to(self, path_part: str) -> list[dict[str, str]]:
        return [params for path, params in self.log if path_part in path]

    # -- answering ------------------------------------------------------------------------------

    def handle(self, request: Any) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(request.url)
        path = parts.path
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.log.append((path, params))
        assert request.headers.get("Authorization"), "every request is authenticated"
        for index, (part, fault) in enumerate(self.faults):
            if part in path:
                del self.faults[index]
                if isinstance(fault, Exception):
                    raise fault
                return fault
        is_search = path.rstrip("/").endswith(("/search", "/search/jql"))
        down = self.down_after_search_pages
        if is_search and down is not None and self.search_pages >= down:
            raise requests.ConnectionError("connection reset by peer")
        if self.flavor == "cloud":
            if re.fullmatch(r"/rest/api/[23]/search", path):
                return self.json(
                    410,
                    {
                        "errorMessages": [
                            "The requested API has been removed. Please migrate "
                            "to the /rest/api/3/search/jql API."
                        ],
                        "errors": {},
                    },
                )
            if path == "/rest/api/3/search/jql":
                return self.search(params)
            if m := re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)/changelog", path):
                return self.changelog_page(m.group(1), params)
            if m := re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)/comment", path):
                return self.comment_page_of(m.group(1), params)
        else:
            if path == "/rest/api/2/search":
                return self.search(params)
            if m := re.fullmatch(r"/rest/api/2/issue/([A-Z]+-\d+)", path):
                issue = self.issues[m.group(1)]
                return self.json(
                    200,
                    {
                        "id": issue["id"],
                        "key": issue["key"],
                        "fields": {"updated": issue["fields"]["updated"]},
                        "changelog": issue["changelog"],
                    },
                )
            if m := re.fullmatch(r"/rest/api/2/issue/([A-Z]+-\d+)/comment", path):
                return self.comment_page_of(m.group(1), params)
        return self.json(404, {"errorMessages": ["Not found"], "errors": {}})

    @staticmethod
    def json(
        status: int, body: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body)

    def matching(self, jql: str) -> list[dict[str, Any]] | None:
        project = re.search(r'project = "([^"]+)"', jql)
        assert project and jql.endswith("ORDER BY updated ASC"), jql
        if project.group(1) not in self.projects:
            return None
        since = re.search(r"updated >= (\d+)", jql)
        floor = datetime.fromtimestamp(int(since.group(1)) / 1000, UTC) if since else None
        found = []
        for issue in self.issues.values():
            updated = datetime.fromisoformat(issue["fields"]["updated"])
            if issue["fields"]["project"]["key"] == project.group(1) and (floor is None or updated >= floor):
                found.append((updated, issue["key"], issue))
        return [issue for _, _, issue in sorted(found, key=lambda t: (t[0], t[1]))]

    def rendered(self, issue: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        result = {k: issue[k] for k in ("expand", "id", "self", "key")}
        result["fields"] = {name: copy.deepcopy(issue["fields"].get(name)) for name in fields}
        histories = sorted(issue["changelog"]["histories"], key=lambda h: int(h["id"]))
        shown = histories[-self.embedded_changelog :]  # the most recent ones
        result["changelog"] = {"startAt": 0, "maxResults": len(shown), "total": len(histories)}
        result["changelog"]["histories"] = shown
        block = issue["fields"]["comment"]
        comments = block["comments"][: self.embedded_comments]
        result["fields"]["comment"] = {
            **block,
            "comments": comments,
            "maxResults": len(comments),
            "total": len(block["comments"]),
        }
        return result

    def search(self, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        if self.before_search_page is not None:
            self.before_search_page(self, self.search_pages)
        self.search_pages += 1
        found = self.matching(params["jql"])
        if found is None:
            project = re.search(r'project = "([^"]+)"', params["jql"])
            message = (
                f"The value '{project.group(1) if project else ''}' does not exist for the field 'project'."
            )
            return self.json(400, {"errorMessages": [message], "errors": {}})
        fields = params["fields"].split(",")
        size = min(int(params["maxResults"]), self.search_page)
        if self.flavor == "cloud":
            token = params.get("nextPageToken")
            start = int(base64.b64decode(token)) if token else 0
            chunk = found[start : start + size]
            page: dict[str, Any] = {"issues": [self.rendered(i, fields) for i in chunk]}
            if start + size < len(found):
                page["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
            page["isLast"] = start + size >= len(found)
            return self.json(200, page)
        start = int(params.get("startAt", 0))
        chunk = found[start : start + size]
        return self.json(
            200,
            {
                "expand": "schema,names",
                "startAt": start,
                "maxResults": size,
                "total": len(found),
                "issues": [self.rendered(i, fields) for i in chunk],
            },
        )

    def changelog_page(self, key: str, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        histories = sorted(self.issues[key]["changelog"]["histories"], key=lambda h: int(h["id"]))
        start, size = int(params.get("startAt", 0)), min(int(params.get("maxResults", 100)), 100)
        values = histories[start : start + size]
        last = start + size >= len(histories)
        page = {
            "self": f"{self.base}/rest/api/3/issue/{key}/changelog?startAt={start}&maxResults={size}",
            "maxResults": size,
            "startAt": start,
            "total": len(histories),
            "isLast": last,
            "values": values,
        }
        if not last:
            page["nextPage"] = (
                f"{self.base}/rest/api/3/issue/{key}/changelog?startAt={start + size}&maxResults={size}"
            )
        return self.json(200, page)

    def comment_page_of(self, key: str, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        comments = self.issues[key]["fields"]["comment"]["comments"]
        start, size = int(params.get("startAt", 0)), min(int(params.get("maxResults", 50)), self.comment_page)
        body = {
            "comments": comments[start : start + size],
            "maxResults": size,
            "total": len(comments),
            "startAt": start,
        }
        return self.json(200, body)


def make_config(tmp_path: Path, flavor: str, projects: list[str] | None = None) -> Config:
    jira: dict[str, Any] = {
        "url": CLOUD_URL if flavor == "cloud" else SERVER_URL,
        "flavor": flavor,
        "token": "env:JIRA_TOKEN",
        "projects": projects or ["DS"],
    }
    if flavor == "cloud":
        jira["user"] = "env:JIRA_USER"
    return parse_config({"store": str(tmp_path / "data"), "jira": jira})


class Run:
    """One store, its state and a fake Jira; `sync()` runs the project sync with a recorded sleep."""

    def __init__(self, tmp_path: Path, flavor: str, fake: FakeJira, rsps: responses.RequestsMock) -> None:
        self.config = make_config(tmp_path, flavor)
        self.store = Store(tmp_path / "data")
        self.state = SyncState(self.store)
        self.fake = fake
        self.flavor = flavor
        self.sleeps: list[float] = []
        self.now = NOW
        fake.install(rsps)

    def sync(self, project: str = "DS", **kwargs: Any) -> ProjectSyncResult:
        user = "radar@acme.example" if self.flavor == "cloud" else None
        return sync_jira_project(
            self.config,
            project,
            self.store,
            self.state,
            user,
            TOKEN,
            now=lambda: self.now,
            sleep=self.sleeps.append,
            **kwargs,
        )

    def tables(self) -> dict[str, pl.DataFrame]:
        return {t: self.store.read(t) for t in ("issues", "issue_events", "comments")}


def run_for(tmp_path: Path, flavor: str, rsps: responses.RequestsMock, **fake_options: Any) -> Run:
    return Run(tmp_path, flavor, FakeJira(flavor, dataset(flavor), **fake_options), rsps)


# -- cold sync, paging, completion ---------------------------------------------------------------


def test_cloud_cold_sync_pages_by_token_and_completes_changelog_and_comments(
    tmp_path: Path, rsps: Any
) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    result = run.sync()

    searches = run.fake.requests_to("/search/jql")
    assert len(searches) == 2
    assert (
        "nextPageToken" not in searches[0] and searches[1]["nextPageToken"] == base64.b64encode(b"2").decode()
    )
    assert searches[0]["jql"] == 'project = "DS" ORDER BY updated ASC'  # cold: no time bound
    assert searches[0]["fields"].split(",") == list(SEARCH_FIELDS)
    assert searches[0]["expand"] == "changelog"
    # DS-2: 250 histories, 100 embedded -> changelog pages at 0, 100, 200.
    assert [p["startAt"] for p in run.fake.requests_to("/issue/DS-2/changelog")] == ["0", "100", "200"]
    # DS-2: 5 comments, 2 embedded, 2 per page -> comment pages at 0, 2, 4.
    assert [p["startAt"] for p in run.fake.requests_to("/issue/DS-2/comment")] == ["0", "2", "4"]
    assert not run.fake.requests_to("serverInfo") and not run.fake.requests_to("/field")
    assert result.requests == len(run.fake.log) == 2 + 3 + 3

    tables = run.tables()
    assert tables["issues"]["key"].to_list() == ["DS-1", "DS-2", "DS-3"]
    ds2_events = tables["issue_events"].filter(pl.col("key") == "DS-2")
    assert ds2_events.height == 250
    assert ds2_events["event_id"].sort().to_list() == sorted(str(50000 + n) for n in range(250))
    assert ds2_events.sort("at")["at"][0] == datetime(2026, 10, 1, 10, tzinfo=UTC)  # oldest, not embedded
    ds2_comments = tables["comments"].filter(pl.col("key") == "DS-2")
    assert ds2_comments["comment_id"].to_list() == [str(20010 + i) for i in range(5)]
    # comment 20013 mentions Nino twice and Ana once
    mentions = ds2_comments.filter(pl.col("comment_id") == "20013")["mentions"].to_list()
    assert mentions == [[NINO, "5d53f3cbc6b9320d9ea5bdc2"]]
    assert (result.issues, result.events, result.comments) == (3, 4 + 250 + 3, 2 + 5 + 0)
    assert run.state.cursor("jira", "DS") == NOW


def test_cloud_rows_keep_identities_time_zones_and_anonymous_actors(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.sync()
    tables = run.tables()
    ds3 = tables["issues"].filter(pl.col("key") == "DS-3").row(0, named=True)
    assert ds3["parent_key"] == "DS-1"
    assert ds3["components"] == ["modelling"]
    assert ds3["resolved_at"] == datetime(2026, 11, 4, 23, 15, tzinfo=UTC)  # 16:15 -07:00
    assert ds3["assignee"] is None
    events = tables["issue_events"]
    closing = events.filter((pl.col("key") == "DS-3") & (pl.col("field") == "status")).row(0, named=True)
    assert closing["actor"] is None  # a transition by an anonymous/automation actor
    unassign = events.filter((pl.col("key") == "DS-3") & (pl.col("field") == "assignee")).row(0, named=True)
    assert (unassign["from_value"], unassign["to_value"]) == ("5d53f3cbc6b9320d9ea5bdc2", None)
    handed = events.filter((pl.col("key") == "DS-1") & (pl.col("field") == "assignee")).row(0, named=True)
    assert (handed["actor"], handed["to_value"]) == ("5d53f3cbc6b9320d9ea5bdc2", NINO)
    labels = events.filter((pl.col("key") == "DS-1") & (pl.col("field") == "labels")).sort("at")
    assert labels["to_value"].to_list() == ["model-anomaly", "escalation model-anomaly"]
    assert events.schema["at"] == pl.Datetime("us", "UTC")
    anonymous = tables["comments"].filter(pl.col("comment_id") == "20002").row(0, named=True)
    assert anonymous["author"] is None and anonymous["mentions"] == []


def test_server_cold_sync_pages_by_start_at_and_completes_changelog(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "server", rsps)
    result = run.sync()
    searches = run.fake.requests_to("/rest/api/2/search")
    assert [p.get("startAt") for p in searches] == ["0", "2"]
    assert searches[0]["jql"] == 'project = "DS" ORDER BY updated ASC'
    # The 250-entry history comes in full from GET /issue/DS-2?expand=changelog.
    (issue_call,) = run.fake.requests_to("/rest/api/2/issue/DS-2")
    # only the changelog is wanted: the issue's fields came with the search, so none but `updated`
    assert (issue_call["expand"], issue_call["fields"]) == ("changelog", "updated")
    assert result.requests == len(run.fake.log) == 3
    tables = run.tables()
    assert tables["issue_events"].filter(pl.col("key") == "DS-2").height == 250
    assert tables["issues"]["assignee"].to_list() == ["nino.b", "giorgi.m", None]
    handed = tables["issue_events"].filter(pl.col("field") == "assignee").row(0, named=True)
    assert (handed["actor"], handed["from_value"], handed["to_value"]) == ("ana.k", "ana.k", "nino.b")
    by_id = {r["comment_id"]: r for r in tables["comments"].iter_rows(named=True)}
    assert by_id["30001"]["mentions"] == ["nino.b", "giorgi.m"]
    assert by_id["30020"]["author"] is None  # a deleted user
    assert by_id["30001"]["created_at"] == datetime(2026, 11, 3, 4, 50, tzinfo=UTC)  # 08:50 +04:00


def test_server_paging_of_real_recorded_search_pages(tmp_path: Path, rsps: Any) -> None:
    config = parse_config(
        {
            "store": str(tmp_path / "data"),
            "jira": {"url": "https://jira.fiware.org", "flavor": "server", "projects": ["HELP"]},
        }
    )
    page1, page2 = load("perceval_server_search_page1.json"), load("perceval_server_search_page2.json")
    search = "https://jira.fiware.org/rest/api/2/search"
    rsps.add(
        responses.GET,
        search,
        json=page1,
        match=[responses.matchers.query_param_matcher({"startAt": "0"}, strict_match=False)],
    )
    rsps.add(
        responses.GET,
        search,
        json=page2,
        match=[responses.matchers.query_param_matcher({"startAt": "2"}, strict_match=False)],
    )
    store = Store(tmp_path / "data")
    result = sync_jira_project(
        config, "HELP", store, SyncState(store), None, TOKEN, now=lambda: NOW, sleep=lambda s: None
    )
    assert result.requests == 2
    issues = store.read("issues").sort("key")
    assert issues["key"].to_list() == ["HELP-6041", "HELP-6042", "HELP-6043"]
    assert issues["assignee"].to_list() == ["user3", "user1", "user1"]
    assert issues["url"].to_list()[0] == "https://jira.fiware.org/browse/HELP-6041"
    assert issues["components"].to_list()[2] == ["FIWARE-LAB-HELP"]
    # Bearer personal access token when no user is configured (Server/Data Center).
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


# -- incremental behaviour -----------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["cloud", "server"])
def test_resync_with_nothing_changed_makes_one_request(tmp_path: Path, rsps: Any, flavor: str) -> None:
    run = run_for(tmp_path, flavor, rsps)
    cold = run.sync()
    before = run.tables()
    run.now = NOW + timedelta(hours=6)
    warm = run.sync()
    assert warm.requests == 1 and len(run.fake.log) == cold.requests + 1
    since = NOW - timedelta(minutes=5)  # cursor minus the overlap, as epoch milliseconds
    assert (
        run.fake.log[-1][1]["jql"]
        == f'project = "DS" AND updated >= {int(since.timestamp() * 1000)} ORDER BY updated ASC'
    )
    assert (warm.issues, warm.events, warm.comments) == (0, 0, 0)
    for table, frame in run.tables().items():
        assert_frame_equal(frame, before[table])
    assert run.state.cursor("jira", "DS") == NOW + timedelta(hours=6)


def test_issues_inside_the_overlap_are_not_fetched_again(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.now = datetime(2026, 11, 4, 23, 22, tzinfo=UTC)  # DS-3 was updated at 23:20, inside the 5 min overlap
    run.sync()
    run.now += timedelta(minutes=1)
    warm = run.sync()
    assert warm.requests == 1
    assert warm.issues == 0 and warm.note == "1 unchanged"


def test_changed_issue_replaces_its_comments_as_a_set(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.sync()
    ds1 = run.fake.issues["DS-1"]
    ds1["fields"]["updated"] = "2026-11-05T13:00:00.000+0400"  # 09:00 UTC, after the first sync
    anonymous = ds1["fields"]["comment"]["comments"].pop()  # comment 20002 deleted
    assert anonymous["id"] == "20002"
    run.now = NOW + timedelta(hours=2)
    result = run.sync()
    assert result.issues == 1 and result.requests == 1
    comments = run.store.read("comments")
    assert comments.filter(pl.col("key") == "DS-1")["comment_id"].to_list() == ["20001"]
    assert comments.filter(pl.col("key") == "DS-2").height == 5  # other issues untouched
    updated = run.store.read("issues").filter(pl.col("key") == "DS-1")["updated_at"].item()
    assert updated == datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def test_cursor_never_passes_the_start_of_the_sync(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    # DS-3 changed after the sync started (its updated time is later than `now`).
    run.fake.issues["DS-3"]["fields"]["updated"] = "2026-11-05T09:30:00.000+0000"
    run.sync()
    assert run.state.cursor("jira", "DS") == NOW


def test_issue_changed_while_paging_holds_the_cursor_back(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "server", rsps)

    def touch_ds1(fake: FakeJira, served: int) -> None:
        if served == 1:  # between page 1 and page 2: DS-1 moves to the end, DS-3 slides onto page 1
            fake.issues["DS-1"]["fields"]["updated"] = "2026-11-05T07:59:00.000+0000"

    run.fake.before_search_page = touch_ds1
    first = run.sync()
    assert "DS-3" not in run.store.read("issues")["key"].to_list()  # skipped by offset paging
    assert "cursor held" in first.note
    # The cursor stays at DS-1's first-seen update time (09:00 +04:00 = 05:00 UTC).
    assert run.state.cursor("jira", "DS") == datetime(2026, 11, 3, 5, 0, tzinfo=UTC)
    run.fake.before_search_page = None
    run.now = NOW + timedelta(hours=1)
    run.sync()
    assert run.store.read("issues")["key"].to_list() == ["DS-1", "DS-2", "DS-3"]
    assert run.state.cursor("jira", "DS") == NOW + timedelta(hours=1)


def test_since_rereads_issues_already_stored(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.sync()
    again = run.sync(since=datetime(2026, 11, 4, tzinfo=UTC))
    assert again.issues == 2  # DS-2 and DS-3 were updated on Nov 4
    assert "updated >= 1793750400000" in run.fake.log[-again.requests][1]["jql"]  # 2026-11-04T00:00Z


def test_project_jql_quotes_and_bounds() -> None:
    assert project_jql("DS", None) == 'project = "DS" ORDER BY updated ASC'
    since = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert project_jql('A"B', since) == 'project = "A\\"B" AND updated >= 1793696400000 ORDER BY updated ASC'


# -- faults --------------------------------------------------------------------------------------


def test_429_with_retry_after_is_waited_out(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.fake.fail("/search/jql", 429, {"Retry-After": "7"})
    result = run.sync()
    assert run.sleeps == [7.0]
    assert result.requests == 8 + 1 and result.issues == 3


def test_429_with_iso_rate_limit_reset_is_waited_out(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.fake.fail("/issue/DS-2/changelog", 429, {"X-RateLimit-Reset": "2026-11-05T08:02Z"})
    run.sync()
    assert run.sleeps == [120.0]  # 08:02 minus NOW (08:00)
    assert run.store.read("issue_events").filter(pl.col("key") == "DS-2").height == 250


def test_429_asking_for_too_long_a_wait_stops_without_moving_the_cursor(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.fake.fail("/search/jql", 429, {"Retry-After": "3600"})
    with pytest.raises(RateLimitExhausted, match="3600 s"):
        run.sync()
    assert run.sleeps == [] and run.state.cursor("jira", "DS") is None


def test_503_with_retry_after_then_success(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "server", rsps)
    run.fake.fail("/rest/api/2/search", 503, {"Retry-After": "3"}, "<html>Service Unavailable</html>")
    result = run.sync()
    assert run.sleeps == [3.0] and result.requests == 3 + 1 and result.issues == 3


def test_502_504_and_timeout_are_retried_with_backoff(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.fake.fail("/search/jql", 502)
    run.fake.fail("/search/jql", 504)
    run.fake.raise_on("/issue/DS-2/comment", requests.ReadTimeout("read timed out"))
    result = run.sync()
    assert len(run.sleeps) == 3
    # attempt n waits 2**n s with jitter in [50 %, 100 %]: 1-2 s, 2-4 s, then 1-2 s for the comment
    assert 1 <= run.sleeps[0] <= 2 and 2 <= run.sleeps[1] <= 4 and 1 <= run.sleeps[2] <= 2
    assert result.requests == 8 + 3
    assert run.store.read("comments").filter(pl.col("key") == "DS-2").height == 5


def test_transport_failure_gives_up_after_bounded_retries(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    for _ in range(10):
        run.fake.fail("/search/jql", 502)
    with pytest.raises(TransientError, match="answered 502 to rest/api/3/search/jql after 6 attempts"):
        run.sync()
    assert len(run.sleeps) == 5


def test_401_names_the_site_and_never_the_token(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    run.fake.fail("/search/jql", 401, body='{"errorMessages":["Client must be authenticated"]}')
    with pytest.raises(AuthError) as caught:
        run.sync()
    assert str(caught.value) == "Jira rejected the credentials for https://acme.atlassian.net"
    assert TOKEN not in str(caught.value) and caught.value.__cause__ is None
    assert run.sleeps == []


def test_unknown_project_is_reported_and_the_others_still_sync(tmp_path: Path, rsps: Any) -> None:
    fake = FakeJira("cloud", dataset("cloud"))
    fake.install(rsps)
    config = make_config(tmp_path, "cloud", projects=["XX", "DS"])
    store = Store(tmp_path / "data")
    state = SyncState(store)
    results = sync_jira(
        config, store, state, "radar@acme.example", TOKEN, now=lambda: NOW, sleep=lambda s: None
    )
    assert [(r.project, r.ok) for r in results] == [("XX", False), ("DS", True)]
    assert results[0].note == "project XX does not exist or is not visible"
    assert results[0].requests == 1
    assert store.read("issues").height == 3
    assert state.cursor("jira", "XX") is None and state.cursor("jira", "DS") == NOW


def test_server_config_pointed_at_cloud_says_to_set_flavor_cloud(tmp_path: Path, rsps: Any) -> None:
    FakeJira("cloud", dataset("cloud")).install(rsps)
    config = parse_config(
        {"store": str(tmp_path / "data"), "jira": {"url": CLOUD_URL, "flavor": "server", "projects": ["DS"]}}
    )
    store = Store(tmp_path / "data")
    with pytest.raises(WrongFlavor, match='set flavor = "cloud"'):
        sync_jira_project(
            config, "DS", store, SyncState(store), "radar@acme.example", TOKEN, sleep=lambda s: None
        )
    assert len(rsps.calls) == 1  # 410 is not retried


def test_malformed_json_stops_cleanly_and_a_rerun_completes(tmp_path: Path, rsps: Any) -> None:
    run = run_for(tmp_path, "cloud", rsps)
    original = run.fake.search

    def second_page_broken(params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        if "nextPageToken" in params:
            return 200, {"Content-Type": "application/json"}, '{"issues": [{"key": "DS-3", '
        return original(params)

    run.fake.search = second_page_broken  # type: ignore[method-assign]
    with pytest.raises(TransientError, match="malformed JSON"):
        run.sync(flush_rows=1)  # rows written after every page
    # Page 1 is in the store whole (DS-2 with all 250 events), page 2 not at all; no cursor yet.
    assert run.store.read("issues")["key"].to_list() == ["DS-1", "DS-2"]
    assert run.store.read("issue_events").filter(pl.col("key") == "DS-2").height == 250
    assert run.state.cursor("jira", "DS") is None
    run.fake.search = original  # type: ignore[method-assign]
    rerun = run.sync()
    assert rerun.issues == 1 and rerun.note == "2 unchanged"  # DS-1, DS-2 not completed again
    assert rerun.requests == 2
    assert run.store.read("issues")["key"].to_list() == ["DS-1", "DS-2", "DS-3"]


def test_unexpected_issue_shape_is_a_source_error_and_nothing_is_written(tmp_path: Path, rsps: Any) -> None:
    # Atlassian's documentation example: `updated` is a number, `comment` a list.
    rsps.add(
        responses.GET, f"{CLOUD_URL}/rest/api/3/search/jql", json=load("atlassian_search_jql_GET_200.json")
    )
    config = make_config(tmp_path, "cloud")
    store = Store(tmp_path / "data")
    with pytest.raises(SourceError, match="ED-1"):
        sync_jira_project(
            config, "DS", store, SyncState(store), "u@acme.example", TOKEN, sleep=lambda s: None
        )
    assert len(rsps.calls) == 1
    assert store.read("issues").height == 0


@pytest.mark.parametrize("flush_rows", [1, FLUSH_ROWS])
@pytest.mark.parametrize("flavor", ["cloud", "server"])
def test_interrupted_sync_rerun_equals_an_uninterrupted_one(
    tmp_path: Path, rsps: Any, flavor: str, flush_rows: int
) -> None:
    whole = run_for(tmp_path / "whole", flavor, rsps)
    whole.sync()
    rsps.reset()  # the same site again, now failing after the first search page

    broken = run_for(tmp_path / "broken", flavor, rsps)
    broken.fake.down_after_search_pages = 1
    with pytest.raises(TransientError) as stopped:
        broken.sync(flush_rows=flush_rows)
    # the site, the request and what went wrong (requests' ConnectionError: a reset connection)
    assert "did not answer " in str(stopped.value) and "(ConnectionError)" in str(stopped.value)
    assert len(broken.sleeps) == 5  # retried with (recorded, not real) sleeps, then gave up
    # Written per page, page 1 is in the store; buffered to the end, nothing is.
    assert broken.store.read("issues")["key"].to_list() == (["DS-1", "DS-2"] if flush_rows == 1 else [])
    assert broken.state.cursor("jira", "DS") is None

    broken.fake.down_after_search_pages = None
    broken.sync()
    for table, frame in broken.tables().items():
        assert_frame_equal(frame, whole.tables()[table])
    assert broken.state.cursor("jira", "DS") == whole.state.cursor("jira", "DS")


def test_a_repeated_page_token_stops_instead_of_looping(tmp_path: Path, rsps: Any) -> None:
    url = f"{CLOUD_URL}/rest/api/3/search/jql"
    rsps.add(responses.GET, url, json={"issues": [], "nextPageToken": "CAEaAggD", "isLast": False})
    config = make_config(tmp_path, "cloud")
    store = Store(tmp_path / "data")
    with pytest.raises(TransientError, match="same nextPageToken"):
        sync_jira_project(
            config, "DS", store, SyncState(store), "u@acme.example", TOKEN, sleep=lambda s: None
        )
    assert len(rsps.calls) == 2  # the first page, then the page of its token, which names itself again
    assert SyncState(store).cursor("jira", "DS") is None
