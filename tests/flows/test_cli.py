"""The command line contract (SPEC §6): exit 0 ok, 2 bad input, 1 anything else, one line on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.store import Store
from flows.cli import app
from tests.flows.workspace import WEEK, write_workspace

ROOT = Path(__file__).resolve().parents[2]


def radar(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-X"], "radar: '2026-X' is not an ISO week like 2026-W47"),
        (["--week", WEEK, "--from", "2026-03-01", "--to", "2026-03-08"], "radar: --week cannot be combined"),
        (["--from", "2026-03-01"], "radar: --from and --to go together"),
        (["--to", "2026-03-01"], "radar: --from and --to go together"),
        (
            ["--from", "2026-03-08", "--to", "2026-03-01"],
            "radar: --to 2026-03-01 is before --from 2026-03-08",
        ),
        (["--from", "2026-02-30", "--to", "2026-03-01"], "radar: --from '2026-02-30' is not a date"),
        (
            ["--team", "Nope"],
            "radar: no team named 'Nope' in the config (teams: 'Churn & Retention', 'Feature Store')",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    config = write_workspace(tmp_path)
    for command in ("report", "run"):
        code, _, stderr = radar(command, "--config", str(config), *args)
        assert code == 2
        assert stderr.count("\n") == 1 and stderr.startswith(message)
    assert not (tmp_path / "out").exists()


def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    config = write_workspace(tmp_path, extra='[schedule]\ncron = "every friday"\n')
    code, _, stderr = radar("report", "--config", str(config))
    assert code == 2
    assert stderr == f"{config}: schedule.cron: 'every friday' is not a five-field cron expression\n"
    code, _, stderr = radar("run", "--config", str(tmp_path / "missing.toml"))
    assert (code, stderr) == (2, f"{tmp_path / 'missing.toml'}: file not found\n")


def test_report_writes_the_week(tmp_path: Path) -> None:
    config = write_workspace(tmp_path)
    code, stdout, stderr = radar("report", "--config", str(config), "--week", WEEK)
    assert (code, stderr) == (0, "")
    assert str(tmp_path / "out" / WEEK / "metrics.json") in stdout
    assert json.loads((tmp_path / "out" / WEEK / "metrics.json").read_text("utf-8"))["week"] == WEEK


def test_report_on_a_damaged_store_exits_1_with_one_line(tmp_path: Path) -> None:
    config = write_workspace(tmp_path)
    damaged = Store(tmp_path / "data").parts("commits")[0][1]  # one repo's part of the table
    damaged.write_bytes(b"not parquet")
    code, _, stderr = radar("report", "--config", str(config), "--week", WEEK)
    assert code == 1
    assert stderr.count("\n") == 1
    assert stderr.startswith(f"radar: {damaged} is not a readable Parquet file")


def test_report_needs_no_prefect(tmp_path: Path) -> None:
    """`radar report` is plain functions: it never imports Prefect (no server, fast, offline)."""
    config = write_workspace(tmp_path)
    script = (
        "import sys\nfrom typer.testing import CliRunner\nfrom flows.cli import app\n"
        f"r = CliRunner().invoke(app, ['report', '--config', {str(config)!r}, '--week', {WEEK!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "loaded = [m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')]\n"
        "assert not loaded, 'prefect imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "0001-W01"], "radar: '0001-W01' is outside the years 1970-9000"),
        (
            ["--week", "2026-W50", "--as-of", "2026-11-20T10:00"],
            "radar: --week 2026-W50: week 2026-W50 has not started",
        ),
        (["--as-of", "Friday"], "radar: --as-of 'Friday' is not a date and time"),
    ],
)
def test_bad_weeks_and_instants_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    config = write_workspace(tmp_path)
    code, _, stderr = radar("report", "--config", str(config), *args)
    assert code == 2
    assert stderr.count("\n") == 1 and stderr.startswith(message), stderr


def test_report_defaults_to_the_week_in_progress_and_takes_as_of(tmp_path: Path) -> None:
    # The workspace's zone is Asia/Tbilisi (UTC+4): 2026-11-20T15:00 there is Friday 11:00 UTC of
    # 2026-W47, which is then in progress.
    config = write_workspace(tmp_path)
    code, _, stderr = radar("report", "--config", str(config), "--as-of", "2026-11-20T15:00")
    assert code == 0, stderr
    document = json.loads((tmp_path / "out" / "2026-W47" / "metrics.json").read_text())
    assert (document["week"], document["as_of"], document["complete"]) == (
        "2026-W47",
        "2026-11-20T11:00:00Z",
        False,
    )
    # An explicit week that has ended is complete, as of its end (Monday 00:00 in Tbilisi).
    code, _, stderr = radar("report", "--config", str(config), "--week", "2026-W46")
    assert code == 0, stderr
    document = json.loads((tmp_path / "out" / "2026-W46" / "metrics.json").read_text())
    assert (document["as_of"], document["complete"]) == ("2026-11-15T20:00:00Z", True)
