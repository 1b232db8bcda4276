"""One token's rate-limit budget: a GraphQL `RATE_LIMITED` answer is waited out as often as the
known reset allows within `max_rate_limit_wait_seconds`, and the repo syncs that share a token
(each with its own client, as in its own task) pace on one budget instead of racing it to zero.

The fake GitHub keeps a real budget: `limit` requests per 60 s window of a clock that the tests'
sleep moves forward, and a `RATE_LIMITED` answer (remaining 0, the window's reset) once it is
spent. Nothing really waits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.errors import RateLimitExhausted
from core.config import Config
from core.state import SyncState
from core.store import Store
from sync.github import RepoSyncResult, sync_github_repo
from tests.connectors.github_fake import NOW, TOKEN, FakeGithub, Reply, standard_repo
from tests.reliability.helpers import OTHER_REPO, REPO, github_config, reply

WINDOW = timedelta(seconds=60)


class Clock:
    """A clock that only the sleeps move; thread-safe."""

    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += timedelta(seconds=seconds)


class BudgetedGithub(FakeGithub):
    """The fake GitHub with a budget of `limit` requests per window; in the first `stolen`
    windows another tool spends the whole budget before any of ours arrives."""

    def __init__(self, clock: Clock, limit: int, stolen: int = 0) -> None:
        super().__init__()
        self.clock = clock
        self.limit = limit
        self.stolen = stolen
        self.reset_at = NOW + WINDOW
        self.remaining = 0 if stolen else limit
        self.refused = 0
        self.windows = 1
        self.budget_lock = threading.Lock()

    def _answer(self, request: Any) -> Reply:
        with self.budget_lock:
            now = self.clock()
            while now >= self.reset_at:  # a new window
                self.reset_at += WINDOW
                self.windows += 1
                self.remaining = 0 if self.windows <= self.stolen else self.limit
            if self.remaining <= 0:
                self.refused += 1
                self.log.append("refused")
                body = {
                    "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]
                }
                return reply(200, body, self._headers({"X-RateLimit-Resource": "graphql"}))
            self.remaining -= 1
        return super()._answer(request)


def sync(config: Config, store: Store, clock: Clock, repo: str = REPO) -> RepoSyncResult:
    """One repo's sync with its own client, as a Prefect task would run it."""
    return sync_github_repo(config, repo, store, SyncState(store), TOKEN, now=clock, sleep=clock.sleep)


def installed(rsps: responses.RequestsMock, fake: FakeGithub, repos: dict[str, int]) -> None:
    for name, prs in repos.items():
        fake.repos[name] = standard_repo(prs)
    fake.install(rsps)


# -- waiting as often as the reset allows -----------------------------------------------------------


def test_rate_limited_three_windows_in_a_row_is_waited_out_each_time(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    clock = Clock()
    fake = BudgetedGithub(clock, limit=100, stolen=3)  # the first three windows are spent by others
    installed(rsps, fake, {REPO: 7})
    store = Store(tmp_path / "data")
    result = sync(github_config(tmp_path, "graphql"), store, clock)  # before: failed after two waits
    assert result.pull_requests == 7
    assert fake.refused == 3
    # Each wait ends one second after the window's reset: 61 s, then 60 s for the next windows.
    assert clock.sleeps == [61.0, 60.0, 60.0]
    assert SyncState(store).cursor("github", REPO) is not None


def test_the_waits_stop_at_the_maximum_wait_and_keep_the_cursor(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    clock = Clock()
    fake = BudgetedGithub(clock, limit=100, stolen=5)
    installed(rsps, fake, {REPO: 7})
    store = Store(tmp_path / "data")
    config = github_config(tmp_path, "graphql", max_rate_limit_wait_seconds=150)
    with pytest.raises(
        RateLimitExhausted, match=r"resets at 2026-03-02 12:03:00 UTC.*after 121 s of waiting"
    ):
        sync(config, store, clock)
    assert clock.sleeps == [61.0, 60.0]  # a third wait (to 181 s) would pass the 150 s allowed
    assert SyncState(store).cursor("github", REPO) is None


# -- one budget for every client of a token ----------------------------------------------------------


def test_a_second_repo_waits_for_the_reset_the_first_one_saw(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    clock = Clock()
    fake = BudgetedGithub(clock, limit=1)  # one request per window
    installed(rsps, fake, {REPO: 2, OTHER_REPO: 2})  # one page each
    config = github_config(tmp_path, "graphql", repos=[REPO, OTHER_REPO])
    store = Store(tmp_path / "data")
    assert sync(config, store, clock).pull_requests == 2  # its answer: remaining 0 until 12:01
    assert sync(config, store, clock, OTHER_REPO).pull_requests == 2  # a new client
    # Before, the second client knew nothing of the first one's answer: it sent, was refused,
    # then waited. Now it waits first and is never refused.
    assert fake.refused == 0
    assert clock.sleeps == [61.0]


def test_parallel_repo_syncs_pace_on_one_budget_instead_of_racing(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    clock = Clock()
    fake = BudgetedGithub(clock, limit=5)
    repos = {f"acme/repo-{n}": 7 for n in range(4)}  # 3 pages each: 12 requests, 5 per window
    installed(rsps, fake, repos)
    config = github_config(tmp_path, "graphql", repos=list(repos))
    store = Store(tmp_path / "data")
    results: dict[str, RepoSyncResult] = {}
    errors: list[BaseException] = []

    def run(repo: str) -> Callable[[], None]:
        def task() -> None:
            try:
                results[repo] = sync(config, store, clock, repo)
            except BaseException as error:  # reported below
                errors.append(error)

        return task

    threads = [threading.Thread(target=run(repo)) for repo in repos]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert {repo: result.pull_requests for repo, result in results.items()} == repos
    # Racing, each client would have spent what it alone believed was left and met refusals.
    assert fake.refused == 0
    assert clock.sleeps  # they did wait for resets
