"""Interrupted syncs and damaged files: kill the sync after page 2 of 5 (raised from the
transport, as a dying process would stop it) and rerun; records sharing one `updated_at` across
the cut; a record changed while the sync runs; a damaged Parquet or state file."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import responses

from core.schemas import GITHUB_TABLES, JIRA_TABLES, SCHEMAS
from core.store import StoreError
from tests.connectors.github_fake import NOW, Repo, standard_repo
from tests.connectors.test_jira_sync import FakeJira, Run, dataset
from tests.reliability.helpers import (
    REPO,
    GithubRun,
    Killed,
    ScriptedGithub,
    assert_keys_unique,
    assert_same_tables,
)

# 15 PRs in pages of 3: page 3 is GraphQL request 3, REST request 21 (page 1, 3 x reviews/events/
# commits, page 2, 3 x the same, page 3).
PAGE_3 = {"graphql": 3, "rest": 21}
# Rows are written every `flush_rows` rows and at the end: 1 writes every page as it arrives,
# the default (far more than these repos hold) writes once, at the end.
FLUSHES = {"per page": 1, "at the end": None}


def github(rsps: responses.RequestsMock, repo: Repo) -> ScriptedGithub:
    fake = ScriptedGithub()
    fake.repos[REPO] = repo
    fake.install(rsps)
    return fake


def same_updated_at(repo: Repo) -> Repo:
    for pull in repo.pulls:
        pull.updated = NOW - timedelta(hours=1)
    return repo


# -- GitHub ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("flush", sorted(FLUSHES))
@pytest.mark.parametrize("shape", ["distinct", "same updated_at"])
@pytest.mark.parametrize("api", ["graphql", "rest"])
def test_github_killed_after_page_2_of_5_then_rerun_equals_a_clean_run(
    tmp_path: Path, rsps: responses.RequestsMock, api: str, shape: str, flush: str
) -> None:
    repo = standard_repo(15)
    fake = github(rsps, same_updated_at(repo) if shape == "same updated_at" else repo)
    clean = GithubRun(tmp_path, api, folder="clean")
    clean()

    fake.log.clear()
    fake.reply_at[PAGE_3[api]] = Killed()
    run = GithubRun(tmp_path, api)
    run.flush_rows = FLUSHES[flush] or run.flush_rows
    with pytest.raises(Killed):
        run()
    # Flushed per page, pages 1 and 2 are durable; flushed at the end, nothing is written yet.
    assert run.store.read("pull_requests").height == (6 if flush == "per page" else 0)
    assert run.cursor() is None  # and nothing is claimed as synced

    run()
    assert_keys_unique(run.store, GITHUB_TABLES)
    assert_same_tables(run.store, clean.store, GITHUB_TABLES)
    assert run.cursor() == clean.cursor()


@pytest.mark.parametrize("api", ["graphql", "rest"])
def test_github_pr_changed_during_the_sync_is_read_next_run(
    tmp_path: Path, rsps: responses.RequestsMock, api: str
) -> None:
    repo = standard_repo(15)
    fake = github(rsps, repo)
    oldest = repo.pulls[-1]

    def touch_the_oldest() -> None:  # it jumps to the front of the list, behind the pages read
        oldest.updated = NOW + timedelta(minutes=1)
        oldest.title = "Changed during the sync"

    fake.before[PAGE_3[api] - 10 if api == "rest" else 2] = touch_the_oldest
    run = GithubRun(tmp_path, api)
    run()
    assert oldest.number not in run.store.read("pull_requests")["number"].to_list()
    assert run.cursor() is not None and run.cursor() <= NOW  # type: ignore[operator]

    run.now = NOW + timedelta(hours=1)
    run()
    stored = run.store.read("pull_requests").filter(pl.col("number") == oldest.number)
    assert stored["title"].to_list() == ["Changed during the sync"]
    assert run.store.read("pull_requests").height == 15


# -- Jira -------------------------------------------------------------------------------------------


def five_issues(flavor: str, same_updated: bool) -> list[dict[str, Any]]:
    template = dataset(flavor)[0]
    issues = []
    for n in range(5):
        issue = copy.deepcopy(template)
        issue["id"], issue["key"] = str(91000 + n), f"DS-{200 + n}"
        minute = 0 if same_updated else n
        issue["fields"]["updated"] = f"2026-11-04T10:{minute:02d}:00.000+0000"
        for i, history in enumerate(issue["changelog"]["histories"]):
            history["id"] = f"{91000 + n}{i}"
        for i, comment in enumerate(issue["fields"]["comment"]["comments"]):
            comment["id"] = f"{91000 + n}{i}"
        issues.append(issue)
    return issues


class Kill:
    """Kills the sync when the third search page is asked for."""

    def __call__(self, fake: FakeJira, served: int) -> None:
        if served == 2:
            raise Killed()


@pytest.mark.parametrize("flush", sorted(FLUSHES))
@pytest.mark.parametrize("same_updated", [False, True])
@pytest.mark.parametrize("flavor", ["cloud", "server"])
def test_jira_killed_after_page_2_of_5_then_rerun_equals_a_clean_run(
    tmp_path: Path, rsps: responses.RequestsMock, flavor: str, same_updated: bool, flush: str
) -> None:
    issues = five_issues(flavor, same_updated)
    clean = Run(tmp_path / "clean", flavor, FakeJira(flavor, issues, search_page=1), rsps)
    clean.sync()
    rsps.reset()

    run = Run(tmp_path / "run", flavor, FakeJira(flavor, issues, search_page=1), rsps)
    run.fake.before_search_page = Kill()
    flush_rows = {"flush_rows": FLUSHES[flush]} if FLUSHES[flush] else {}
    with pytest.raises(Killed):
        run.sync(**flush_rows)
    # Flushed per page, pages 1 and 2 are durable; flushed at the end, nothing is written yet.
    assert run.store.read("issues").height == (2 if flush == "per page" else 0)
    assert run.state.cursor("jira", "DS") is None

    run.fake.before_search_page = None
    run.sync()
    assert_keys_unique(run.store, JIRA_TABLES)
    assert_same_tables(run.store, clean.store, JIRA_TABLES)
    assert run.store.read("issues").height == 5


# -- damaged files ----------------------------------------------------------------------------------


DAMAGE = {
    "state not JSON": ("state.json", b'{"github": {"acme/churn-model": {"cursor": "2026-03-'),
    "state empty": ("state.json", b""),
    "state of the wrong shape": ("state.json", b'{"github": ["acme/churn-model"]}'),
    "state with a cursor that is no time": (
        "state.json",
        b'{"github": {"acme/churn-model": {"cursor": "yesterday"}}}',
    ),
    "table cut short": ("pull_requests", None),
    "table of the wrong types": ("pull_requests", b"wrong types"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_file_stops_the_sync_naming_the_file_and_the_rebuild(
    tmp_path: Path, rsps: responses.RequestsMock, damage: str
) -> None:
    fake = github(rsps, standard_repo(3))
    run = GithubRun(tmp_path, "graphql")
    run()
    name, content = DAMAGE[damage]
    path = run.store.part_path(name, REPO) if name in SCHEMAS else run.store.root / name
    if content is None:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif content == b"wrong types":
        pl.DataFrame({"repo": [REPO], "number": ["not a number"]}).write_parquet(path)
    else:
        path.write_bytes(content)
    before = len(fake.log)

    run.now = NOW + timedelta(hours=1)
    with pytest.raises(StoreError) as caught:
        run()
    message = str(caught.value)
    assert str(path) in message and "radar sync --since" in message
    assert len(fake.log) == before  # nothing was read on a guessed starting point
