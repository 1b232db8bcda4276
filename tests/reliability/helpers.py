"""Shared pieces of the reliability suite: a fake GitHub that can answer or fail the n-th request
and change the repo between requests, a fixed clock, a recorded sleep, and store comparisons."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

from core.config import Config, parse_config
from core.schemas import PRIMARY_KEYS
from core.state import SyncState
from core.store import Store
from sync.common import FLUSH_ROWS
from sync.github import RepoSyncResult, sync_github_repo
from tests.connectors.github_fake import NOW, TOKEN, FakeGithub, Fault, Reply

REPO = "acme/churn-model"
OTHER_REPO = "acme/feature-store"


class Killed(BaseException):
    """The process dies mid-sync: no `except Exception` in the code under test may catch it."""


class ScriptedGithub(FakeGithub):
    """The fake GitHub, plus: `reply_at[n]` answers (or raises) the n-th request instead, and
    `before[n]` runs before the n-th request is answered (to change the repo mid-sync)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.reply_at: dict[int, Reply | BaseException] = {}
        self.before: dict[int, Callable[[], None]] = {}
        self.bodies: list[dict[str, Any]] = []

    def _answer(self, request: Any) -> Reply:
        number = len(self.log) + 1
        if number in self.before:
            self.before.pop(number)()
        self.bodies.append(json.loads(request.body) if request.body else {})
        if number in self.reply_at:  # checked first among the faults, after the request is logged
            self.faults.insert(0, Fault("", self.reply_at.pop(number)))
        return super()._answer(request)


def reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, text


def epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def github_config(tmp_path: Path, api: str, repos: list[str] | None = None, **extra: Any) -> Config:
    github = {"repos": repos or [REPO], "api": api, "page_size": 3, "max_rate_limit_wait_seconds": 900}
    return parse_config({"store": "data", "github": {**github, **extra}}, tmp_path / "radar.toml")


class GithubRun:
    """Syncs of one store against a fixed clock, recording every sleep and progress line."""

    def __init__(self, tmp_path: Path, api: str, folder: str = "data", **extra: Any) -> None:
        self.config = github_config(tmp_path, api, **extra)
        self.store = Store(tmp_path / folder)
        self.sleeps: list[float] = []
        self.messages: list[str] = []
        self.now = NOW
        self.flush_rows = FLUSH_ROWS

    def __call__(self, repo: str = REPO, token: str = TOKEN) -> RepoSyncResult:
        return sync_github_repo(
            self.config,
            repo,
            self.store,
            SyncState(self.store),
            token,
            now=lambda: self.now,
            sleep=self.sleeps.append,
            progress=self.messages.append,
            flush_rows=self.flush_rows,
        )

    def cursor(self, repo: str = REPO) -> datetime | None:
        return SyncState(self.store).cursor("github", repo)


def assert_keys_unique(store: Store, tables: tuple[str, ...]) -> None:
    for table in tables:
        frame = store.read(table)
        keys = list(PRIMARY_KEYS[table])
        assert frame.height == frame.unique(subset=keys).height, f"{table} holds a primary key twice"


def assert_same_tables(store: Store, expected: Store, tables: tuple[str, ...]) -> None:
    for table in tables:
        keys = list(PRIMARY_KEYS[table])
        assert_frame_equal(store.read(table).sort(keys), expected.read(table).sort(keys))


def frames(store: Store, tables: tuple[str, ...]) -> dict[str, pl.DataFrame]:
    return {table: store.read(table) for table in tables}
