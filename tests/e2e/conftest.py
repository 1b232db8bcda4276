"""Session fixtures: the throwaway CA, and every `radar` run the tests look at.

A `radar sync` process spends ~10 s starting Prefect's temporary server, so the runs are made once
per session, two at a time (the machine has two cores), each scenario on its own pair of loopback
services and its own PREFECT_HOME; the tests then check what each run left behind.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from core.schemas import PRIMARY_KEYS
from core.weeks import last_complete_week
from tests.connectors.github_fake import FakeGithub, Repo
from tests.connectors.test_jira_sync import FakeJira
from tests.e2e import dataset
from tests.e2e.harness import RADAR, Environment, Finished, PrefectServer, read_store, write_config
from tests.e2e.server import DROP, TRUNCATE, Reply, Request, Service, html_502, json_reply
from tests.e2e.tls import Certificates, make_certificates
from tests.s3server import S3Server

WEEK = last_complete_week(datetime.now(UTC), dataset.ZONE)
CLOCK = dataset.Clock(WEEK.start)
# One force-push time for the session, so every store built from the pushed dataset is identical.
PUSHED_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
PARALLEL_RUNS = 2


class Scenario:
    """A workspace (config, store, output), a PREFECT_HOME and a GitHub and a Jira service."""

    def __init__(self, name: str, root: Path, certificates: Certificates) -> None:
        self.name = name
        self.folder = root / name
        self.github = Service("github", certificates)
        self.jira = Service("jira", certificates)
        self.env = Environment(self.folder / "prefect-home", certificates.ca)
        self.config_path: Path | None = None
        self.s3: S3Server | None = None  # set for the object-store scenario
        self.shared: PrefectServer | None = None  # the session's Prefect server
        self.location = "data"  # the config's store: the folder beside it, or an s3:// location
        self.github_base = self.github.url  # GitHub Enterprise layout: <url>/api/v3

    def enterprise(self) -> None:
        """Serve GitHub as GitHub Enterprise does: REST under /api/v3, GraphQL at /api/graphql."""
        self.github_base = f"{self.github.url}/api/v3"

    def close(self) -> None:
        self.github.close()
        self.jira.close()

    # the data behind the services
    def serve(self, *, flavor: str = "cloud", force_pushed: bool = True, graphql: bool = True) -> None:
        repos = dataset.github_repos(CLOCK)
        if force_pushed:
            dataset.force_push(repos, CLOCK, PUSHED_AT)
        self.serve_github(repos, graphql=graphql)
        self.serve_jira(flavor)

    def serve_github(self, repos: dict[str, Repo], *, graphql: bool = True) -> FakeGithub:
        reset = datetime.now(UTC) + timedelta(hours=1)
        fake = FakeGithub(self.github_base, graphql=graphql, reset_at=reset)
        fake.repos = repos
        self.github.reset(fake._answer)
        return fake

    def serve_jira(self, flavor: str) -> FakeJira:
        issues = dataset.raw_issues(dataset.jira_issues(CLOCK), flavor, self.jira.url)
        fake = FakeJira(flavor, issues)
        fake.base = self.jira.url
        fake.projects = {"DS", "OPS"}
        fake.search_page = 2  # several search pages
        fake.embedded_changelog = 3  # DS-2's four histories come from their own endpoint
        fake.embedded_comments = 2  # and its three comments too
        fake.comment_page = 2

        def answer(request: Request) -> Reply:
            if request.path.endswith("/serverInfo"):
                deployment = "Cloud" if flavor == "cloud" else "Server"
                return json_reply(200, {"baseUrl": self.jira.url, "deploymentType": deployment})
            return fake.handle(request)

        self.jira.reset(answer)
        return fake

    # radar
    def configure(self, **options: Any) -> Path:
        github_url = None if options.pop("github", True) is False else self.github_base
        self.config_path = write_config(self.folder, github_url, self.jira.url, **options)
        return self.config_path

    def sync(self, *options: str, **overrides: str) -> Finished:
        assert self.config_path is not None
        return self.env.run(
            "sync", "--config", str(self.config_path), *options, overrides=overrides, ready=self.ready()
        )

    def ready(self) -> Callable[[], bool]:
        """True once a radar process started now has reached one of the services."""
        self.github.requested.clear()
        self.jira.requested.clear()
        return lambda: self.github.requested.is_set() or self.jira.requested.is_set()

    def store(self) -> dict[str, pl.DataFrame]:
        if self.s3 is not None and self.location.startswith("s3://"):
            tables = self.s3.read_store(self.location)
            return {name: tables[name].sort(list(PRIMARY_KEYS[name]), nulls_last=True) for name in tables}
        return read_store(self.folder / "data")

    def counts(self) -> dict[str, list[str]]:
        return {"github": list(self.github.lines), "jira": list(self.jira.lines)}

    def server_errors(self) -> list[str]:
        return self.github.errors + self.jira.errors


# -- the runs -------------------------------------------------------------------------------------


@dataclass
class CleanRuns:
    """A: first sync of version 1; B: after the force-push; C: nothing changed; the report;
    D: `--since` two weeks before the report week (a backfill of what is already there)."""

    first: Finished
    pushed: Finished
    again: Finished
    report: Finished
    backfill: Finished
    stores: dict[str, dict[str, pl.DataFrame]]
    requests: dict[str, dict[str, list[str]]]
    output: Path
    errors: list[str]


def clean_runs(scenario: Scenario) -> CleanRuns:
    scenario.serve(force_pushed=False)
    scenario.configure()
    stores, requests = {}, {}
    first = scenario.sync()  # on its own temporary Prefect server, as a user's first sync
    assert "Starting temporary server" in first.stdout, first.explain()
    scenario.env.server = scenario.shared  # the later runs need not pay for one each
    stores["first"], requests["first"] = scenario.store(), scenario.counts()
    errors = scenario.server_errors()
    scenario.serve(force_pushed=True)
    pushed = scenario.sync()
    stores["pushed"], requests["pushed"] = scenario.store(), scenario.counts()
    errors += scenario.server_errors()
    scenario.serve(force_pushed=True)
    again = scenario.sync()
    stores["again"], requests["again"] = scenario.store(), scenario.counts()
    errors += scenario.server_errors()
    assert scenario.config_path is not None
    report = scenario.env.run("report", "--config", str(scenario.config_path), "--week", WEEK.label)
    scenario.serve(force_pushed=True)
    backfill = scenario.sync("--since", (WEEK.monday - timedelta(days=14)).isoformat())
    stores["backfill"], requests["backfill"] = scenario.store(), scenario.counts()
    errors += scenario.server_errors()
    return CleanRuns(
        first, pushed, again, report, backfill, stores, requests, scenario.folder / "out", errors
    )


@dataclass
class Kill:
    """Where one run was killed: a description, the requests each service had seen, the exit status."""

    where: str
    requests: dict[str, list[str]]
    returncode: int | None = None


@dataclass
class InterruptedRuns:
    kills: list[Kill]
    final: Finished
    final_requests: dict[str, list[str]]
    store: dict[str, pl.DataFrame]
    errors: list[str]
    after: Finished  # one more sync, nothing changed
    after_requests: dict[str, list[str]]


Condition = Callable[[int, str], bool]


def run_and_kill(
    scenario: Scenario, where: str, conditions: dict[str, Condition], *, hold: bool, after: float = 0.0
) -> Kill:
    """Start a sync; when every service has seen a request meeting its condition, SIGKILL the run.

    With `hold` each such request waits unanswered until the kill (the client is blocked on the
    network); without it the answer goes out and the kill follows `after` seconds later (the
    client is busy with it: parsing, writing the store)."""
    services = {"github": scenario.github, "jira": scenario.jira}
    reached = {name: threading.Event() for name in conditions}
    release = threading.Event()

    def hook_for(name: str) -> Callable[[int, str], None]:
        def hook(number: int, line: str) -> None:
            if not reached[name].is_set() and conditions[name](number, line):
                reached[name].set()
                if hold:
                    release.wait(60)

        return hook

    for name in conditions:
        services[name].on_request = hook_for(name)
    assert scenario.config_path is not None
    process = scenario.env.start("sync", "--config", str(scenario.config_path), ready=scenario.ready())
    deadline = time.monotonic() + 180
    try:
        while not all(event.is_set() for event in reached.values()):
            if process.popen.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"{where}: the run ended or stalled before the kill point\n{process.output()}"
                )
            time.sleep(0.01)
        time.sleep(after)
    finally:
        returncode = process.kill()
        release.set()
        for service in services.values():
            service.on_request = None
    kill = Kill(where, scenario.counts(), returncode)
    scenario.github.lines.clear()
    scenario.jira.lines.clear()
    return kill


def interrupted_runs(scenario: Scenario) -> InterruptedRuns:
    scenario.enterprise()
    scenario.serve()
    scenario.configure()
    kills = [
        run_and_kill(
            scenario,
            "GitHub blocked on its 3rd request, Jira waiting for DS-2's changelog",
            {"github": lambda n, _: n >= 3, "jira": lambda _, line: "/issue/DS-2/changelog" in line},
            hold=True,
        ),
        run_and_kill(
            scenario,
            "both services waiting on their 2nd request of the rerun",
            {"github": lambda n, _: n >= 2, "jira": lambda n, _: n >= 2},
            hold=True,
        ),
        run_and_kill(
            scenario,
            "50 ms after GitHub's 3rd answer of the run went out (client busy writing)",
            {"github": lambda n, _: n >= 3},
            hold=False,
            after=0.05,
        ),
    ]
    errors = scenario.server_errors()
    final = scenario.sync()
    final_requests, store = scenario.counts(), scenario.store()
    errors += scenario.server_errors()
    scenario.serve()
    after = scenario.sync()
    errors += scenario.server_errors()
    return InterruptedRuns(kills, final, final_requests, store, errors, after, scenario.counts())


@dataclass
class SingleRun:
    finished: Finished
    store: dict[str, pl.DataFrame]
    requests: dict[str, list[str]]
    errors: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


def single_run(
    scenario: Scenario,
    prepare: Callable[[Scenario], dict[str, Any] | None],
    *,
    report: bool = False,
    **overrides: str,
) -> SingleRun:
    extra = prepare(scenario) or {}
    finished = scenario.sync(**overrides)
    if report:
        assert scenario.config_path is not None
        extra["report"] = scenario.env.run(
            "report", "--config", str(scenario.config_path), "--week", WEEK.label
        )
        extra["output"] = scenario.folder / "out"
    return SingleRun(finished, scenario.store(), scenario.counts(), scenario.server_errors(), extra)


def prefect_database(home: Path, certificates: Certificates) -> Path:
    """A migrated Prefect database, made once: each scenario starts from a copy in its own
    PREFECT_HOME instead of paying the migrations (~6 s) in its first radar process."""
    env = Environment(home, certificates.ca).variables()
    done = subprocess.run(
        [str(RADAR.parent / "prefect"), "server", "database", "upgrade", "-y"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    database = home / "prefect.db"
    assert done.returncode == 0 and database.exists(), f"prefect database upgrade failed:\n{done.stderr}"
    return database


# The scenarios whose first radar process starts Prefect's temporary server, as a user's does with
# no PREFECT_API_URL; every other run of the session uses one `prefect server start` (harness.py).
OWN_SERVER = frozenset({"clean"})


class Runs:
    """Every run of the session, started at once on a small pool; `get(name)` waits for one."""

    def __init__(
        self,
        root: Path,
        certificates: Certificates,
        plan: dict[str, Callable[[Scenario], Any]],
        s3: S3Server | None = None,
    ) -> None:
        self.scenarios = {name: Scenario(name, root, certificates) for name in plan}
        self.server: PrefectServer | None = None
        for scenario in self.scenarios.values():
            scenario.s3 = s3
        if plan:
            database = prefect_database(root / "prefect-template", certificates)
            self.server = PrefectServer(root / "prefect-server", certificates.ca, database)
            for name, scenario in self.scenarios.items():
                scenario.env.prefect_home.mkdir(parents=True)
                shutil.copyfile(database, scenario.env.prefect_home / database.name)
                scenario.shared = self.server
                if name not in OWN_SERVER:
                    scenario.env.server = self.server
        self.pool = ThreadPoolExecutor(max_workers=PARALLEL_RUNS, thread_name_prefix="radar-run")
        self.futures: dict[str, Future[Any]] = {
            name: self.pool.submit(job, self.scenarios[name]) for name, job in plan.items()
        }

    def get(self, name: str) -> Any:
        return self.futures[name].result(timeout=600)

    def folders(self) -> list[Path]:
        """Every folder the runs wrote to: the scenarios' and the shared Prefect server's home."""
        shared = [self.server.home] if self.server is not None else []
        return [scenario.folder for scenario in self.scenarios.values()] + shared

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for scenario in self.scenarios.values():
            scenario.close()
        if self.server is not None:
            self.server.close()


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


# -- the scenarios -------------------------------------------------------------------------------

SECONDARY_LIMIT = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID "
    "8F4C:2B1A:1D2E3F:4A5B6C:6745D0A1.",
    "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits",
}
GRAPHQL_TIMEOUT = {
    "data": None,
    "errors": [
        {
            "message": "Something went wrong while executing your query. This may be the result of a "
            "timeout, or it could be a GitHub bug. Please include "
            "`C6D2:36A1:9B2F5E:A1B9C4:6745D0A2` when reporting this issue."
        }
    ],
}


def faulty(scenario: Scenario) -> dict[str, Any]:
    """Every transient fault once, spread over the run so each retry meets a healthy server."""
    scenario.serve()
    scenario.configure()
    github, jira = scenario.github, scenario.jira
    faults = {
        "github 429 Retry-After: 1": github.fault(
            json_reply(429, SECONDARY_LIMIT, {"Retry-After": "1"}), at=1
        ),
        "github 403 secondary rate limit, Retry-After: 1": github.fault(
            json_reply(403, SECONDARY_LIMIT, {"Retry-After": "1"}), at=2
        ),
        "github 502 with an HTML body": github.fault(html_502(), at=4),
        "github dropped connection": github.fault(DROP, at=6),
        "github truncated body": github.fault(TRUNCATE, at=8),
        "github GraphQL 200 with errors": github.fault(json_reply(200, GRAPHQL_TIMEOUT), at=10),
        "jira 429 Retry-After: 1": jira.fault(
            json_reply(429, {"errorMessages": ["Rate limit exceeded."]}, {"Retry-After": "1"}), at=1
        ),
        "jira 502 with an HTML body": jira.fault(html_502(), at=3),
        "jira dropped connection": jira.fault(DROP, at=5),
        "jira truncated body": jira.fault(TRUNCATE, at=7),
    }
    return {"faults": faults}


def rest_and_server(scenario: Scenario) -> dict[str, Any]:
    """GitHub Enterprise without a GraphQL API (REST fallback) and Jira Server, with faults on
    the REST and Server paths too."""
    scenario.enterprise()
    scenario.serve(flavor="server", graphql=False)
    scenario.configure(flavor="server")
    github, jira = scenario.github, scenario.jira
    faults = {
        "github REST 502 with an HTML body": github.fault(html_502(), match="GET /api/v3/repos/", skip=2),
        "github REST truncated body": github.fault(TRUNCATE, match="/reviews", skip=1),
        "github REST dropped connection": github.fault(DROP, match="/commits", skip=1),
        "jira Server 502 with an HTML body": jira.fault(html_502(), match="/rest/api/2/search", skip=1),
        "jira Server truncated body": jira.fault(TRUNCATE, match="/rest/api/2/issue/DS-2"),
    }
    return {"faults": faults}


def rejected(scenario: Scenario) -> None:
    scenario.serve()
    scenario.configure(projects=("DS", "NOPE"))


def wrong_flavor(scenario: Scenario) -> None:
    """A Jira Server config pointed at Jira Cloud, and a GitHub repo that does not exist."""
    scenario.serve(flavor="cloud")
    scenario.configure(flavor="server", projects=("DS",), repos=("acme/missing", dataset.CHURN))


def echoing(scenario: Scenario) -> None:
    """GitHub and Jira that quote the request's Authorization header in their error text: GitHub
    first as a GraphQL timeout (retried, so logged on the way), then as a fatal GraphQL error; Jira
    as a 405 with `errorMessages` (basic auth: the base64 of user:token)."""
    scenario.configure()
    answered: dict[str, int] = {}

    def github(request: Request) -> Reply:
        auth = request.headers.get("Authorization", "")
        answered[request.path] = answered.get(request.path, 0) + 1
        if answered[request.path] == 1:
            message = f"Something went wrong while executing your query with {auth}"
            return json_reply(200, {"data": None, "errors": [{"message": message}]})
        return json_reply(200, {"errors": [{"type": "UNAUTHORIZED", "message": f"Bad header {auth}"}]})

    def jira(request: Request) -> Reply:
        auth = request.headers.get("Authorization", "")
        return json_reply(405, {"errorMessages": [f"Method not allowed for {auth}"], "errors": {"a": auth}})

    scenario.github.reset(github)
    scenario.jira.reset(jira)


def dead_github(scenario: Scenario) -> dict[str, Any]:
    """GitHub's host refuses every connection (nothing listens on its port); Jira is fine."""
    scenario.serve()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens there once the socket is closed: every connect is refused.
    scenario.github_base = f"https://127.0.0.1:{port}"
    scenario.configure(repos=("acme/churn-model", "acme/feature-store", "acme/missing"))
    return {"dead": f"127.0.0.1:{port}"}


