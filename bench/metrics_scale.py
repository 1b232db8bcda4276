"""Metrics at organisation scale: all teams × all 52 weeks of metrics.json, against the scan floor.

Writes (or reuses) the organisation-scale store, then measures each figure in a fresh process of
its own (bench/peak.py), so the peak resident memory belongs to that figure alone:

* metrics: `Store.scan_all()` (lazy scans) → `compute_weeks(all teams, 52 weeks)` → metrics.json per week
* scan floor: `pl.scan_parquet(<the table's files>).select(<the columns the metrics read>).collect()`
* full read: `Store.read_all()` alone (every column, conformed), for reference

`python -m bench.metrics_scale [--scale 1.0] [--profile]`; `--profile` runs the metrics once
more under pyinstrument and prints where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from bench.generate import ORG_NOW, OrgScale, write_org_store
from bench.peak import measured
from core.config import Config, load_config
from core.store import Store
from core.weeks import Week

DATA = Path(__file__).resolve().parent / ".data"
WEEKS = 52

# The columns metrics/ reads from each table (metrics/scope.py and metrics/weekly.py).
METRIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "pull_requests": (
        "repo", "number", "author", "title", "url", "created_at", "merged_at", "closed_at", "labels",
    ),
    "reviews": ("repo", "number", "reviewer", "submitted_at"),
    "review_requests": ("repo", "number", "reviewer", "requested_at", "removed_at"),
    "commits": ("repo", "sha", "author", "author_email", "authored_at", "pr_number"),
    "issues": (
        "key", "project", "issue_type", "summary", "url", "labels", "components", "assignee", "reporter",
        "created_at", "resolved_at",
    ),
    "issue_events": ("key", "field", "at", "actor", "from_value", "to_value"),
    "comments": ("key", "author", "created_at", "mentions"),
}  # fmt: skip


def report_weeks(config: Config, count: int = WEEKS) -> list[Week]:
    """The `count` complete weeks before ORG_NOW, oldest first."""
    last = ORG_NOW.astimezone(config.zone).date() - timedelta(days=7)
    return [Week.of(last - timedelta(days=7 * n), config.zone) for n in range(count - 1, -1, -1)]


def local_store(config: Config) -> Path:
    """The generated store's folder (the organisation-scale store is always local)."""
    folder = config.store_path
    assert isinstance(folder, Path), "the organisation-scale benchmark writes a local store"
    return folder


# -- what each subprocess measures -----------------------------------------------------------------


def child_metrics(config_path: Path, out: Path) -> dict[str, Any]:
    from metrics.weekly import compute_weeks, metrics_document

    config = load_config(config_path)
    weeks = report_weeks(config)
    started = time.perf_counter()
    tables = Store(config.store_path).scan_all()
    read = time.perf_counter()
    results = compute_weeks(tables, config, weeks)
    computed = time.perf_counter()
    for week in weeks:
        document = metrics_document(week, results[week.label])
        (out / f"{week.label}.json").write_text(json.dumps(document, indent=2, allow_nan=False))
    written = time.perf_counter()
    return {
        "seconds": written - started,
        "phases": {"read": read - started, "compute": computed - read, "json": written - computed},
        "team_weeks": sum(len(v) for v in results.values()),
    }


def child_scan(config_path: Path) -> dict[str, Any]:
    config = load_config(config_path)
    started = time.perf_counter()
    rows = 0
    store = Store(local_store(config))
    for table, columns in METRIC_COLUMNS.items():
        frame = pl.scan_parquet(store.files(table) or []).select(columns).collect()
        rows += frame.height
    return {"seconds": time.perf_counter() - started, "rows": rows}


def child_read_all(config_path: Path) -> dict[str, Any]:
    config = load_config(config_path)
    started = time.perf_counter()
    tables = Store(config.store_path).read_all()
    return {"seconds": time.perf_counter() - started, "rows": sum(t.height for t in tables.values())}


def child_profile(config_path: Path, lines: int) -> dict[str, Any]:
    from pyinstrument import Profiler

    from metrics.weekly import compute_weeks

    config = load_config(config_path)
    weeks = report_weeks(config)
    tables = Store(config.store_path).read_all()
    profiler = Profiler(interval=0.005)
    profiler.start()
    compute_weeks(tables, config, weeks)
    profiler.stop()
    tree = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=True)
    flat = profiler.output_text(unicode=False, color=False, flat=True)
    return {"tree": "\n".join(tree.splitlines()[:lines]), "flat": "\n".join(flat.splitlines()[:lines])}


