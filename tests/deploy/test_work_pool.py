"""The scheduled production path, end to end: a real `prefect server start` on loopback,
`prefect deploy` of the repository's prefect.yaml to a process work pool, `prefect deployment run`
of the weekly flow on the demo workspace (offline), and `prefect worker start` running it.

Slow (a server, five Prefect commands and a flow run: 2-4 minutes on two busy cores), so it is
marked `deploy`: `make test` leaves it out and `make test-deploy` (run by .ci/run) runs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from demo.workspace import write_demo_workspace

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WEEK = "2026-W47"  # the demo workspace's last week
pytestmark = [pytest.mark.deploy, pytest.mark.timeout(1200)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Prefect:
    """Prefect commands against one server, each with the same private PREFECT_HOME."""

    def __init__(self, home: Path, port: int, config: Path) -> None:
        self.api = f"http://127.0.0.1:{port}/api"
        self.port = port
        self.log = home.parent / "commands.log"
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
        self.env = {name: os.environ[name] for name in keep if name in os.environ}
        self.env.update(
            {
                "PREFECT_HOME": str(home),
                "PREFECT_API_URL": self.api,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "RADAR_CONFIG": str(config),  # prefect.yaml's parameters read it
                "PWD": str(REPO),  # prefect.yaml's pull step: the worker runs the flows from here
            }
        )

    def run(self, *args: str, timeout: float = 240) -> str:
        """`prefect ARGS` from the repository's folder; its output (stdout and stderr)."""
        done = subprocess.run(
            [str(BIN / "prefect"), *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = done.stdout + done.stderr
        with open(self.log, "a") as log:
            log.write(f"$ prefect {' '.join(args)} -> {done.returncode}\n{output}\n")
        assert done.returncode == 0, f"prefect {' '.join(args)} -> exit {done.returncode}\n{output[-4000:]}"
        return output

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.api}{path}", timeout=30) as answer:
            return json.loads(answer.read())

    @contextlib.contextmanager
    def server(self, log: Path) -> Iterator[None]:
        """`prefect server start` on loopback until its API answers; stopped (its process group) after."""
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 240
            while True:
                assert process.poll() is None, f"prefect server start exited:\n{log.read_text()[-4000:]}"
                with contextlib.suppress(OSError):
                    if self.get("/health") is True:
                        break
                assert time.monotonic() < deadline, f"no answer from the server:\n{log.read_text()[-4000:]}"
                time.sleep(1)
            yield
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_prefect_yaml_deploys_to_a_process_pool_and_a_worker_runs_the_weekly_flow(tmp_path: Path) -> None:
    config = write_demo_workspace(tmp_path / "demo")
    prefect = Prefect(tmp_path / "prefect-home", free_port(), config)
    with prefect.server(tmp_path / "server.log"):
        prefect.run("work-pool", "create", "radar", "--type", "process")
        deployed = prefect.run("--no-prompt", "deploy", "--all")
        assert "422" not in deployed and "Unprocessable" not in deployed, deployed[-3000:]
        weekly = prefect.get("/deployments/name/radar-weekly-report/radar-weekly")
        quarterly = prefect.get("/deployments/name/radar-quarterly-review/radar-quarterly")
        assert weekly["work_pool_name"] == quarterly["work_pool_name"] == "radar"
        assert weekly["parameters"] == {"config_path": str(config)}
        # The schedule is prefect.yaml's, as written there.
        [written] = yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"][0]["schedules"]
        [schedule] = weekly["schedules"]
        assert (schedule["schedule"]["cron"], schedule["schedule"]["timezone"]) == (
            written["cron"],
            written["timezone"],
        )

        started = prefect.run(
            "deployment",
            "run",
            "radar-weekly-report/radar-weekly",
            "-p",
            "offline=true",
            "-p",
            f"week={WEEK}",
        )
        found = re.search(r"UUID: ([0-9a-f-]{36})", started)
        assert found, started
        prefect.run("worker", "start", "--pool", "radar", "--run-once", timeout=400)
        run = prefect.get(f"/flow_runs/{found.group(1)}")
        assert run["state"]["type"] == "COMPLETED", run["state"]

    pages = tmp_path / "demo" / "out" / WEEK
    names = sorted(path.name for path in pages.iterdir())
    assert names == sorted(
        ["definitions.html", "deliveries.json", "index.html", "metrics.json"]
        + [
            f"{team}.{kind}"
            for team in ("churn-retention", "data-platform", "forecasting")
            for kind in ("html", "eml")
        ]
    )
    assert json.loads((pages / "metrics.json").read_text())["week"] == WEEK
