"""GitHub faults the connector tests do not already cover (see README.md for the full table):
limits in the middle of a sync, a limit too far away with several repos, refusals that must name
the permission, GraphQL timeouts that call for a smaller page, faults on page 3, paging loops,
and the REST API's 250-commit cap. The clock and the sleep are injected; nothing really waits."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import responses

from connectors.errors import PermissionDenied, RateLimitExhausted, SourceError, TransientError
from connectors.github import PagingLoop
from core.schemas import GITHUB_TABLES
from core.state import SyncState
from tests.connectors.github_fake import NOW, Pull, Repo, person_commit, standard_repo
from tests.reliability.helpers import (
    OTHER_REPO,
    REPO,
    GithubRun,
    ScriptedGithub,
    assert_keys_unique,
    assert_same_tables,
    epoch,
    reply,
)

APIS = ["graphql", "rest"]
# The request that reads page 2 (or 3) of the pull-request list: GraphQL reads nothing else in
# between; REST reads reviews, events and commits of each of the 3 PRs of a page first.
PAGE_REQUEST = {"graphql": {2: 2, 3: 3}, "rest": {2: 11, 3: 21}}


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> ScriptedGithub:
    server = ScriptedGithub()
    server.repos[REPO] = standard_repo(7)
    server.repos[OTHER_REPO] = standard_repo(2)
    server.install(rsps)
    return server


def clean_run(tmp_path: Path, api: str) -> GithubRun:
    run = GithubRun(tmp_path, api, folder="clean")
    run()
    return run


# -- primary rate limit ---------------------------------------------------------------------------


def primary_limit(status: int) -> tuple[int, dict[str, str], str]:
    headers = {
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": epoch(NOW + timedelta(seconds=30)),
        "X-RateLimit-Resource": "core",
    }
    return reply(status, {"message": "API rate limit exceeded for user ID 1."}, headers)


@pytest.mark.parametrize("status", [403, 429])
@pytest.mark.parametrize("api", APIS)
def test_primary_limit_on_page_2_waits_for_the_reset_then_continues_without_duplicates(
    tmp_path: Path, fake: ScriptedGithub, api: str, status: int
) -> None:
    clean = clean_run(tmp_path, api)
    fake.log.clear()
    fake.reply_at[PAGE_REQUEST[api][2]] = primary_limit(status)
    run = GithubRun(tmp_path, api)
    result = run()

    assert run.sleeps == [31.0]  # 30 s to the reset, plus the second it may fall anywhere in
    assert result.pull_requests == 7
    assert fake.log[PAGE_REQUEST[api][2] - 1] == fake.log[PAGE_REQUEST[api][2]]  # page 2, once more
    assert_keys_unique(run.store, GITHUB_TABLES)
    assert_same_tables(run.store, clean.store, GITHUB_TABLES)
    assert run.cursor() == clean.cursor()


@pytest.mark.parametrize("api", APIS)
def test_reset_beyond_the_maximum_wait_stops_the_repos_of_that_token_and_keeps_their_cursors(
    tmp_path: Path, fake: ScriptedGithub, api: str
) -> None:
    run = GithubRun(tmp_path, api, repos=[REPO, OTHER_REPO])
    run()
    run(OTHER_REPO)
    cursor, other_cursor = run.cursor(), run.cursor(OTHER_REPO)

    run.now = NOW + timedelta(days=1)
    fake.repos[REPO].pulls[0].updated = run.now - timedelta(minutes=1)
    fake.repos[OTHER_REPO].pulls[0].updated = run.now - timedelta(minutes=1)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": epoch(run.now + timedelta(hours=2))}
    fake.reply_at[len(fake.log) + 1] = reply(403, {"message": "API rate limit exceeded"}, headers)
    with pytest.raises(RateLimitExhausted, match=r"rate limit resets at 2026-03-03 14:00:00 UTC") as caught:
        run()
    assert not isinstance(caught.value, TransientError)  # the flow does not retry it; the run fails
    assert run.sleeps == []
    assert run.cursor() == cursor  # kept: the next run starts where this one should have

    # The budget is the token's, not the repo's: the other repo (its own client, as in its own
    # task) knows it is spent and stops the same way without sending a request.
    sent = len(fake.log)
    with pytest.raises(RateLimitExhausted, match=r"rate limit resets at 2026-03-03 14:00:00 UTC"):
        run(OTHER_REPO)
    assert len(fake.log) == sent and run.cursor(OTHER_REPO) == other_cursor

    run.now = run.now + timedelta(hours=2)  # after the reset, the other repo carries on
    assert run(OTHER_REPO).pull_requests == 1
    assert run.cursor(OTHER_REPO) is not None and run.cursor(OTHER_REPO) > other_cursor  # type: ignore[operator]


# -- secondary rate limit -------------------------------------------------------------------------


SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."


@pytest.mark.parametrize("retry_after", [None, "20"])
@pytest.mark.parametrize("api", APIS)
def test_secondary_limit_that_persists_on_page_2_is_never_reported_as_success(
    tmp_path: Path, fake: ScriptedGithub, api: str, retry_after: str | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    first = PAGE_REQUEST[api][2]
    for attempt in range(10):
        fake.reply_at[first + attempt] = reply(403, {"message": SECONDARY}, headers)
    run = GithubRun(tmp_path, api)
    with pytest.raises(TransientError, match="secondary rate limit persisted"):
        run()
    assert len(run.sleeps) == 3  # bounded: three waits, four tries of page 2
    if retry_after:
        assert all(20 <= s <= 24 for s in run.sleeps)  # Retry-After plus up to 20 % jitter
    else:
        assert [60 <= run.sleeps[0] <= 72, 120 <= run.sleeps[1] <= 144, 240 <= run.sleeps[2] <= 288] == [
            True
        ] * 3  # one minute, doubling, with jitter
    assert run.store.read("pull_requests").height == 0  # page 1 was buffered, never written...
    assert run.cursor() is None  # ...and the repo is not claimed as synced


def test_secondary_limit_asking_for_more_than_the_maximum_wait_stops_at_once(
    tmp_path: Path, fake: ScriptedGithub
) -> None:
    fake.reply_at[1] = reply(403, {"message": SECONDARY}, {"Retry-After": "3600"})
    run = GithubRun(tmp_path, "graphql")
    with pytest.raises(RateLimitExhausted, match="3600 s pause"):
        run()
    assert run.sleeps == [] and len(fake.log) == 1 and run.cursor() is None


# -- refusals ------------------------------------------------------------------------------------


def test_resource_not_accessible_names_the_repo_and_the_permission_rest(
    tmp_path: Path, fake: ScriptedGithub
) -> None:
    headers = {"X-Accepted-GitHub-Permissions": "pull_requests=read", "X-RateLimit-Remaining": "4999"}
    fake.reply_at[1] = reply(403, {"message": "Resource not accessible by integration"}, headers)
    run = GithubRun(tmp_path, "rest")
    with pytest.raises(PermissionDenied) as caught:
        run()
    message = str(caught.value)
    assert REPO in message and "Resource not accessible by integration" in message
    assert "pull_requests=read" in message
    assert len(fake.log) == 1 and run.sleeps == []  # no retry
    assert run.cursor() is None


def test_resource_not_accessible_names_the_repo_and_the_permission_graphql(
    tmp_path: Path, fake: ScriptedGithub
) -> None:
    body = {
        "data": {"repository": None},
        "errors": [
            {
                "type": "FORBIDDEN",
                "path": ["repository", "pullRequests"],
                "message": "Resource not accessible by integration",
            }
        ],
    }
    fake.reply_at[1] = reply(200, body, {"X-Accepted-GitHub-Permissions": "pull_requests=read"})
    run = GithubRun(tmp_path, "graphql")
    with pytest.raises(PermissionDenied) as caught:
        run()
    assert REPO in str(caught.value) and "pull_requests=read" in str(caught.value)
    assert len(fake.log) == 1 and run.sleeps == []


# -- GraphQL timeouts, transport faults on page 3 ------------------------------------------------


@pytest.mark.parametrize("status", [502, 504])
def test_graphql_gateway_error_is_retried_with_a_smaller_page(
    tmp_path: Path, fake: ScriptedGithub, status: int
) -> None:
    clean = clean_run(tmp_path, "graphql")
    fake.log.clear()
    fake.bodies.clear()
    fake.reply_at[2] = reply(
        status, "<html><body><h1>Bad Gateway</h1></body></html>", {"Content-Type": "text/html"}
    )
    run = GithubRun(tmp_path, "graphql", page_size=4)
    run()

    sizes = [body["variables"]["pageSize"] for body in fake.bodies]
    assert sizes[:3] == [4, 4, 2]  # page 2 failed, then asked again for half as many
    assert set(sizes[3:]) == {2}  # and the rest of the repo keeps the smaller page
    assert fake.bodies[1]["variables"]["after"] == fake.bodies[2]["variables"]["after"]  # same place
    assert len(run.sleeps) == 1
    assert_same_tables(run.store, clean.store, GITHUB_TABLES)


FAULTS = {
    "reset": requests.exceptions.ConnectionError("Connection reset by peer"),
    "timeout": requests.exceptions.ReadTimeout("read timed out"),
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
@pytest.mark.parametrize("api", APIS)
def test_transport_fault_on_page_3_retries_only_page_3(
    tmp_path: Path, fake: ScriptedGithub, api: str, kind: str
) -> None:
    clean = clean_run(tmp_path, api)
    fake.log.clear()
    fake.bodies.clear()
    at = PAGE_REQUEST[api][3]
    fake.reply_at[at] = FAULTS[kind]
    run = GithubRun(tmp_path, api)
    run()

    # A request is its line plus, for GraphQL, its variables (the page cursor).
    sent = [f"{line} {fake.bodies[i].get('variables')}" for i, line in enumerate(fake.log)]
    retried = [request for i, request in enumerate(sent) if request in sent[:i]]
    assert retried == [sent[at - 1]]  # the one page-3 request, nothing before it
    assert "'after': 'c5'" in retried[0] or "&page=3" in retried[0]
    assert len(run.sleeps) == 1 and 1 <= run.sleeps[0] <= 2
    assert_same_tables(run.store, clean.store, GITHUB_TABLES)


# -- paging loops --------------------------------------------------------------------------------


def test_rest_empty_page_whose_next_link_repeats_stops_with_an_error(
    tmp_path: Path, fake: ScriptedGithub
) -> None:
    url = f"https://api.github.com/repos/{REPO}/pulls?state=all&sort=updated&direction=desc&per_page=3&page=2"
    loop = reply(200, [], {"Link": f'<{url}>; rel="next"'})
    fake.reply_at.update({1: loop, 2: loop, 3: loop})
    run = GithubRun(tmp_path, "rest")
    with pytest.raises(PagingLoop, match="same next page twice"):
        run()
    assert len(fake.log) == 2  # page 1, then its next page, which names itself again
    assert run.cursor() is None


def test_graphql_empty_page_with_a_repeated_cursor_stops_with_an_error(
    tmp_path: Path, fake: ScriptedGithub
) -> None:
    page = {
        "data": {
            "repository": {
                "defaultBranchRef": None,
                "pullRequests": {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "Y3Vyc29yOjE="}},
            }
        }
    }
    fake.reply_at.update({n: reply(200, page) for n in range(1, 5)})
    run = GithubRun(tmp_path, "graphql")
    with pytest.raises(PagingLoop, match="same page cursor twice"):
        run()
    assert len(fake.log) == 2
    assert run.cursor() is None


def test_next_link_to_another_host_is_not_followed(tmp_path: Path, fake: ScriptedGithub) -> None:
    evil = "https://api.github.com.evil.example/repos/acme/churn-model/pulls?page=2"
    fake.reply_at[1] = reply(200, [], {"Link": f'<{evil}>; rel="next"'})
    run = GithubRun(tmp_path, "rest")
    with pytest.raises(SourceError, match="the token is not sent there"):
        run()
    assert len(fake.log) == 1  # nothing was sent to the other host (responses would refuse it too)


# -- the REST API's 250-commit cap ---------------------------------------------------------------


def three_hundred_commits() -> Repo:
    created = NOW - timedelta(days=3)
    pull = Pull(7, "ana", created, NOW - timedelta(hours=1))
    pull.commits = [person_commit(f"{i:040x}", "ana", created + timedelta(minutes=i)) for i in range(1, 301)]
    return Repo(pulls=[pull], branch=[])


def test_rest_pr_with_300_commits_is_completed_through_graphql(tmp_path: Path, fake: ScriptedGithub) -> None:
    fake.repos[REPO] = three_hundred_commits()
    run = GithubRun(tmp_path, "rest")
    result = run()
    assert fake.count("/pulls/7/commits") == 3  # REST: 100 + 100 + 50, then it stops
    assert fake.count("PullRequestCommitsPage") == 3  # GraphQL: 100 + 100 + 100
    assert run.store.read("commits").height == 300
    assert result.truncated == [] and "truncated" not in result.note


def test_rest_pr_with_300_commits_without_graphql_is_marked_truncated(
    tmp_path: Path, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    base = "https://ghe.acme.example/api/v3"
    fake = ScriptedGithub(base_url=base, graphql=False)
    fake.repos[REPO] = three_hundred_commits()
    fake.install(rsps)
    run = GithubRun(tmp_path, "auto", base_url=base)
    with caplog.at_level(logging.WARNING, logger="connectors.github"):
        result = run()
    assert [r.getMessage() for r in caplog.records if r.name == "connectors.github"] == [
        f"{REPO}#7: the REST API lists only the first 250 commits of a pull request and this server "
        "has no GraphQL API; the pull request is marked truncated"
    ]
    assert run.store.read("commits").height == 250
    assert result.truncated == [7]
    assert "commits truncated at 250 for #7" in result.note
    assert SyncState(run.store).entry("github", REPO)["truncated_pull_requests"] == [7]

    # Once the PR is rewritten with fewer commits, the mark goes away.
    fake.repos[REPO].pulls[0].commits = fake.repos[REPO].pulls[0].commits[:10]
    fake.repos[REPO].pulls[0].updated = NOW + timedelta(minutes=30)
    run.now = NOW + timedelta(hours=1)
    assert run().truncated == []
    assert SyncState(run.store).entry("github", REPO)["truncated_pull_requests"] == []
