"""Run the installed `radar` command as a subprocess against the fake services, and read its store."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from core.schemas import GITHUB_TABLES, JIRA_TABLES, PRIMARY_KEYS
from core.store import Store
from tests.connectors.github_fake import TOKEN as GITHUB_TOKEN

RADAR = Path(sys.executable).parent / "radar"
PREFECT_STARTUP = threading.Lock()
JIRA_USER = "radar@acme.example"
JIRA_TOKEN = "e2e-jira-api-token"
TABLES = (*GITHUB_TABLES, *JIRA_TABLES)  # what a sync writes (not the self-check answers)

PEOPLE = """
[[people]]
id = "nino"
name = "Nino B."
github = ["nino-b"]
jira = ["5b10ac8d82e05b22cc7d4ef5", "nino.b"]
emails = ["nino@acme.example"]

[[people]]
id = "ana"
name = "Ana K."
github = ["ana-k"]
jira = ["5d53f3cbc6b9320d9ea5bdc2", "ana.k"]
emails = ["ana@acme.example"]

[[people]]
id = "giorgi"
name = "Giorgi M."
github = ["giorgi-m"]
jira = ["557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "giorgi.m"]

[[people]]
id = "luka"
name = "Luka T."
github = ["luka-t"]
jira = ["712020:4a7c1e9d-3b0f-4f6e-9a51-8d2c6e0b7f13", "luka.t"]

[[teams]]
name = "Churn & Retention"
manager = "nino"
members = ["ana", "giorgi", "luka"]
email_to = ["nino@acme.example"]
jira_projects = ["DS"]
"""


def write_config(
    folder: Path,
    github_url: str | None,
    jira_url: str | None,
    *,
    flavor: str = "cloud",
    projects: tuple[str, ...] = ("DS", "OPS"),
    repos: tuple[str, ...] = ("acme/churn-model", "acme/feature-store"),
    api: str = "auto",
    store: str = "data",
    dask_workers: int | None = None,
) -> Path:
    """A radar config for the fakes; the store (unless an s3:// one) and output live beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = [
        'timezone = "Asia/Tbilisi"',
        "work_hours_per_week = 40",
        f'store = "{store}"',
        'output = "out"',
        'bots = ["ci-robot"]',
        "",
        "[runner]",
        "max_workers = 4",
    ]
    if dask_workers is not None:  # a local Dask cluster of that many worker processes
        parts += ['task_runner = "dask"', f"dask_workers = {dask_workers}"]
    if github_url is not None:
        parts += [
            "[github]",
            f'base_url = "{github_url}"',
            'token = "env:GITHUB_TOKEN"',
            "repos = [" + ", ".join(f'"{repo}"' for repo in repos) + "]",
            f'api = "{api}"',
            "page_size = 2",  # several pages from a small dataset
        ]
    if jira_url is not None:
        parts += ["[jira]", f'url = "{jira_url}"', f'flavor = "{flavor}"', 'token = "env:JIRA_TOKEN"']
        if flavor == "cloud":
            parts.append('user = "env:JIRA_USER"')
        parts += [
            f"projects = {list(projects)!r}".replace("'", '"'),
            'decision_statuses = ["Needs Decision"]',
        ]
    parts += [
        "[delegation]",
        'strategic = { labels = ["architecture", "strategy"], issue_types = ["Epic"] }',
        'implementation = { labels = ["design", "planning"], components = ["modelling"] }',
        'handover_labels = ["handover"]',
        "[escalation]",
        'labels = ["escalation", "needs-manager"]',
        "[escalation.reasons]",
        'stakeholder = "stakeholder-misalignment"',
        'timeline-risk = "resource-timeline-risk"',
        'model-anomaly = "unexplained-model-behaviour"',
    ]
    path = folder / "radar.toml"
    path.write_text("\n".join(parts) + "\n" + PEOPLE, "utf-8")
    return path


@dataclass
class Finished:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    def explain(self) -> str:
        return (
            f"radar {' '.join(self.args)} -> exit {self.code} in {self.seconds:.1f} s\n"
            f"--- stderr ---\n{self.stderr}\n--- stdout (tail) ---\n{self.stdout[-4000:]}"
        )


class PrefectServer:
    """One `prefect server start` on loopback that radar processes can share (PREFECT_API_URL).

    Each radar process left alone starts Prefect's temporary server: ~18 s of CPU a run on this
    machine, against ~8 s for the run itself. The session's runs therefore use this one server,
    all but the clean scenario's, which keeps a user's default (no PREFECT_API_URL)."""

    def __init__(self, home: Path, ca_bundle: Path, database: Path | None = None) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        if database is not None:  # already migrated: the server starts without the migrations
            shutil.copyfile(database, home / database.name)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.log = home / "server.log"
        env = Environment(home, ca_bundle).variables(PREFECT_SERVER_UI_ENABLED="false")
        command = [str(RADAR.parent / "prefect"), "server", "start", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--no-services", "--no-ui", "--analytics-off"]
        with open(self.log, "wb") as log:
            self.popen = subprocess.Popen(
                command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._ready = threading.Lock()
        self._up = False

    def wait(self, limit: float = 180) -> str:
        """The API's URL once the server answers its health check (the first caller waits)."""
        with self._ready:
            deadline = time.monotonic() + limit
            while not self._up:
                if self.popen.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"prefect server did not start:\n{self.log.read_text('utf-8')}")
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"{self.url}/health", timeout=1) as answer,
                ):
                    self._up = answer.status == 200
                if not self._up:
                    time.sleep(0.2)
        return self.url

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