@dataclass
class ObjectStoreRuns:
    """Two syncs at once into one S3 store (one repo and one project each), then a sync of the
    whole config (nothing new) and the report, all with `store = "s3://..."`."""

    together: list[Finished]
    store: dict[str, pl.DataFrame]
    again: Finished
    again_requests: dict[str, list[str]]
    store_again: dict[str, pl.DataFrame]
    report: Finished
    output: Path
    errors: list[str]


def object_store_runs(scenario: Scenario) -> ObjectStoreRuns:
    assert scenario.s3 is not None
    scenario.location = scenario.s3.new_location("e2e")
    aws = scenario.s3.env
    scenario.serve(force_pushed=True)
    halves = [
        write_config(
            scenario.folder / half,
            scenario.github_base,
            scenario.jira.url,
            repos=(repo,),
            projects=(project,),
            store=scenario.location,
        )
        for half, repo, project in (("one", dataset.CHURN, "DS"), ("two", dataset.STORE, "OPS"))
    ]
    # Each start waits for its own temporary Prefect server (not for the other's requests).
    started = [scenario.env.start("sync", "--config", str(path), overrides=aws) for path in halves]
    together = [process.finish() for process in started]
    store = scenario.store()
    errors = scenario.server_errors()
    config = scenario.configure(store=scenario.location)
    scenario.serve(force_pushed=True)
    again = scenario.sync(**aws)
    again_requests, store_again = scenario.counts(), scenario.store()
    errors += scenario.server_errors()
    report = scenario.env.run("report", "--config", str(config), "--week", WEEK.label, overrides=aws)
    return ObjectStoreRuns(
        together, store, again, again_requests, store_again, report, scenario.folder / "out", errors
    )


