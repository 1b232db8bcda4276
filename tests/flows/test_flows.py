"""The flows under one session-wide Prefect test harness: weekly (offline), quarterly, sync with
retries only for transient errors, and the Dask runner giving the same metrics.json."""

from __future__ import annotations

import email
import email.policy
import json
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from connectors.errors import AuthError, NotFound, TransientError
from flows.cli import app
from tests.flows.workspace import ADDRESSES, TEAM_A, TEAM_B, WEEK, write_workspace

pytestmark = pytest.mark.usefixtures("prefect_harness")


def radar(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def artifact(key: str) -> dict[str, Any]:
    """The newest artifact under `key`, read over the API's HTTP interface.

    (prefect 3.8.8's own `Artifact.get` sends `offset: null`, which its server, on the pinned
    fastapi, answers with 422.)"""
    from prefect.settings import PREFECT_API_URL

    query = {"artifacts": {"key": {"any_": [key]}}, "sort": "UPDATED_DESC", "limit": 1, "offset": 0}
    found = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json=query, timeout=10).json()
    assert len(found) == 1, found
    return dict(found[0])


def test_weekly_offline_writes_pages_eml_and_artifacts(tmp_path: Path) -> None:
    config = write_workspace(tmp_path)
    code, stdout, stderr = radar("run", "--config", str(config), "--offline", "--week", WEEK)
    assert (code, stderr) == (0, ""), stdout
    folder = tmp_path / "out" / WEEK
    assert sorted(p.name for p in folder.iterdir()) == [
        "churn-retention.eml", "churn-retention.html", "feature-store.eml", "feature-store.html",
        "index.html", "metrics.json",
    ]  # fmt: skip
    for team, slug in ((TEAM_A, "churn-retention"), (TEAM_B, "feature-store")):
        message = email.message_from_bytes((folder / f"{slug}.eml").read_bytes(), policy=email.policy.default)
        assert message["To"].addresses and [a.addr_spec for a in message["To"].addresses] == ADDRESSES[team]
        assert f"{team} — week {WEEK}" in message["Subject"]
        assert message.get_content_type() == "multipart/mixed"
        body, attachment = message.iter_parts()
        assert body.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
        assert attachment.get_filename() == f"{slug}.html"
        assert attachment.get_content().replace("\r\n", "\n") == (folder / f"{slug}.html").read_text("utf-8")

    checklist = artifact(f"radar-checklist-{WEEK.lower()}")
    assert checklist["type"] == "markdown"
    assert "| Churn & Retention |" in checklist["data"] and "| Feature Store |" in checklist["data"]
    link = artifact("radar-page-churn-retention")  # prefect stores a link artifact as markdown
    assert f"({(folder / 'churn-retention.html').as_uri()})" in link["data"]


def test_quarterly_review_writes_weeks_and_trend_pages(tmp_path: Path) -> None:
    config = write_workspace(tmp_path)
    code, stdout, stderr = radar(
        "run",
        "--config",
        str(config),
        "--offline",
        "--from",
        "2026-02-23",
        "--to",
        "2026-03-15",
        "--team",
        TEAM_A,
    )
    assert (code, stderr) == (0, ""), stdout
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["2026-W09", "2026-W09_2026-W11", "2026-W10", "2026-W11"]
    assert [p.name for p in (out / "2026-W09_2026-W11").iterdir()] == ["churn-retention.html"]
    document = json.loads((out / "2026-W10" / "metrics.json").read_text("utf-8"))
    assert [team["team"] for team in document["teams"]] == [TEAM_A]


def test_sync_retries_only_transient_errors_and_names_the_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.sync

    calls: list[tuple[str, str]] = []

    def fake_github(config: Any, repo: str, store: Any, state: Any, token: str, **kwargs: Any) -> str:
        calls.append(("github", repo))
        assert token == "gh-test-token"
        kwargs["progress"](f"github {repo}: page 1, 3 pull requests")
        if repo == "acme/churn" and calls.count(("github", repo)) == 1:
            raise TransientError("GitHub answered 502 on GraphQL page 1 for acme/churn")
        if repo == "acme/features":
            raise AuthError("GitHub refused the token (401) for acme/features")
        return "3 pull requests"

    def fake_jira(
        config: Any, project: str, store: Any, state: Any, user: Any, token: str, **kwargs: Any
    ) -> str:
        calls.append(("jira", project))
        assert (user, token) == (None, "jira-test-token")
        raise NotFound(f"Jira project {project} does not exist or is not visible")

    monkeypatch.setitem(sys.modules, "flows.sync_github", types.SimpleNamespace(sync_github_repo=fake_github))
    monkeypatch.setitem(sys.modules, "flows.sync_jira", types.SimpleNamespace(sync_jira_project=fake_jira))
    monkeypatch.setattr(flows.sync, "sync_repo", flows.sync.sync_repo.with_options(retry_delay_seconds=0))
    monkeypatch.setattr(
        flows.sync, "sync_project", flows.sync.sync_project.with_options(retry_delay_seconds=0)
    )
    monkeypatch.setenv("GITHUB_TOKEN", "gh-test-token")
    monkeypatch.setenv("JIRA_TOKEN", "jira-test-token")

    config = write_workspace(tmp_path)
    code, _, stderr = radar("sync", "--config", str(config))
    assert code == 1
    assert stderr == (
        "radar: sync failed for 2 source(s): "
        "github acme/features: GitHub refused the token (401) for acme/features; "
        "jira DS: Jira project DS does not exist or is not visible\n"
    )
    # acme/churn: one transient failure, then success; 401 and 404 are never retried.
    assert sorted(calls) == [
        ("github", "acme/churn"),
        ("github", "acme/churn"),
        ("github", "acme/features"),
        ("jira", "DS"),
    ]


def test_dask_runner_gives_the_same_metrics_as_threads(tmp_path: Path) -> None:
    threads = write_workspace(
        tmp_path / "threads", extra='[runner]\ntask_runner = "threads"\nmax_workers = 2\n'
    )
    dask = write_workspace(tmp_path / "dask", extra='[runner]\ntask_runner = "dask"\ndask_workers = 2\n')
    for config in (threads, dask):
        code, stdout, stderr = radar("run", "--config", str(config), "--offline", "--week", WEEK)
        assert (code, stderr) == (0, ""), stdout
    by_threads = (tmp_path / "threads" / "out" / WEEK / "metrics.json").read_bytes()
    by_dask = (tmp_path / "dask" / "out" / WEEK / "metrics.json").read_bytes()
    assert json.loads(by_threads)["teams"]  # not trivially equal: both teams computed
    assert by_dask == by_threads
    assert (tmp_path / "dask" / "out" / WEEK / "feature-store.eml").exists()
