"""Rate limits and faults: each has the right outcome, waits through the injected clock and sleep
(never really), and leaves nothing half-written: a failed sync writes no cursor, and a retried
one ends with the same store as a clean sync."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import requests
import responses
from polars.testing import assert_frame_equal

from connectors.errors import PermissionDenied, RateLimitExhausted, SourceError, TransientError
from connectors.github import GithubClient, next_link
from core.config import Config, parse_config
from core.schemas import GITHUB_TABLES
from core.state import SyncState
from core.store import Store
from sync.common import FLUSH_ROWS
from sync.github import RepoSyncResult, sync_github_repo
from tests.connectors.github_fake import NOW, TOKEN, FakeGithub, Reply, load, standard_repo

REPO = "acme/churn-model"
APIS = ["graphql", "rest"]
FIRST = {"graphql": "POST /graphql PullRequestsPage", "rest": f"GET /repos/{REPO}/pulls?"}


def make_config(tmp_path: Path, api: str, **extra: Any) -> Config:
    github = {"repos": [REPO], "api": api, "page_size": 3, "max_rate_limit_wait_seconds": 900, **extra}
    return parse_config({"store": "data", "github": github}, tmp_path / "radar.toml")


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> FakeGithub:
    server = FakeGithub()
    server.repos[REPO] = standard_repo(7)
    server.install(rsps)
    return server


class Run:
    """One sync with a recorded sleep and progress, against a fixed clock."""

    def __init__(self, tmp_path: Path, api: str, **extra: Any) -> None:
        self.config = make_config(tmp_path, api, **extra)
        self.store = Store(tmp_path / "data")
        self.sleeps: list[float] = []
        self.messages: list[str] = []

    def __call__(self, **options: Any) -> RepoSyncResult:
        return sync_github_repo(
            self.config,
            REPO,
            self.store,
            SyncState(self.store),
            TOKEN,
            now=lambda: NOW,
            sleep=self.sleeps.append,
            progress=self.messages.append,
            **options,
        )

    def nothing_written(self) -> bool:
        return all(self.store.read(t).height == 0 for t in GITHUB_TABLES) and (
            SyncState(self.store).cursor("github", REPO) is None
        )


def clean_tables(tmp_path: Path, api: str, fake: FakeGithub) -> dict[str, pl.DataFrame]:
    """The store of a sync with no faults, for comparison."""
    saved = (list(fake.faults), list(fake.log))
    fake.faults.clear()
    store = Store(tmp_path / "clean")
    sync_github_repo(make_config(tmp_path, api), REPO, store, SyncState(store), TOKEN, now=lambda: NOW)
    fake.faults[:], fake.log[:] = saved
    return {t: store.read(t) for t in GITHUB_TABLES}


def assert_same_store(store: Store, expected: dict[str, pl.DataFrame]) -> None:
    for table in GITHUB_TABLES:
        assert_frame_equal(store.read(table), expected[table])


def reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, text


def recorded(name: str, **override: str) -> Reply:
    """A recorded error exchange (body + response headers), with some headers set by the test."""
    meta = load(f"{name}.meta.json")
    headers = {
        k: v
        for k, v in meta["headers"].items()
        if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")
    }
    headers.update(override)
    return (
        meta["status"],
        headers,
        (Path(__file__).parents[1] / "fixtures" / "github" / f"{name}.json").read_text(),
    )


def epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


# -- primary rate limit ---------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_primary_limit_waits_until_the_reset_then_continues(
    tmp_path: Path, fake: FakeGithub, api: str
) -> None:
    reset = NOW + timedelta(minutes=10)
    fake.fault(FIRST[api], recorded("error_403_primary_rate_limit", **{"X-RateLimit-Reset": epoch(reset)}))
    run = Run(tmp_path, api)
    result = run()

    assert run.sleeps == [601.0]  # until the reset, plus the second it may fall anywhere in
    assert any("rate limit" in m and "2026-03-02 12:10:00 UTC" in m for m in run.messages)
    assert result.pull_requests == 7
    assert_same_store(run.store, clean_tables(tmp_path, api, fake))


@pytest.mark.parametrize("api", APIS)
def test_primary_limit_beyond_the_maximum_wait_stops_with_the_reset_time(
    tmp_path: Path, fake: FakeGithub, api: str
) -> None:
    reset = NOW + timedelta(hours=2)
    fake.fault(FIRST[api], recorded("error_403_primary_rate_limit", **{"X-RateLimit-Reset": epoch(reset)}))
    run = Run(tmp_path, api)
    with pytest.raises(RateLimitExhausted, match="rate limit resets at 2026-03-02 14:00:00 UTC"):
        run()
    assert run.sleeps == []
    assert run.nothing_written()


def test_graphql_rate_limited_error_waits_for_the_reset(tmp_path: Path, fake: FakeGithub) -> None:
    body = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]}
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(NOW + timedelta(seconds=99))}
    fake.fault("PullRequestsPage", reply(200, body, headers))
    run = Run(tmp_path, "graphql")
    assert run().pull_requests == 7
    assert run.sleeps == [100.0]


def test_low_remaining_budget_waits_before_the_next_request(tmp_path: Path, fake: FakeGithub) -> None:
    fake.remaining = 0  # every answer says the budget is spent until reset_at
    fake.reset_at = NOW + timedelta(minutes=5)
    run = Run(tmp_path, "graphql")
    result = run()
    wait = (fake.reset_at - NOW).total_seconds() + 1
    assert run.sleeps == [wait, wait]  # before pages 2 and 3; no request ever got a 403
    assert result.requests == 3 == len(fake.log)


# -- secondary rate limit -------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_secondary_limit_with_retry_after_backs_off_and_retries(
    tmp_path: Path, fake: FakeGithub, api: str
) -> None:
    fake.fault(FIRST[api], recorded("error_403_abuse_rate_limit"))  # Retry-After: 60
    run = Run(tmp_path, api)
    assert run().pull_requests == 7
    assert len(run.sleeps) == 1 and 60 <= run.sleeps[0] <= 72  # Retry-After plus up to 20 % jitter
    assert_same_store(run.store, clean_tables(tmp_path, api, fake))


def test_429_without_retry_after_is_retried_after_a_minute(tmp_path: Path, fake: FakeGithub) -> None:
    fake.fault("PullRequestsPage", reply(429, {"message": "You have exceeded a secondary rate limit."}))
    run = Run(tmp_path, "graphql")
    assert run().pull_requests == 7
    assert len(run.sleeps) == 1 and 60 <= run.sleeps[0] <= 72


def test_persistent_secondary_limit_ends_in_a_transient_error(tmp_path: Path, fake: FakeGithub) -> None:
    fake.fault(
        "PullRequestsPage", reply(429, {"message": "You have exceeded a secondary rate limit."}), times=99
    )
    run = Run(tmp_path, "graphql")
    with pytest.raises(TransientError, match="secondary rate limit persisted"):
        run()
    assert len(fake.log) == 4  # 1 + 3 retries
    assert 60 <= run.sleeps[0] <= 72 and 120 <= run.sleeps[1] <= 144 and 240 <= run.sleeps[2] <= 288
    assert run.nothing_written()


# -- 5xx, timeouts, dropped connections -----------------------------------------------------------


FAULTS: dict[str, Reply | BaseException] = {
    "502": reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"}),
    "timeout": requests.exceptions.ReadTimeout("read timed out"),
    "reset": requests.exceptions.ConnectionError("Connection reset by peer"),
    "malformed": reply(200, '{"data": {"repository": {"pullRequests": '),
}


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_one_fault_then_success(tmp_path: Path, fake: FakeGithub, api: str, kind: str) -> None:
    fake.fault(FIRST[api], FAULTS[kind])
    run = Run(tmp_path, api)
    result = run()
    assert len(run.sleeps) == 1 and 1 <= run.sleeps[0] <= 2  # first backoff: 1-2 s with jitter
    assert result.requests == len(fake.log)
    assert fake.log[0] == fake.log[1]  # the same request, once more
    assert_same_store(run.store, clean_tables(tmp_path, api, fake))


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_persistent_fault_gives_up_with_a_transient_error(
    tmp_path: Path, fake: FakeGithub, kind: str
) -> None:
    fake.fault("PullRequestsPage", FAULTS[kind], times=99)
    run = Run(tmp_path, "graphql")
    with pytest.raises(TransientError) as caught:
        run()
    # `[github] max_retries` is 4 unless the config says otherwise: the request and 4 retries.
    assert len(fake.log) == 5
    assert len(run.sleeps) == 4
    assert TOKEN not in str(caught.value)
    assert run.nothing_written()


def test_configured_max_retries_is_the_number_of_retries(tmp_path: Path, fake: FakeGithub) -> None:
    fake.fault("PullRequestsPage", FAULTS["502"], times=99)
    run = Run(tmp_path, "graphql", max_retries=1)
    with pytest.raises(TransientError):
        run()
    assert (len(fake.log), len(run.sleeps)) == (2, 1)  # the request and one retry


@pytest.mark.parametrize(
    ("jitter", "transient", "secondary"), [(0.0, [1.0, 2.0], 60.0), (0.5, [1.5, 3.0], 66.0)]
)
def test_waits_follow_the_jitter(
    tmp_path: Path, fake: FakeGithub, jitter: float, transient: list[float], secondary: float
) -> None:
    run = Run(tmp_path, "graphql", max_retries=2)
    client = GithubClient(
        "https://api.github.com",
        TOKEN,
        sleep=run.sleeps.append,
        now=lambda: NOW,
        jitter=lambda: jitter,
        max_retries=2,
    )
    fake.fault("PullRequestsPage", FAULTS["502"], times=99)
    with pytest.raises(TransientError):
        run(client=client)
    # retry n waits 2**(n-1) s times (1 + jitter): 1-2 s, then 2-4 s
    assert run.sleeps == transient

    fake.faults.clear()
    run.sleeps.clear()
    fake.fault("PullRequestsPage", recorded("error_403_abuse_rate_limit"))  # Retry-After: 60
    assert run(client=client).pull_requests == 7
    assert run.sleeps == [secondary]  # Retry-After times (1 + 0.2 x jitter)


@pytest.mark.parametrize("flush_rows", [1, FLUSH_ROWS])
def test_fault_on_a_later_page_keeps_the_cursor(tmp_path: Path, fake: FakeGithub, flush_rows: int) -> None:
    fake.fault("page=2", FAULTS["502"], times=99)
    run = Run(tmp_path, "rest")
    with pytest.raises(TransientError, match="502"):
        run(flush_rows=flush_rows)
    # Page 1 is stored when rows are flushed per page, still buffered (not written) otherwise...
    assert run.store.read("pull_requests").height == (3 if flush_rows == 1 else 0)
    assert SyncState(run.store).cursor("github", REPO) is None  # ...and never claimed as synced


# -- GraphQL errors, refusals ----------------------------------------------------------------------


def test_graphql_errors_in_a_200_answer_are_an_error_not_empty_data(tmp_path: Path, fake: FakeGithub) -> None:
    fake.fault("PullRequestsPage", reply(200, load("graphql_error_parse.json")))
    run = Run(tmp_path, "graphql")
    with pytest.raises(SourceError, match='GitHub GraphQL error: Parse error on "="') as caught:
        run()
    assert not isinstance(caught.value, TransientError)
    assert len(fake.log) == 1  # not retried
    assert run.nothing_written()


def test_several_graphql_errors_are_named_by_the_first_and_counted(tmp_path: Path, fake: FakeGithub) -> None:
    """An answer with several GraphQL errors quotes the first and says how many more there are."""
    errors = [
        *load("graphql_error_parse.json")["errors"],
        {"message": "Field 'bogus' doesn't exist on type 'Repository'"},
        {"message": "Variable $after is declared by PullRequestsPage but not used"},
    ]
    fake.fault("PullRequestsPage", reply(200, {"errors": errors}))
    with pytest.raises(SourceError) as caught:
        Run(tmp_path, "graphql")()
    # the recorded parse error first, then the two others counted: 3 errors - 1 quoted = 2 more
    assert str(caught.value) == 'GitHub GraphQL error: Parse error on "=" (EQUALS) at [7, 80] (and 2 more)'


def test_a_graphql_refusal_names_githubs_message(tmp_path: Path, fake: FakeGithub) -> None:
    """A FORBIDDEN error in a 200 GraphQL answer is a permission error that quotes GitHub's reason
    and says what access the token lacks; it is not retried and nothing is written."""
    refusal = {
        "type": "FORBIDDEN",
        "path": ["repository"],
        "locations": [{"line": 2, "column": 3}],
        "message": "Resource not accessible by integration",
    }
    fake.fault("PullRequestsPage", reply(200, {"data": {"repository": None}, "errors": [refusal]}))
    run = Run(tmp_path, "graphql")
    with pytest.raises(PermissionDenied) as caught:
        run()
    assert str(caught.value) == (
        f"repo {REPO}: GitHub refused a GraphQL query: Resource not accessible by integration; "
        "give the token read access to pull requests and contents of this repo"
    )
    assert len(fake.log) == 1
    assert run.nothing_written()


def test_forbidden_without_rate_limit_is_a_permission_error(tmp_path: Path, fake: FakeGithub) -> None:
    fake.fault(FIRST["rest"], reply(403, {"message": "Resource not accessible by personal access token"}))
    run = Run(tmp_path, "rest")
    with pytest.raises(SourceError, match="Resource not accessible"):
        run()
    assert len(fake.log) == 1
    assert run.nothing_written()


def test_next_link_of_a_recorded_list_page() -> None:
    link = load("pulls_list_state_closed_page1.meta.json")["headers"]["link"]
    assert (
        next_link(link)
        == "https://api.github.com/repos/openmicroscopy/ome-documentation/pulls?page=2&state=closed"
    )
    assert next_link('<https://api.github.com/x?page=1>; rel="prev"') is None
    assert next_link(None) is None


def test_a_graphql_timeout_in_any_wording_is_retried(tmp_path: Path, fake: FakeGithub) -> None:
    """GitHub words a GraphQL timeout more than one way; an error that speaks of a timeout is
    transient wherever the word stands: the page is asked again and the sync completes."""
    fake.fault(
        "PullRequestsPage", reply(200, {"data": None, "errors": [{"message": "Query Timeout exceeded"}]})
    )
    run = Run(tmp_path, "graphql")
    run()
    assert fake.count("PullRequestsPage") >= 2  # the timed-out page, then again
    assert len(run.sleeps) == 1  # one pause before the second try
    assert (
        run.store.read("pull_requests").height
        == clean_tables(tmp_path, "graphql", fake)["pull_requests"].height
    )
