"""API cost of a sync: requests, requests per PR / issue and wall time against counting fakes.

GitHub, on the same synthetic organisation in one run: the connector's GraphQL path, its REST
fallback, and the BASELINE — the straightforward PyGithub loop (list PRs by update, then per PR
its reviews, issue events and commits; then the default branch's commits). Jira Cloud: the
connector. Each for a cold sync, a re-sync with nothing changed, and a re-sync after 1 % of the
PRs / issues changed. The cold syncs are also run into an S3 store (`s3://…`, moto's S3 server
on loopback, tests/s3server.py) beside the folder store: wall time and the S3 requests it made.

`python -m bench.api_cost [--scale 0.2] [--json FILE]`
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import responses
from github import Auth, Github

from bench.fakes import GITHUB_URL, JIRA_URL, TOKEN, FakeGithub, FakeJira, Meter
from bench.generate import SyncOrg, change_some, sync_org
from connectors.github import github_client
from connectors.jira import jira_client
from core.config import Config, parse_config
from core.state import SyncState
from core.store import Store
from sync.github import probe_github_repos, sync_github_repo
from sync.jira import sync_jira_project
from tests.s3server import BUCKET, S3Server

SCENARIOS = ("cold", "no change", "1 % changed")
BASELINE_OVERLAP = timedelta(minutes=5)


@dataclass
class Measurement:
    """One sync of one path in one scenario."""

    source: str  # github | jira
    path: str  # graphql | rest | baseline | cloud
    scenario: str
    requests: int
    units: int  # PRs or issues in the organisation
    changed: int  # PRs or issues written (baseline: PRs read in full)
    wall_seconds: float
    fake_seconds: float
    by_endpoint: dict[str, int] = field(default_factory=dict)
    store_requests: int = 0  # requests to the S3 store (the -s3 paths)

    @property
    def per_unit(self) -> float:
        return self.requests / self.units if self.units else 0.0


def _config(org: SyncOrg, api: str) -> Config:
    return parse_config(
        {
            "github": {"repos": list(org.repos), "api": api},
            "jira": {"url": JIRA_URL, "user": "env:JIRA_USER", "projects": org.projects},
        }
    )


def _no_sleep(_: float) -> None:
    return None


def connector_github(org: SyncOrg, api: str, root: Path | str, now: datetime) -> tuple[int, int]:
    """Sync every repo through the connector as the sync flow does — the probe, then each repo it
    did not find unchanged; returns (requests it counted, PRs written)."""
    config = _config(org, api)
    store = Store(root)
    state = SyncState(store)
    client = github_client(config, TOKEN, sleep=_no_sleep, now=lambda: now)
    repos = list(org.repos)
    probe = probe_github_repos(
        config, repos, store, state, TOKEN, now=lambda: now, sleep=_no_sleep, client=client
    )
    written = 0
    for repo in repos:
        if repo in probe.unchanged:
            continue
        result = sync_github_repo(
            config, repo, store, state, TOKEN, now=lambda: now, sleep=_no_sleep, client=client
        )
        written += result.pull_requests
    return client.requests, written


def baseline_github(org: SyncOrg, since: datetime | None, now: datetime) -> tuple[int, int]:
    """The straightforward PyGithub loop, with PyGithub's defaults except the 0.25 s sleep
    (`seconds_between_requests=0`; its requests are counted by the fake). Reads what the
    connector stores; returns (-1: counted by the fake, PRs read in full)."""
    github = Github(auth=Auth.Token(TOKEN), base_url=GITHUB_URL, seconds_between_requests=0)
    read = 0
    rows: list[tuple[Any, ...]] = []
    for name in org.repos:
        repo = github.get_repo(name)
        for pr in repo.get_pulls(state="all", sort="updated", direction="desc"):
            updated = pr.updated_at
            if since is not None and updated is not None and updated < since:
                break
            read += 1
            rows.append(
                (pr.number, pr.user.login, pr.title, pr.state, pr.created_at, pr.merged_at, pr.closed_at)
            )
            rows += [(r.id, r.user.login, r.state, r.submitted_at) for r in pr.get_reviews()]
            for event in pr.get_issue_events():
                if event.event in ("review_requested", "review_request_removed"):
                    reviewer = event.requested_reviewer
                    rows.append(
                        (event.event, event.created_at, event.actor.login, reviewer and reviewer.login)
                    )
            for commit in pr.get_commits():
                author = commit.commit.author
                rows.append((commit.sha, commit.author and commit.author.login, author.email, author.date))
        branch_since = since if since is not None else now - timedelta(days=120)
        rows += [(c.sha, c.commit.author.date) for c in repo.get_commits(since=branch_since)]
    return -1, read


def connector_jira(org: SyncOrg, root: Path | str, now: datetime) -> tuple[int, int]:
    config = _config(org, "graphql")
    store = Store(root)
    state = SyncState(store)
    client = jira_client(config, "bench@acme.example", TOKEN, sleep=_no_sleep, now=lambda: now)
    written = 0
    for project in org.projects:
        result = sync_jira_project(
            config, project, store, state, "bench@acme.example", TOKEN,
            now=lambda: now, sleep=_no_sleep, client=client,
        )  # fmt: skip
        written += result.issues
    return client.requests, written


def _measure(
    source: str, path: str, scenario: str, units: int, meter: Meter, run: Callable[[], tuple[int, int]]
) -> Measurement:
    meter.reset()
    started = time.perf_counter()
    counted, changed = run()
    wall = time.perf_counter() - started
    endpoints, fake_seconds = meter.snapshot()
    total = sum(endpoints.values())
    if counted >= 0 and counted != total:
        logging.getLogger(__name__).warning(
            "%s %s: client counted %d requests, fake %d", path, scenario, counted, total
        )
    return Measurement(source, path, scenario, total, units, changed, wall, fake_seconds, endpoints)


def measure(
    scale: float = 1.0, progress: Callable[[str], None] = print
) -> tuple[list[Measurement], dict[str, int]]:
    """Run every path through every scenario on one organisation."""
    org = sync_org(
        repos=max(2, round(50 * scale)),
        people=150,
        pull_requests=max(20, round(6_000 * scale)),
        issues=max(20, round(20_000 * scale)),
        projects=max(1, round(10 * scale)),
    )
    counts = org.counts()
    progress(f"sync-scale organisation: {counts}")
    pulls, issues = org.pull_count, len(org.issues)
    meter = Meter()
    github, jira = FakeGithub(org, meter), FakeJira(org, meter)
    results: list[Measurement] = []
    times = {
        "cold": org.now,
        "no change": org.now + timedelta(hours=1),
        "1 % changed": org.now + timedelta(hours=2),
    }
    baseline_since: datetime | None = None
    with (
        tempfile.TemporaryDirectory(prefix="radar-bench-") as tmp,
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        github.install(mock)
        jira.install(mock)
        s3_log = Path(tmp) / "s3-requests.log"
        s3 = S3Server.start(str(s3_log))
        os.environ.update(s3.env)
        s3.client().create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]

        def s3_requests() -> int:
            return len(s3_log.read_text().splitlines())

        def into_s3(source: str, path: str, run: Callable[[], tuple[int, int]], units: int) -> None:
            before = s3_requests()
            results.append(_measure(source, path, "cold", units, meter, run))
            results[-1].store_requests = s3_requests() - before
            progress(_line(results[-1]))

        for scenario in SCENARIOS:
            now = times[scenario]
            if scenario == "1 % changed":
                changed_prs, changed_issues = change_some(org, 0.01, now - timedelta(minutes=30))
                jira.refresh()
                progress(f"changed {changed_prs} PRs and {changed_issues} issues")
            for api in ("graphql", "rest"):
                root = Path(tmp) / api

                def run_connector(api: str = api, root: Path = root, now: datetime = now) -> tuple[int, int]:
                    return connector_github(org, api, root, now)

                results.append(_measure("github", api, scenario, pulls, meter, run_connector))
                progress(_line(results[-1]))

            def run_baseline(since: datetime | None = baseline_since, now: datetime = now) -> tuple[int, int]:
                return baseline_github(org, since, now)

            results.append(_measure("github", "baseline", scenario, pulls, meter, run_baseline))
            progress(_line(results[-1]))
            baseline_since = now - BASELINE_OVERLAP

            def run_jira(now: datetime = now) -> tuple[int, int]:
                return connector_jira(org, Path(tmp) / "jira", now)

            results.append(_measure("jira", "cloud", scenario, issues, meter, run_jira))
            progress(_line(results[-1]))
            if scenario == "cold":
                github_s3, jira_s3 = s3.new_location("bench-github"), s3.new_location("bench-jira")

                def github_into_s3(location: str = github_s3, now: datetime = now) -> tuple[int, int]:
                    return connector_github(org, "graphql", location, now)

                def jira_into_s3(location: str = jira_s3, now: datetime = now) -> tuple[int, int]:
                    return connector_jira(org, location, now)

                into_s3("github", "graphql-s3", github_into_s3, pulls)
                into_s3("jira", "cloud-s3", jira_into_s3, issues)
        s3.stop()
    return results, counts


def _line(m: Measurement) -> str:
    unit = "PR" if m.source == "github" else "issue"
    top = ", ".join(f"{k}: {v}" for k, v in sorted(m.by_endpoint.items(), key=lambda kv: -kv[1])[:4])
    return (
        f"{m.source:6} {m.path:8} {m.scenario:12} {m.requests:7d} requests ({m.per_unit:.3f}/{unit}), "
        f"{m.wall_seconds:6.1f} s wall ({m.fake_seconds:.1f} s in the fake), "
        f"{m.changed} written/read  [{top}]"
        + (f", {m.store_requests} S3 requests" if m.store_requests else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the default sync scale")
    parser.add_argument("--json", type=Path, help="write the measurements here")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results, counts = measure(arguments.scale)
    if arguments.json:
        arguments.json.write_text(
            json.dumps(
                {"scale": arguments.scale, "org": counts, "results": [asdict(r) for r in results]}, indent=2
            )
        )


if __name__ == "__main__":
    main()
