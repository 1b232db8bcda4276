"""Repo sync against the fake GitHub: paging, nested pages, cursors, identities, force-pushes,
Enterprise URLs and interrupted syncs, on the GraphQL path and on the REST fallback."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import responses
from polars.testing import assert_frame_equal

from connectors.errors import AuthError, NotFound
from connectors.github import GraphqlUnavailable
from core.config import Config, parse_config
from core.schemas import GITHUB_TABLES
from core.state import SyncState
from core.store import Store
from sync.github import RepoSyncResult, sync_github_repo
from tests.connectors.github_fake import (
    NOW,
    TOKEN,
    Commit,
    FakeGithub,
    Pull,
    Repo,
    RequestEvent,
    Review,
    person_commit,
    standard_repo,
)

REPO = "acme/churn-model"
APIS = ["graphql", "rest"]


def make_config(
    tmp_path: Path, api: str = "graphql", base_url: str = "https://api.github.com", **extra: Any
) -> Config:
    github = {"base_url": base_url, "repos": [REPO], "api": api, "page_size": 3, **extra}
    return parse_config({"store": "data", "github": github}, tmp_path / "radar.toml")


def make_fake(rsps: responses.RequestsMock, repo: Repo | None = None, **options: Any) -> FakeGithub:
    fake = FakeGithub(**options)
    if repo is not None:
        fake.repos[REPO] = repo
    fake.install(rsps)
    return fake


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def sync(
    config: Config, store: Store, *, now: datetime = NOW, since: datetime | None = None, repo: str = REPO
) -> RepoSyncResult:
    sleeps = Sleeps()
    result = sync_github_repo(
        config, repo, store, SyncState(store), TOKEN, since=since, now=lambda: now, sleep=sleeps
    )
    assert sleeps == []  # nothing in these scenarios calls for a wait
    return result


def tables(store: Store) -> dict[str, pl.DataFrame]:
    return {table: store.read(table) for table in GITHUB_TABLES}


# -- cold sync, re-sync, cursor --------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_cold_sync_pages_through_every_pull_request(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    fake = make_fake(rsps, standard_repo(7))
    store = Store(tmp_path / "data")
    result = sync(make_config(tmp_path, api), store)

    data = tables(store)
    assert data["pull_requests"]["number"].to_list() == list(range(100, 107))
    assert data["reviews"].height == 7
    assert data["review_requests"].height == 7
    # 7 PRs x 2 commits + 2 branch-only commits (the third branch commit is PR #100's).
    assert data["commits"].height == 16
    assert (result.pull_requests, result.reviews, result.review_requests) == (7, 7, 7)
    if api == "graphql":
        # 3 pages of 3/3/1 PRs; page 1 also carries the default-branch history.
        assert result.requests == 3 == fake.count("POST /graphql")
    else:
        # 3 list pages + 7 PRs x (reviews, events, commits) + 1 default-branch commits page.
        assert result.requests == 3 + 7 * 3 + 1 == len(fake.log)
    assert result.api == api


@pytest.mark.parametrize("api", APIS)
def test_branch_commit_does_not_erase_a_pr_commits_pr_number(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    repo = standard_repo(7)
    shared = repo.pulls[0].commits[0].sha  # on the default branch and in PR #100
    make_fake(rsps, repo)
    store = Store(tmp_path / "data")
    sync(make_config(tmp_path, api), store)
    sync(make_config(tmp_path, api), store, now=NOW + timedelta(hours=1))

    commits = store.read("commits")
    assert commits.filter(pl.col("sha") == shared)["pr_number"].to_list() == [100]
    branch_only = commits.filter(pl.col("pr_number").is_null())["sha"].to_list()
    assert sorted(branch_only) == ["b1".ljust(40, "0"), "b2".ljust(40, "0")]


@pytest.mark.parametrize(("api", "expected"), [("graphql", 1), ("rest", 2)])
def test_resync_with_nothing_changed_makes_only_the_first_request(
    tmp_path: Path, rsps: responses.RequestsMock, api: str, expected: int
) -> None:
    fake = make_fake(rsps, standard_repo(7))
    store = Store(tmp_path / "data")
    config = make_config(tmp_path, api)
    sync(config, store)
    before = tables(store)
    fake.log.clear()

    result = sync(config, store, now=NOW + timedelta(hours=6))

    # GraphQL: the first PR page (which also carries branch history). REST: the first PR list
    # page and one default-branch commits page.
    assert result.requests == expected == len(fake.log)
    assert result.pull_requests == 0
    for table, frame in tables(store).items():
        assert_frame_equal(frame, before[table])


@pytest.mark.parametrize("api", APIS)
def test_resync_reads_only_changed_pull_requests_and_stops_at_the_cursor(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    repo = standard_repo(7)
    fake = make_fake(rsps, repo)
    store = Store(tmp_path / "data")
    config = make_config(tmp_path, api)
    sync(config, store)
    assert SyncState(store).cursor("github", REPO) == NOW - timedelta(hours=1)  # newest updated_at

    later = NOW + timedelta(hours=3)
    changed = repo.pull(104)  # was on page 2 (5th newest), now the newest
    changed.updated = later - timedelta(minutes=30)
    changed.reviews.append(Review(9999, "ana", "CHANGES_REQUESTED", later - timedelta(minutes=30)))
    fake.log.clear()

    result = sync(config, store, now=later)

    assert result.pull_requests == 1
    assert 9999 in store.read("reviews")["review_id"].to_list()
    if api == "graphql":
        assert fake.log == [line for line in fake.log if "PullRequestsPage" in line] and len(fake.log) == 1
    else:
        pages = [line for line in fake.log if line.startswith(f"GET /repos/{REPO}/pulls?")]
        assert len(pages) == 1  # page 2 is never fetched
        assert fake.count("/pulls/104/") == 2 and fake.count("/issues/104/events") == 1
        assert fake.count("/pulls/100/") == 0  # unchanged: not fetched again
    assert SyncState(store).cursor("github", REPO) == later - timedelta(minutes=30)


@pytest.mark.parametrize("api", APIS)
def test_first_sync_reads_back_120_days_or_to_since(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    repo = standard_repo(2)
    old = Pull(50, "ana", NOW - timedelta(days=200), NOW - timedelta(days=121))
    repo.pulls.append(old)
    make_fake(rsps, repo)

    store = Store(tmp_path / "data")
    sync(make_config(tmp_path, api), store)
    assert 50 not in store.read("pull_requests")["number"].to_list()

    other = Store(tmp_path / "other")
    sync(make_config(tmp_path, api), other, since=NOW - timedelta(days=150))
    assert 50 in other.read("pull_requests")["number"].to_list()


def test_cursor_never_passes_the_sync_start(tmp_path: Path, rsps: responses.RequestsMock) -> None:
    repo = standard_repo(2)
    repo.pulls[0].updated = NOW + timedelta(minutes=10)  # the server's clock runs ahead of ours
    make_fake(rsps, repo)
    store = Store(tmp_path / "data")
    sync(make_config(tmp_path), store)
    assert SyncState(store).cursor("github", REPO) == NOW


@pytest.mark.parametrize("api", APIS)
def test_default_branch_history_past_one_page_arrives_whole(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    repo = standard_repo(2)
    # 250 branch-only commits an hour apart: three pages of history (100 + 100 + 50) on both APIs.
    repo.branch = [
        person_commit(f"h{i:03d}".ljust(40, "0"), "nino", NOW - timedelta(hours=2 + i)) for i in range(250)
    ]
    make_fake(rsps, repo)
    store = Store(tmp_path / "data")
    sync(make_config(tmp_path, api), store)

    branch_only = store.read("commits").filter(pl.col("pr_number").is_null())["sha"].to_list()
    assert sorted(branch_only) == sorted(f"h{i:03d}".ljust(40, "0") for i in range(250))


@pytest.mark.parametrize("api", APIS)
def test_default_branch_history_past_one_page_stays_within_the_window(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    """Every page of the default branch's history is asked for since the same moment: a commit
    older than a first sync's 120 days is not read on a later page either."""
    repo = standard_repo(2)
    # 150 commits an hour apart (newest 2 h old): two pages of history (100 + 50) in the window...
    recent = [
        person_commit(f"r{i:03d}".ljust(40, "0"), "nino", NOW - timedelta(hours=2 + i)) for i in range(150)
    ]
    # ...and 10 from 200 days back, before the window of the first sync (NOW - 120 days).
    old = [
        person_commit(f"o{i:03d}".ljust(40, "0"), "nino", NOW - timedelta(days=200 + i)) for i in range(10)
    ]
    repo.branch = recent + old
    make_fake(rsps, repo)
    store = Store(tmp_path / "data")
    sync(make_config(tmp_path, api), store)

    branch_only = store.read("commits").filter(pl.col("pr_number").is_null())["sha"].to_list()
    assert sorted(branch_only) == sorted(f"r{i:03d}".ljust(40, "0") for i in range(150))


