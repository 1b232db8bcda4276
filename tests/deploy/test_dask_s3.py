"""`radar sync` on the Dask task runner, two local worker processes writing one S3 store at once,
then `radar report` from it: the store holds exactly the dataset (as a sync into a folder does) and
the report is written. The GitHub and Jira fakes and the `radar` subprocess are the end-to-end
tests' (tests/e2e); the S3 server is moto's on loopback (tests/s3server.py).

Marked `deploy` (a Dask cluster and two radar processes: one to several minutes): `make test-deploy`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.schemas import PRIMARY_KEYS
from tests.e2e import dataset
from tests.e2e.conftest import CLOCK, PUSHED_AT, WEEK, Scenario
from tests.e2e.expected import github_rows, jira_rows, rows
from tests.e2e.harness import TABLES
from tests.e2e.tls import make_certificates
from tests.s3server import S3Server

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(1200)]


def test_two_dask_workers_sync_into_one_s3_store_then_report(tmp_path: Path, s3_server: S3Server) -> None:
    scenario = Scenario("dask", tmp_path, make_certificates(tmp_path / "tls"))
    scenario.s3 = s3_server
    scenario.location = s3_server.new_location("dask")
    try:
        scenario.serve(force_pushed=True)
        config = scenario.configure(store=scenario.location, dask_workers=2)
        # Each Dask worker process starts its own temporary Prefect server (no PREFECT_API_URL):
        # slow on busy cores, hence the long limit.
        synced = scenario.env.run("sync", "--config", str(config), overrides=s3_server.env, timeout=600)
        assert synced.code == 0 and synced.stderr.strip() == "", synced.explain()
        # The four repo and project tasks ran on the two Dask workers.
        assert synced.stdout.count("distributed.scheduler - Register worker") == 2, synced.stdout[-3000:]
        assert scenario.server_errors() == []
        store = scenario.store()
        repos = dataset.github_repos(CLOCK)
        dataset.force_push(repos, CLOCK, PUSHED_AT)
        wanted = {**github_rows(repos), **jira_rows(dataset.jira_issues(CLOCK), "cloud", scenario.jira.url)}
        for table in TABLES:
            assert store[table].select(list(PRIMARY_KEYS[table])).is_duplicated().sum() == 0, table
            assert rows(store[table], table) == wanted[table], table
        report = scenario.env.run(
            "report", "--config", str(config), "--week", WEEK.label, overrides=s3_server.env
        )
        assert report.code == 0, report.explain()
        metrics = json.loads((scenario.folder / "out" / WEEK.label / "metrics.json").read_text("utf-8"))
        assert [team["team"] for team in metrics["teams"]] == [dataset.TEAM]
    finally:
        scenario.close()