REVOKED_TOKEN = "ghp_revoked_token_not_real_000000000000"

PLAN: dict[str, Callable[[Scenario], Any]] = {
    "clean": clean_runs,
    "interrupted": interrupted_runs,
    "faults": lambda s: single_run(s, faulty),
    "rest_server": lambda s: single_run(s, rest_and_server, report=True),
    "rejected": lambda s: single_run(s, rejected, GITHUB_TOKEN=REVOKED_TOKEN),
    "wrong_flavor": lambda s: single_run(s, wrong_flavor),
    "echo": lambda s: single_run(s, echoing),
    "dead_host": lambda s: single_run(s, dead_github),
    "object_store": object_store_runs,
}


WANTED: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario(*names): the session runs (PLAN keys) a test reads")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Make only the runs the selected tests read (`-k` picks a few tests, not all runs)."""
    for item in session.items:
        for mark in item.iter_markers("scenario"):
            WANTED.update(mark.args)


@pytest.fixture(scope="session")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, certificates: Certificates
) -> Iterator[Runs]:
    plan = {name: job for name, job in PLAN.items() if name in WANTED}
    # The object-store scenario's S3 server (tests/conftest.py) starts only when it runs.
    s3 = request.getfixturevalue("s3_server") if "object_store" in plan else None
    started = Runs(tmp_path_factory.mktemp("e2e"), certificates, plan, s3)
    yield started
    started.close()
