"""The smaller cases of round 2: rate-limit headers that are not finite numbers, temp files left by
a killed writer, a config file that never ends, weeks at the ends of the calendar, and a week's
files written as a set on a disk that fills up. Nothing really waits or fills a disk."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from core.config import MAX_CONFIG_BYTES, ConfigError, load_config
from core.schemas import GITHUB_TABLES
from core.store import Store
from core.weeks import Week
from flows.cli import app
from flows.outputs import write_week
from tests.connectors.github_fake import standard_repo
from tests.connectors.test_jira_sync import FakeJira, Run, dataset
from tests.flows.workspace import WEEK, write_workspace
from tests.reliability.helpers import REPO, GithubRun, ScriptedGithub, assert_keys_unique, reply

# A pid above the kernel's highest (4 194 304): never a running process.
DEAD_PID = 999_999_999

# -- rate-limit headers that are not finite numbers ------------------------------------------------


@pytest.mark.parametrize("reset", ["nan", "inf", "-inf", "1e20", "1e400"])
@pytest.mark.parametrize("api", ["graphql", "rest"])
def test_a_reset_header_that_is_not_a_usable_time_is_backed_off_not_a_crash(
    tmp_path: Path, rsps: responses.RequestsMock, api: str, reset: str
) -> None:
    fake = ScriptedGithub()
    fake.repos[REPO] = standard_repo(4)
    fake.install(rsps)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    fake.reply_at[1] = reply(403, {"message": "API rate limit exceeded for user ID 1."}, headers)
    run = GithubRun(tmp_path, api)
    result = run()  # before: ValueError / OverflowError from datetime.fromtimestamp escaped
    assert result.pull_requests == 4
    # No reset time known: one backoff of a minute (with up to 20 % jitter), as for a secondary limit.
    assert len(run.sleeps) == 1 and 60.0 <= run.sleeps[0] <= 72.0
    assert_keys_unique(run.store, GITHUB_TABLES)


@pytest.mark.parametrize("retry_after", ["nan", "inf", "-nan", "1e400"])
def test_a_retry_after_that_is_not_a_finite_number_is_backed_off(
    tmp_path: Path, rsps: responses.RequestsMock, retry_after: str
) -> None:
    fake = ScriptedGithub()
    fake.repos[REPO] = standard_repo(2)
    fake.install(rsps)
    message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    fake.reply_at[1] = reply(403, {"message": message}, {"Retry-After": retry_after})
    run = GithubRun(tmp_path, "graphql")
    assert run().pull_requests == 2  # before: `sleep(nan)` raised ValueError
    assert len(run.sleeps) == 1 and 60.0 <= run.sleeps[0] <= 72.0


@pytest.mark.parametrize(("retry_after", "reset"), [("nan", "nan"), ("inf", "garbage"), ("-inf", "")])
def test_jira_429_with_headers_that_are_not_numbers_is_backed_off(
    tmp_path: Path, rsps: Any, retry_after: str, reset: str
) -> None:
    run = Run(tmp_path, "cloud", FakeJira("cloud", dataset("cloud")), rsps)
    run.fake.fail("/search/jql", 429, {"Retry-After": retry_after, "X-RateLimit-Reset": reset})
    result = run.sync()
    assert result.issues == 3
    # `max(0.0, nan)` is 0.0: the old code retried at once; now the first backoff step, 1-2 s.
    assert len(run.sleeps) == 1 and 1.0 <= run.sleeps[0] <= 2.0


# -- temp files of a killed writer ----------------------------------------------------------------


def test_temp_files_of_a_killed_writer_are_removed_by_the_next_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    store.upsert("reviews", [])
    orphan = store.root / f".reviews.parquet.{DEAD_PID}.140.tmp"
    old = store.root / f".state.json.{os.getppid()}.140.tmp"  # a live pid, but two hours old
    writing = store.root / f".commits.parquet.{os.getppid()}.141.tmp"  # a live writer's, just now
    unrelated = store.root / "notes.tmp"
    for path in (orphan, old, writing, unrelated):
        path.write_bytes(b"PAR1 half a file")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    Store(store.root).upsert("reviews", [])  # a new writer, as after a kill -9

    assert not orphan.exists() and not old.exists()
    assert writing.exists() and unrelated.exists()


def test_temp_files_of_a_killed_report_are_removed_from_the_week_folder(tmp_path: Path) -> None:
    config = load_config(write_workspace(tmp_path))
    folder = config.output_path / WEEK
    folder.mkdir(parents=True)
    orphan = folder / f".metrics.json.{DEAD_PID}.7.tmp"
    orphan.write_bytes(b'{"week": ')
    write_week(config, Store(config.store_path).read_all(), Week.parse(WEEK, config.zone))
    assert not orphan.exists()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


# -- a week's files as a set ----------------------------------------------------------------------


def test_a_full_disk_leaves_the_previous_week_files_not_a_metrics_json_without_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_workspace(tmp_path))
    tables = Store(config.store_path).read_all()
    week = Week.parse(WEEK, config.zone)
    first = write_week(config, tables, week)
    before = {path.name: path.read_bytes() for path in first.folder.iterdir()}
    assert set(before) == {
        "churn-retention.html",
        "feature-store.html",
        "index.html",
        "definitions.html",
        "metrics.json",
    }

    # The disk fills up after two files of the next run have reached it.
    real_open = open
    opened: list[str] = []

    def filling_disk(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and str(file).endswith(".tmp"):
            opened.append(str(file))
            if len(opened) > 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", filling_disk)
    with pytest.raises(OSError, match="No space left"):
        write_week(config, tables, week)
    monkeypatch.undo()

    left = {path.name: path.read_bytes() for path in first.folder.iterdir()}
    assert len(opened) == 3  # the failure came in the middle of the set
    assert not [name for name in left if name.endswith(".tmp")]
    # Nothing of the failed run was renamed into place: the files are the ones from before.
    assert left == before


def test_metrics_json_is_renamed_into_place_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write_workspace(tmp_path))
    replaced: list[str] = []
    real_replace = os.replace

    def record(source: Any, target: Any) -> None:
        replaced.append(Path(target).name)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", record)
    write_week(config, Store(config.store_path).read_all(), Week.parse(WEEK, config.zone))
    assert replaced[-1] == "metrics.json" and len(replaced) == 5
    assert json.loads((config.output_path / WEEK / "metrics.json").read_text("utf-8"))["week"] == WEEK


# -- a config file without end --------------------------------------------------------------------


def test_a_config_larger_than_a_megabyte_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "radar.toml"
    path.write_bytes(b"# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match="larger than 1024 KiB"):
        load_config(path)
    started = time.monotonic()
    code, _, err = cli("check-config", "--config", "/dev/zero")  # before: read until memory ran out
    assert code == 2 and "/dev/zero: is larger than 1024 KiB" in err
    assert time.monotonic() - started < 10


# -- weeks at the ends of the calendar ------------------------------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "period",
    [
        ["--week", "0001-W01"],  # before: OverflowError, exit 1
        ["--week", "9999-W52"],
        ["--from", "0001-01-01", "--to", "0001-01-08"],
        ["--from", "9999-12-01", "--to", "9999-12-31"],
    ],
)
def test_weeks_at_the_ends_of_the_calendar_are_bad_input(tmp_path: Path, period: list[str]) -> None:
    config = write_workspace(tmp_path)
    code, _, err = cli("report", "--config", str(config), *period)
    assert code == 2, err
    assert err.startswith("radar: ") and "1970-9000" in err and len(err.strip().splitlines()) == 1