def _child(kind: str, config_path: Path, lines: int) -> None:
    with tempfile.TemporaryDirectory(prefix="radar-metrics-") as tmp:
        if kind == "metrics":
            result = child_metrics(config_path, Path(tmp))
        elif kind == "scan":
            result = child_scan(config_path)
        elif kind == "read_all":
            result = child_read_all(config_path)
        else:
            result = child_profile(config_path, lines)
    print(json.dumps(result))


def run_child(kind: str, config_path: Path, lines: int = 60) -> dict[str, Any]:
    """One measurement in a fresh interpreter: its JSON line, with its own peak RSS."""
    command = [sys.executable, "-m", "bench.metrics_scale", "--child", kind, "--config", str(config_path)]
    done = measured([*command, "--lines", str(lines)])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_rss_mib"] = done.peak_rss_mib
    return result


@dataclass
class MetricsFigures:
    config_path: Path
    generate_seconds: float
    rows: dict[str, int]
    metrics: dict[str, Any]
    scan: dict[str, Any]
    read_all: dict[str, Any]
    profile: dict[str, Any] | None = None

    @property
    def ratio(self) -> float:
        return float(self.metrics["seconds"]) / max(float(self.scan["seconds"]), 1e-9)


def measure(scale: float = 1.0, profile: bool = False, folder: Path = DATA / "org") -> MetricsFigures:
    started = time.perf_counter()
    config_path = write_org_store(
        folder if scale == 1.0 else folder.with_name(f"org-{scale:g}"), OrgScale().scaled(scale)
    )
    generated = time.perf_counter() - started
    config = load_config(config_path)
    store = Store(local_store(config))
    rows = {t: store.scan(t).select(pl.len()).collect().item() for t in METRIC_COLUMNS}
    figures = MetricsFigures(
        config_path=config_path,
        generate_seconds=generated,
        rows=rows,
        metrics=run_child("metrics", config_path),
        scan=run_child("scan", config_path),
        read_all=run_child("read_all", config_path),
    )
    if profile:
        figures.profile = run_child("profile", config_path)
    return figures


def describe(f: MetricsFigures) -> str:
    phases = ", ".join(f"{k} {v:.2f} s" for k, v in f.metrics["phases"].items())
    return "\n".join(
        [
            f"store: {', '.join(f'{k} {v:,}' for k, v in f.rows.items())} "
            f"(generated or reused in {f.generate_seconds:.1f} s)",
            f"metrics, {f.metrics['team_weeks']} team-weeks: {f.metrics['seconds']:.2f} s ({phases}), "
            f"peak {f.metrics['peak_rss_mib']:.0f} MiB",
            f"scan floor ({sum(len(c) for c in METRIC_COLUMNS.values())} columns): "
            f"{f.scan['seconds']:.2f} s, "
            f"peak {f.scan['peak_rss_mib']:.0f} MiB",
            f"Store.read_all (every column, conformed): {f.read_all['seconds']:.2f} s, "
            f"peak {f.read_all['peak_rss_mib']:.0f} MiB",
            f"metrics / scan floor: {f.ratio:.1f}x",
        ]
    )


TARGET_SECONDS = 10.0
TARGET_PEAK_MIB = 2048.0
TARGET_RATIO = 5.0


def targets_met(f: MetricsFigures) -> bool:
    return (
        f.metrics["seconds"] <= TARGET_SECONDS
        and f.metrics["peak_rss_mib"] <= TARGET_PEAK_MIB
        and f.ratio <= TARGET_RATIO
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--profile", choices=("auto", "always", "never"), default="auto", help="auto: when a target is missed"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", choices=("metrics", "scan", "read_all", "profile"), help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lines", type=int, default=60, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child, arguments.config, arguments.lines)
        return
    figures = measure(arguments.scale, arguments.profile == "always")
    print(f"{os.cpu_count()} CPUs, shared with other work on this machine")
    print(describe(figures))
    if figures.profile is None and arguments.profile == "auto" and not targets_met(figures):
        print("a target is missed: profiling compute_weeks with pyinstrument ...")
        figures.profile = run_child("profile", figures.config_path)
    if figures.profile:
        print(figures.profile["tree"])
    if arguments.json:
        arguments.json.write_text(json.dumps(asdict(figures), indent=2, default=str))


if __name__ == "__main__":
    main()