class Environment:
    """What every radar process gets: a private PREFECT_HOME, tokens, the throwaway CA, and the
    shared Prefect server if it has one (else each process starts its temporary server)."""

    def __init__(self, prefect_home: Path, ca_bundle: Path, server: PrefectServer | None = None) -> None:
        self.prefect_home = prefect_home
        self.ca_bundle = ca_bundle
        self.server = server

    def variables(self, **overrides: str) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
        env = {name: os.environ[name] for name in keep if name in os.environ}
        env.update(
            {
                "PREFECT_HOME": str(self.prefect_home),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                # The temporary server starts in ~10 s alone, but far slower on a busy machine.
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
                "PREFECT_LOGGING_LEVEL": "INFO",
                "REQUESTS_CA_BUNDLE": str(self.ca_bundle),
                "GITHUB_TOKEN": GITHUB_TOKEN,
                "JIRA_USER": JIRA_USER,
                "JIRA_TOKEN": JIRA_TOKEN,
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.server is not None:
            env["PREFECT_API_URL"] = self.server.wait()
        env.update(overrides)
        return env

    def start(
        self,
        *args: str,
        overrides: dict[str, str] | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> Process:
        """Start `radar ARGS` in its own process group (Prefect's temporary server is a child).

        A command that starts Prefect holds the start of every other radar process of the session
        until its temporary server accepts connections (or `ready()`, or it exited): the server
        takes a random port that looks free and binds it seconds later, so two processes starting
        together can end up sharing one server (seen as a 409 on POST /api/flow_runs/)."""
        folder = self.prefect_home.parent
        folder.mkdir(parents=True, exist_ok=True)
        env = self.variables(**(overrides or {}))  # waits for the shared server, outside the lock
        with PREFECT_STARTUP:
            number = next(_NUMBERS)
            out, err = folder / f"radar-{number}.out", folder / f"radar-{number}.err"
            with open(out, "wb") as stdout, open(err, "wb") as stderr:
                popen = subprocess.Popen(
                    [str(RADAR), *args],
                    env=env,
                    stdout=stdout,
                    stderr=stderr,
                    start_new_session=True,
                )
            process = Process(popen, list(args), out, err, time.monotonic())
            if args and args[0] in PREFECT_COMMANDS and self.server is None:
                process.wait_for_prefect(ready)
        return process

    def run(
        self,
        *args: str,
        timeout: float = 240,
        overrides: dict[str, str] | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> Finished:
        return self.start(*args, overrides=overrides, ready=ready).finish(timeout)


PREFECT_COMMANDS = frozenset({"sync", "run", "serve", "demo"})
_NUMBERS = itertools.count(1)
_TEMPORARY_SERVER = re.compile(rb"Starting temporary server on http://127\.0\.0\.1:(\d+)")


@dataclass
class Process:
    """A running `radar` process whose output goes to files."""

    popen: subprocess.Popen[bytes]
    args: list[str]
    out: Path
    err: Path
    started: float

    def wait_for_prefect(self, ready: Callable[[], bool] | None, limit: float = 120) -> None:
        """Until the temporary server accepts connections, `ready()`, the exit, or `limit` s."""
        deadline = time.monotonic() + limit
        while self.popen.poll() is None and time.monotonic() < deadline:
            if ready is not None and ready():
                return
            found = _TEMPORARY_SERVER.search(self.out.read_bytes())
            if found:
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=0.2).close()
                    return
            time.sleep(0.05)

    def finish(self, timeout: float = 240) -> Finished:
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"radar {' '.join(self.args)} ran over {timeout} s\n{self.output()}"
            ) from None
        return Finished(
            self.args,
            self.popen.returncode,
            self.out.read_text("utf-8", "replace"),
            self.err.read_text("utf-8", "replace"),
            time.monotonic() - self.started,
        )

    def kill(self) -> int:
        """SIGKILL the process group this test started (and nothing else); the exit status."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        return self.popen.wait()

    def output(self) -> str:
        return self.err.read_text("utf-8", "replace") + "\n" + self.out.read_text("utf-8", "replace")[-3000:]


def read_store(root: Path) -> dict[str, pl.DataFrame]:
    """Every table, sorted by its primary key (row order in a Parquet file means nothing)."""
    store = Store(root)
    return {name: store.read(name).sort(list(PRIMARY_KEYS[name]), nulls_last=True) for name in TABLES}


def _rows(frame: pl.DataFrame) -> set[tuple[object, ...]]:
    return {tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in frame.rows()}


def differences(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> list[str]:
    """Tables that differ, each with a sample of the rows only one side has."""
    found = []
    for name in TABLES:
        a, b = left[name], right[name]
        if a.equals(b):
            continue
        only_a, only_b = _rows(a) - _rows(b), _rows(b) - _rows(a)
        found.append(
            f"{name}: {a.height} vs {b.height} rows; only left: {sorted(map(str, only_a))[:4]}; "
            f"only right: {sorted(map(str, only_b))[:4]}"
        )
    return found
