"""The probe before the per-repo syncs: many repos in one GraphQL request; a repo with nothing new
is recorded as synced exactly as its own sync would record it, and anything that could be new
(a changed PR, a PR in the cursor's overlap window not stored, a new branch commit, more PRs in
the window than the probe lists) sends the repo to its full sync. Failures fall back to it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import responses
from polars.testing import assert_frame_equal

from connectors.github_queries import PROBE_BATCH_SIZE, PROBE_DEPTH
from core.config import Config, parse_config
from core.schemas import GITHUB_TABLES
from core.state import SyncState
from core.store import Store
from sync.github import ProbeResult, probe_github_repos, sync_github_repo
from tests.connectors.github_fake import NOW, TOKEN, FakeGithub, Pull, Repo, person_commit, standard_repo

REPO = "acme/churn-model"
OTHER = "acme/feature-store"
LATER = NOW + timedelta(hours=6)


def make_config(tmp_path: Path, repos: list[str], api: str = "graphql") -> Config:
    github = {"repos": repos, "api": api, "page_size": 3}
    return parse_config({"store": "data", "github": github}, tmp_path / "radar.toml")


class World:
    """A fake GitHub with some repos, a store synced once at NOW, and the probe at LATER."""

    def __init__(self, tmp_path: Path, rsps: responses.RequestsMock, repos: dict[str, Repo]) -> None:
        self.fake = FakeGithub()
        self.fake.repos.update(repos)
        self.fake.install(rsps)
        self.config = make_config(tmp_path, list(repos))
        self.store = Store(tmp_path / "data")
        for name in repos:
            self.sync(name, NOW)
        self.fake.log.clear()

    def sync(self, repo: str, now: datetime, store: Store | None = None) -> None:
        store = store or self.store
        sync_github_repo(self.config, repo, store, SyncState(store), TOKEN, now=lambda: now, sleep=_no_sleep)

    def probe(
        self, now: datetime = LATER, sleep: Callable[[float], None] | None = None, **options: Any
    ) -> ProbeResult:
        return probe_github_repos(
            self.config,
            list(self.config.all_repos()),
            self.store,
            SyncState(self.store),
            TOKEN,
            now=lambda: now,
            sleep=sleep or _no_sleep,
            **options,
        )

    def entry(self, repo: str, store: Store | None = None) -> dict[str, Any]:
        entry = SyncState(store or self.store).entry("github", repo)
        entry.pop("synced_at")
        return entry


def _no_sleep(_: float) -> None:
    raise AssertionError("nothing in these scenarios calls for a wait")


def tables(store: Store) -> dict[str, pl.DataFrame]:
    return {table: store.read(table) for table in GITHUB_TABLES}


def test_unchanged_repos_cost_one_request_and_are_recorded_as_their_sync_would(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    world = World(tmp_path, rsps, {REPO: standard_repo(7), OTHER: standard_repo(4)})
    before = tables(world.store)
    # The same store, synced in full at LATER instead of probed.
    full = Store(tmp_path / "full")
    for name in (REPO, OTHER):
        world.sync(name, NOW, full)
        world.sync(name, LATER, full)
    world.fake.log.clear()

    synced_at = SyncState(world.store).entry("github", REPO)["synced_at"]
    result = world.probe()

    assert sorted(result.unchanged) == [REPO, OTHER]
    assert result.requests == 1 and world.fake.log == ["POST /graphql RepositoriesProbe"]
    for table, frame in tables(world.store).items():
        assert_frame_equal(frame, before[table])
    for name in (REPO, OTHER):
        assert world.entry(name) == world.entry(name, full)  # cursor, commit cursor, api
    assert SyncState(world.store).entry("github", REPO)["synced_at"] > synced_at
    assert SyncState(world.store).entry("github", REPO)["commits_cursor"] == LATER.isoformat()


def test_a_changed_pull_request_sends_its_repo_to_the_full_sync(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    repo = standard_repo(7)
    world = World(tmp_path, rsps, {REPO: repo, OTHER: standard_repo(4)})
    cursor = SyncState(world.store).cursor("github", REPO)
    repo.pull(104).updated = LATER - timedelta(minutes=30)

    assert world.probe().unchanged == [OTHER]
    assert SyncState(world.store).cursor("github", REPO) == cursor  # untouched: its sync moves it


def test_a_pull_request_in_the_overlap_window_not_stored_sends_its_repo_to_the_full_sync(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    repo = standard_repo(7)
    world = World(tmp_path, rsps, {REPO: repo})
    cursor = SyncState(world.store).cursor("github", REPO)
    assert cursor is not None
    # Listed late by GitHub: updated just before the cursor, at or after (cursor − overlap).
    repo.pulls.append(Pull(200, "ana", cursor - timedelta(days=1), cursor - timedelta(minutes=4)))

    assert world.probe().unchanged == []
    world.sync(REPO, LATER)
    assert 200 in world.store.read("pull_requests")["number"].to_list()


def test_a_pull_request_older_than_the_overlap_window_is_not_looked_at(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    world = World(tmp_path, rsps, {REPO: standard_repo(7)})
    world.store.delete("pull_requests", pl.DataFrame({"repo": [REPO], "number": [106]}))
    assert world.probe().unchanged == [REPO]  # as its sync, which stops paging before #106


def test_more_pull_requests_in_the_window_than_the_probe_lists_send_the_repo_to_the_full_sync(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    repo = standard_repo(PROBE_DEPTH + 1)
    for pull in repo.pulls:  # all share the cursor's updated_at
        pull.updated = NOW - timedelta(hours=1)
    world = World(tmp_path, rsps, {REPO: repo, OTHER: standard_repo(2)})
    assert world.probe().unchanged == [OTHER]


@pytest.mark.parametrize("stored", [False, True])
def test_a_branch_commit_in_the_commit_window_counts_only_if_not_stored(
    tmp_path: Path, rsps: responses.RequestsMock, stored: bool
) -> None:
    repo = standard_repo(3)
    late = person_commit("c9".ljust(40, "0"), "nino", NOW - timedelta(minutes=2))
    if stored:
        repo.branch = [*(repo.branch or []), late]  # there at the first sync
    world = World(tmp_path, rsps, {REPO: repo})
    if not stored:
        repo.branch = [*(repo.branch or []), late]  # pushed after it, committed before it
    assert world.probe().unchanged == ([REPO] if stored else [])
    if not stored:
        world.sync(REPO, LATER)
        assert late.sha in world.store.read("commits")["sha"].to_list()


def test_a_repo_github_cannot_resolve_is_left_to_its_sync_and_the_others_are_probed(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    world = World(tmp_path, rsps, {REPO: standard_repo(3), OTHER: standard_repo(2)})
    del world.fake.repos[OTHER]  # deleted, or the token lost access
    result = world.probe()
    assert result.unchanged == [REPO] and result.requests == 1


def test_batches_of_repos(tmp_path: Path, rsps: responses.RequestsMock) -> None:
    repos = {f"acme/r{i:02d}": standard_repo(1) for i in range(PROBE_BATCH_SIZE + 3)}
    world = World(tmp_path, rsps, repos)
    result = world.probe()
    assert sorted(result.unchanged) == sorted(repos)
    assert result.requests == 2 == world.fake.count("RepositoriesProbe")


def test_no_probe_for_a_first_sync_a_backfill_or_the_rest_api(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    world = World(tmp_path, rsps, {REPO: standard_repo(3)})
    assert world.probe(since=NOW - timedelta(days=30)) == ProbeResult()
    world.config = make_config(tmp_path, [REPO], "rest")
    assert world.probe() == ProbeResult()
    world.config = make_config(tmp_path, [REPO, OTHER])
    world.store = Store(tmp_path / "empty")
    assert world.probe() == ProbeResult()
    assert world.fake.log == []


def test_without_graphql_the_probe_falls_back_to_the_full_syncs(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    world = World(tmp_path, rsps, {REPO: standard_repo(3)})
    world.fake.graphql = False  # e.g. an Enterprise server behind a proxy without /graphql
    world.config = make_config(tmp_path, [REPO], "auto")
    result = world.probe()
    assert result.unchanged == [] and result.requests == 1 and "probe not possible" in result.note

    world.sync(REPO, LATER)  # falls back to REST and says so in the state
    world.fake.log.clear()
    assert world.probe(now=LATER + timedelta(hours=1)) == ProbeResult()
    assert world.fake.log == []  # a repo synced over REST is not probed


def test_a_failing_probe_falls_back_to_the_full_syncs(tmp_path: Path, rsps: responses.RequestsMock) -> None:
    world = World(tmp_path, rsps, {REPO: standard_repo(3)})
    world.fake.fault("RepositoriesProbe", (502, {}, "Bad Gateway"), times=99)
    state_before = SyncState(world.store).entry("github", REPO)
    result = world.probe(sleep=lambda _: None)
    assert result.unchanged == [] and "probe failed" in result.note
    assert SyncState(world.store).entry("github", REPO) == state_before


def test_more_branch_commits_in_the_window_than_the_probe_lists_send_the_repo_to_the_full_sync(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    """The probe lists the newest `PROBE_DEPTH` commits of the window; with more there, those it
    did not see could be new, so the repo is not taken as unchanged even when all it saw is stored."""
    repo = standard_repo(3)
    repo.branch = [
        person_commit(f"b{i:02d}".ljust(40, "0"), "nino", NOW - timedelta(seconds=10 + i))
        for i in range(PROBE_DEPTH + 1)
    ]
    world = World(tmp_path, rsps, {REPO: repo})  # every one of them stored by the first sync
    assert world.probe().unchanged == []
    repo.branch = repo.branch[:PROBE_DEPTH]  # as many as the probe lists: all seen, all stored
    assert world.probe().unchanged == [REPO]


def test_an_empty_repository_is_probed_as_having_no_branch(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    """A repo without a default branch yet (no commit) answers the probe with no history: it has
    nothing new, as its own sync would find."""
    world = World(tmp_path, rsps, {REPO: Repo(pulls=[], branch=None), OTHER: standard_repo(2)})
    assert world.probe().unchanged == [REPO, OTHER]
