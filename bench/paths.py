"""The paths a user runs, end to end at organisation scale (60 teams), each in a fresh process
(bench/peak.py: wall time and that process's own peak RSS):

* `radar report --week W`: the week's pages and metrics.json, every team
* `radar run --offline --week W`: the same week through the weekly flow (Prefect, its temporary
  server, the week's messages written as .eml files as no mail server is configured)
* `radar report --from --to` over 52 weeks: every week's pages and metrics.json and the trend pages

`python -m bench.paths [--scale 1.0] [--json FILE]`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.generate import OrgScale, write_org_store
from bench.metrics_scale import DATA, WEEKS, report_weeks
from bench.peak import measured
from core.config import load_config

RADAR = [sys.executable, "-m", "flows.cli"]
TARGET_FLOW_RATIO = 1.5  # the weekly flow's wall time over `radar report`'s, at 60 teams
TARGET_RANGE_SECONDS = 10.0
TARGET_RANGE_PEAK_MIB = 2048.0


def _env(prefect_home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }


def measure(scale: float = 1.0, folder: Path = DATA / "org") -> dict[str, Any]:
    config_path = write_org_store(
        folder if scale == 1.0 else folder.with_name(f"org-{scale:g}"), OrgScale().scaled(scale)
    )
    config = load_config(config_path)
    year = report_weeks(config, WEEKS)
    week = year[-1]
    first, last = year[0].monday, year[-1].local_sunday
    out = config.output_path
    figures: dict[str, Any] = {"teams": len(config.teams), "week": week.label, "weeks": len(year)}
    with tempfile.TemporaryDirectory(prefix="radar-bench-prefect-") as home:
        env = _env(Path(home))
        shutil.rmtree(out, ignore_errors=True)
        report = measured([*RADAR, "report", "--config", str(config_path), "--week", week.label], env)
        figures["report"] = {"seconds": report.seconds, "peak_rss_mib": report.peak_rss_mib}
        print(f"radar report --week {week.label}, {len(config.teams)} teams: {report.seconds:.1f} s, "
              f"peak {report.peak_rss_mib:.0f} MiB", flush=True)  # fmt: skip
        shutil.rmtree(out, ignore_errors=True)
        run = measured([*RADAR, "run", "--config", str(config_path), "--offline", "--week", week.label], env)
        figures["run"] = {"seconds": run.seconds, "peak_rss_mib": run.peak_rss_mib}
        print(f"radar run --offline --week {week.label} (the weekly flow): {run.seconds:.1f} s, "
              f"peak {run.peak_rss_mib:.0f} MiB", flush=True)  # fmt: skip
        shutil.rmtree(out, ignore_errors=True)
        ranged = measured(
            [*RADAR, "report", "--config", str(config_path), "--from", str(first), "--to", str(last)], env
        )
        figures["range"] = {"seconds": ranged.seconds, "peak_rss_mib": ranged.peak_rss_mib}
        print(f"radar report --from {first} --to {last} ({len(year)} weeks): {ranged.seconds:.1f} s, "
              f"peak {ranged.peak_rss_mib:.0f} MiB", flush=True)  # fmt: skip
        shutil.rmtree(out, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the organisation scale")
    parser.add_argument("--json", type=Path, help="write the figures here")
    arguments = parser.parse_args()
    figures = measure(arguments.scale)
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
