"""The flows under one session-wide Prefect test harness: weekly (offline), quarterly, sync with
retries only for transient errors, and the Dask runner giving the same metrics.json."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from connectors.errors import AuthError, NotFound, TransientError
from core.config import load_config
from core.weeks import Week
from demo.workspace import write_demo_workspace
from flows.cli import app
from sync.github import ProbeResult
from tests.flows.workspace import write_workspace

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


DEMO_WEEK = "2026-W47"
DEMO_TEAMS = {
    "Forecasting": "forecasting",
    "Churn & Retention": "churn-retention",
    "Data Platform": "data-platform",
}


def demo_workspace(folder: Path, extra: str = "") -> Path:
    """The bundled demo workspace (13 weeks ending 2026-W47, three teams, no [email])."""
    config = write_demo_workspace(folder, Week.parse(DEMO_WEEK, ZoneInfo("UTC")))
    if extra:
        config.write_text(
            config.read_text("utf-8").replace("\n[[people]]", f"\n{extra}\n[[people]]", 1), "utf-8"
        )
    return config


def test_weekly_offline_writes_pages_eml_and_artifacts(tmp_path: Path) -> None:
    config = demo_workspace(tmp_path)
    addresses = {team.name: team.email_to for team in load_config(config).teams}
    code, stdout, stderr = radar("run", "--config", str(config), "--offline", "--week", DEMO_WEEK)
    assert (code, stderr) == (0, ""), stdout
    folder = tmp_path / "out" / DEMO_WEEK
    slugs = sorted(DEMO_TEAMS.values())
    expected = [
        "index.html", "metrics.json", "definitions.html", "deliveries.json",
        *(f"{s}.eml" for s in slugs), *(f"{s}.html" for s in slugs),
    ]  # fmt: skip
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
    for team, slug in DEMO_TEAMS.items():
        message = email.message_from_bytes((folder / f"{slug}.eml").read_bytes(), policy=email.policy.default)
        assert [a.addr_spec for a in message["To"].addresses] == addresses[team]
        assert f"{team} — week {DEMO_WEEK}" in message["Subject"]
        assert message.get_content_type() == "multipart/mixed"
        body, attachment = message.iter_parts()
        assert body.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "multipart/related"]
        assert attachment.get_filename() == f"{slug}.html"
        page = (folder / f"{slug}.html").read_text("utf-8")
        assert attachment.get_content().replace("\r\n", "\n") == page

    checklist = artifact(f"radar-checklist-{DEMO_WEEK.lower()}")
    assert checklist["type"] == "markdown"
    assert all(f"| {team} |" in checklist["data"] for team in DEMO_TEAMS)
    link = artifact("radar-page-churn-retention")  # prefect stores a link artifact as markdown
    assert f"({(folder / 'churn-retention.html').as_uri()})" in link["data"]


def test_quarterly_review_writes_weeks_and_trend_pages(tmp_path: Path) -> None:
    config = demo_workspace(tmp_path)
    # 2 Nov 2026 (Mon, W45) to 22 Nov 2026 (Sun, W47): three weeks, one team.
    args = ["--offline", "--from", "2026-11-02", "--to", "2026-11-22", "--team", "Forecasting"]
    code, stdout, stderr = radar("run", "--config", str(config), *args)
    assert (code, stderr) == (0, ""), stdout
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["2026-W45", "2026-W45_2026-W47", "2026-W46", "2026-W47"]
    assert sorted(p.name for p in (out / "2026-W45_2026-W47").iterdir()) == [
        "definitions.html",
        "forecasting.html",
        "index.html",
    ]
    document = json.loads((out / "2026-W46" / "metrics.json").read_text("utf-8"))
    assert [team["team"] for team in document["teams"]] == ["Forecasting"]


def test_sync_retries_only_transient_errors_and_names_the_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.sync_flow

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

    def fake_probe(config: Any, repos: list[str], store: Any, state: Any, token: str, **kwargs: Any) -> Any:
        calls.append(("probe", ",".join(repos)))
        assert token == "gh-test-token"
        return ProbeResult(unchanged=[], probed=len(repos), requests=1)

    monkeypatch.setattr(flows.sync_flow, "sync_github_repo", fake_github)
    monkeypatch.setattr(flows.sync_flow, "probe_github_repos", fake_probe)
    monkeypatch.setattr(flows.sync_flow, "sync_jira_project", fake_jira)
    monkeypatch.setenv("GITHUB_TOKEN", "gh-test-token")
    monkeypatch.setenv("JIRA_TOKEN", "jira-test-token")

    # The pause between tries comes from the config (the default is 30 s, then 120 s).
    config = write_workspace(tmp_path, extra="[runner]\nsync_retry_delay_seconds = [0]\n")
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
        ("probe", "acme/churn,acme/features"),
    ]


@pytest.mark.parametrize("probe_fails", [False, True])
def test_sync_gives_no_task_to_a_repo_the_probe_found_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, probe_fails: bool
) -> None:
    import flows.sync_flow

    synced: list[str] = []

    def fake_github(config: Any, repo: str, store: Any, state: Any, token: str, **kwargs: Any) -> str:
        synced.append(repo)
        return "0 pull requests"

    def fake_probe(config: Any, repos: list[str], store: Any, state: Any, token: str, **kwargs: Any) -> Any:
        if probe_fails:
            raise RuntimeError("the probe broke")
        return ProbeResult(unchanged=["acme/churn"], probed=len(repos), requests=1)

    monkeypatch.setattr(flows.sync_flow, "sync_github_repo", fake_github)
    monkeypatch.setattr(flows.sync_flow, "probe_github_repos", fake_probe)
    monkeypatch.setenv("GITHUB_TOKEN", "gh-test-token")
    config = write_workspace(tmp_path, jira="# no jira")
    code, stdout, stderr = radar("sync", "--config", str(config))
    assert (code, stderr) == (0, ""), stdout
    # A failed probe costs nothing but the probe: every repo is synced as without it.
    assert sorted(synced) == (["acme/churn", "acme/features"] if probe_fails else ["acme/features"])


def test_dask_runner_gives_the_same_metrics_as_threads(tmp_path: Path) -> None:
    threads = demo_workspace(tmp_path / "threads", '[runner]\ntask_runner = "threads"\nmax_workers = 2\n')
    dask = demo_workspace(tmp_path / "dask", '[runner]\ntask_runner = "dask"\ndask_workers = 2\n')
    assert load_config(dask).runner.task_runner == "dask"
    for config in (threads, dask):
        code, stdout, stderr = radar("run", "--config", str(config), "--offline", "--week", DEMO_WEEK)
        assert (code, stderr) == (0, ""), stdout
    by_threads = (tmp_path / "threads" / "out" / DEMO_WEEK / "metrics.json").read_bytes()
    by_dask = (tmp_path / "dask" / "out" / DEMO_WEEK / "metrics.json").read_bytes()
    assert len(json.loads(by_threads)["teams"]) == 3
    assert by_dask == by_threads
    assert (tmp_path / "dask" / "out" / DEMO_WEEK / "forecasting.eml").exists()


def test_run_and_report_write_identical_metrics_for_the_week_in_progress(tmp_path: Path) -> None:
    # Thursday 19 Nov 2026 12:00 in the demo's zone is inside 2026-W47: the week in progress.
    config = demo_workspace(tmp_path)
    instant = "2026-11-19T12:00"
    code, stdout, stderr = radar("run", "--config", str(config), "--offline", "--as-of", instant)
    assert (code, stderr) == (0, ""), stdout
    flow_text = (tmp_path / "out" / DEMO_WEEK / "metrics.json").read_bytes()
    code, _, stderr = radar("report", "--config", str(config), "--as-of", instant)
    assert (code, stderr) == (0, "")
    assert (tmp_path / "out" / DEMO_WEEK / "metrics.json").read_bytes() == flow_text
    document = json.loads(flow_text)
    assert document["complete"] is False
    # Monday to Thursday have begun by Thursday noon: 40 h x 4 / 5 = 32 h expected, every team.
    assert {team["coding"]["expected_hours"] for team in document["teams"]} == {32.0}
    # One team alone (--team) says exactly what the all-team run says about it.
    code, _, stderr = radar("report", "--config", str(config), "--as-of", instant, "--team", "Data Platform")
    assert (code, stderr) == (0, "")
    alone = json.loads((tmp_path / "out" / DEMO_WEEK / "metrics.json").read_text("utf-8"))
    assert alone["teams"] == [team for team in document["teams"] if team["team"] == "Data Platform"]
    assert (
        "to date, as of Thu 19 Nov 12:00" in (tmp_path / "out" / DEMO_WEEK / "data-platform.html").read_text()
    )