# -- nested pagination -----------------------------------------------------------------------------


def big_repo() -> Repo:
    created = NOW - timedelta(days=3)
    pull = Pull(7, "ana", created, NOW - timedelta(hours=1), labels=[f"l{i}" for i in range(105)])
    pull.reviews = [
        Review(10_000 + i, "nino", "COMMENTED", created + timedelta(minutes=i)) for i in range(150)
    ]
    pull.events = [RequestEvent(False, created + timedelta(minutes=i), "ana", f"r{i}") for i in range(120)]
    pull.commits = [person_commit(f"{i:040x}", "ana", created + timedelta(minutes=i)) for i in range(1, 261)]
    return Repo(pulls=[pull], branch=[])


def test_graphql_follows_nested_connections_past_the_first_page(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    fake = make_fake(rsps, big_repo())
    store = Store(tmp_path / "data")
    result = sync(make_config(tmp_path), store)

    assert store.read("reviews").height == 150
    assert store.read("review_requests").height == 120
    assert store.read("commits").height == 260  # beyond REST's 250 cap
    assert len(store.read("pull_requests")["labels"][0]) == 105
    # 1 page + labels 1 + reviews 1 + timeline 1 + commits 2 (100 + 100 + 60).
    assert result.requests == 6
    assert fake.count("PullRequestCommitsPage") == 2


def test_rest_pages_reviews_and_completes_commits_past_the_cap(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    fake = make_fake(rsps, big_repo())
    store = Store(tmp_path / "data")
    result = sync(make_config(tmp_path, "rest"), store)

    assert store.read("reviews").height == 150
    assert fake.count("/pulls/7/reviews") == 2
    assert store.read("review_requests").height == 120
    # each detail list asks for 100 a page (GitHub's most; it gives 30 unasked): 150 reviews and
    # 120 events are two pages each
    assert fake.count("/issues/7/events") == 2
    assert fake.count("/issues/7/events?per_page=100") == 1
    # GitHub's REST endpoint stops at 250; the PR's commits are read again through GraphQL.
    assert store.read("commits").height == 260
    assert fake.count("PullRequestCommitsPage") == 3  # 100 + 100 + 60
    assert result.truncated == [] and result.note == ""


# -- identities ------------------------------------------------------------------------------------


def identity_repo() -> Repo:
    created = NOW - timedelta(days=2)
    pull = Pull(11, None, created, NOW - timedelta(hours=2))  # author account deleted
    bot_pull = Pull(
        12,
        "dependabot[bot]",
        created,
        NOW - timedelta(hours=3),
        state="MERGED",
        merged=NOW - timedelta(hours=3),
        closed=NOW - timedelta(hours=3),
    )
    pull.reviews = [
        Review(1, None, "APPROVED", created + timedelta(hours=1)),  # deleted reviewer
        Review(2, "renovate[bot]", "COMMENTED", created + timedelta(hours=2)),
        Review(3, "nino", "CHANGES_REQUESTED", None),  # pending: not submitted yet
        Review(4, "nino", "DISMISSED", created + timedelta(hours=4)),
    ]
    pull.events = [
        RequestEvent(False, created + timedelta(minutes=1), "ana", "team:data-science"),
        RequestEvent(False, created + timedelta(minutes=2), "ana", "nino"),
        RequestEvent(True, created + timedelta(minutes=30), "ana", "nino"),  # request removed
        RequestEvent(False, created + timedelta(minutes=40), None, None),  # both accounts deleted
    ]
    bot_pull.commits = [
        Commit(
            "d" * 40, "dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", created, created
        ),
        Commit("e" * 40, None, "old-laptop@acme.example", created, created),
    ]
    return Repo(pulls=[pull, bot_pull], branch=[])


@pytest.mark.parametrize("api", APIS)
def test_ghosts_bots_teams_and_removed_requests(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    make_fake(rsps, identity_repo())
    store = Store(tmp_path / "data")
    sync(make_config(tmp_path, api), store)

    pulls = store.read("pull_requests").sort("number")
    assert pulls["author"].to_list() == ["ghost", "dependabot[bot]"]
    assert pulls["state"].to_list() == ["open", "merged"]
    reviews = store.read("reviews").sort("review_id")
    assert reviews["reviewer"].to_list() == ["ghost", "renovate[bot]", "nino"]  # pending review 3 skipped
    assert reviews["state"].to_list() == ["APPROVED", "COMMENTED", "DISMISSED"]
    requests = store.read("review_requests").sort("requested_at")
    assert requests["reviewer"].to_list() == ["team:data-science", "nino", "ghost"]
    assert requests["requester"].to_list() == ["ana", "ana", "ghost"]
    created = NOW - timedelta(days=2)
    assert requests["removed_at"].to_list() == [None, created + timedelta(minutes=30), None]
    commits = store.read("commits").sort("sha")
    # A bot's commit is linked through its noreply email; an unlinked email keeps a null author.
    assert commits["author"].to_list() == ["dependabot[bot]", None]
    assert commits["author_email"].to_list()[1] == "old-laptop@acme.example"


# -- force-push ------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_force_push_replaces_the_pull_requests_commits(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    repo = standard_repo(3)
    make_fake(rsps, repo)
    store = Store(tmp_path / "data")
    config = make_config(tmp_path, api)
    sync(config, store)
    pull = repo.pull(101)
    old = {c.sha for c in pull.commits}

    later = NOW + timedelta(hours=2)
    pull.commits = [person_commit("f" * 40, pull.author, later - timedelta(minutes=20))]
    pull.updated = later - timedelta(minutes=10)
    sync(config, store, now=later)

    shas = set(store.read("commits").filter(pl.col("pr_number") == 101)["sha"].to_list())
    assert shas == {"f" * 40}
    assert not old & set(store.read("commits")["sha"].to_list())


# -- servers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_enterprise_base_url(tmp_path: Path, rsps: responses.RequestsMock, api: str) -> None:
    base = "https://ghe.acme.example/api/v3"
    fake = make_fake(rsps, standard_repo(2), base_url=base)
    store = Store(tmp_path / "data")
    sync(make_config(tmp_path, api, base_url=base), store)

    assert store.read("pull_requests").height == 2
    if api == "graphql":
        assert fake.log and all(line.startswith("POST /api/graphql ") for line in fake.log)
    else:
        assert fake.log and all(line.startswith("GET /api/v3/repos/acme/churn-model/") for line in fake.log)


def test_server_with_a_port_and_no_rate_limit_headers(tmp_path: Path, rsps: responses.RequestsMock) -> None:
    base = "https://127.0.0.1:8443/api/v3"
    fake = make_fake(rsps, standard_repo(4), base_url=base, rate_headers=False)
    store = Store(tmp_path / "data")
    result = sync(make_config(tmp_path, "rest", base_url=base), store)
    assert store.read("pull_requests").height == 4
    assert result.requests == len(fake.log)


def test_auto_falls_back_to_rest_when_graphql_is_missing(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    base = "https://ghe.acme.example/api/v3"
    fake = make_fake(rsps, standard_repo(2), base_url=base, graphql=False)
    store = Store(tmp_path / "data")
    result = sync(make_config(tmp_path, "auto", base_url=base), store)

    assert result.api == "rest"
    assert fake.log[0].startswith("POST /api/graphql")  # answered 404
    assert store.read("pull_requests").height == 2
    assert result.requests == 1 + 1 + 2 * 3 + 1


def test_graphql_config_does_not_fall_back(tmp_path: Path, rsps: responses.RequestsMock) -> None:
    make_fake(rsps, standard_repo(2), graphql=False)
    store = Store(tmp_path / "data")
    with pytest.raises(
        GraphqlUnavailable, match=re.escape("no GraphQL API at https://api.github.com/graphql")
    ):
        sync(make_config(tmp_path, "graphql"), store)
    assert store.read("pull_requests").height == 0


@pytest.mark.parametrize("api", APIS)
def test_empty_repository_is_skipped_with_a_note(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    make_fake(rsps, Repo(pulls=[], branch=None))
    store = Store(tmp_path / "data")
    result = sync(make_config(tmp_path, api), store)
    assert result.note == "repository is empty"
    assert store.read("commits").height == 0


@pytest.mark.parametrize("api", APIS)
def test_missing_repo_fails_fast_with_one_line(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    fake = make_fake(rsps, standard_repo(2))
    store = Store(tmp_path / "data")
    with pytest.raises(NotFound) as caught:
        sync(make_config(tmp_path, api), store, repo="acme/x")
    assert str(caught.value) == "repo acme/x not found or not visible to this token"
    assert len(fake.log) == 1  # no retry
    assert SyncState(store).cursor("github", "acme/x") is None
    # The other repo still syncs with the same config.
    assert sync(make_config(tmp_path, api), store).pull_requests == 2


@pytest.mark.parametrize("api", APIS)
def test_rejected_token_fails_fast(tmp_path: Path, rsps: responses.RequestsMock, api: str) -> None:
    fake = make_fake(rsps, standard_repo(2))
    store = Store(tmp_path / "data")
    with pytest.raises(AuthError) as caught:
        sync_github_repo(
            make_config(tmp_path, api), REPO, store, SyncState(store), "ghp_wrong", now=lambda: NOW
        )
    assert str(caught.value) == "GitHub rejected the token for https://api.github.com"
    assert "ghp_wrong" not in str(caught.value)
    assert len(fake.log) == 1
    assert store.read("pull_requests").height == 0


# -- interrupted sync ------------------------------------------------------------------------------


@pytest.mark.parametrize(("api", "fail_at"), [("graphql", 2), ("graphql", 3), ("rest", 5), ("rest", 9)])
def test_interrupted_sync_rerun_equals_an_uninterrupted_one(
    tmp_path: Path, rsps: responses.RequestsMock, api: str, fail_at: int
) -> None:
    repo = standard_repo(7)
    fake = make_fake(rsps, repo)
    config = make_config(tmp_path, api)
    clean = Store(tmp_path / "clean")
    sync(config, clean)

    fake.raise_at = {len(fake.log) + fail_at: RuntimeError("connection lost")}
    store = Store(tmp_path / "data")
    with pytest.raises(RuntimeError, match="connection lost"):
        sync(config, store)
    assert SyncState(store).cursor("github", REPO) is None  # nothing claimed as done
    assert store.read("pull_requests").height < 7

    sync(config, store)
    for table, frame in tables(store).items():
        assert_frame_equal(frame, tables(clean)[table], check_row_order=True)
    assert SyncState(store).cursor("github", REPO) == SyncState(clean).cursor("github", REPO)
