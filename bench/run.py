"""Every benchmark, one summary table: `python -m bench.run` (what `make bench` runs).

Each benchmark runs in its own interpreter (its memory is its own) and leaves its figures as
JSON; this script prints their progress, then one table of figure, value, target and whether
the target is met. Generated data stays under bench/.data (the organisation-scale store is
reused while its parameters are unchanged) and the system temp folder.

`python -m bench.run [--scale 0.1] [--sync-scale S] [--org-scale S]` (`make bench BENCH_SCALE=1` is
the organisation scale: 60 teams, 120 repos, 200 k PRs, 1 M commits, 3 M changelog rows).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from bench.metrics_scale import TARGET_PEAK_MIB, TARGET_RATIO, TARGET_SECONDS
from bench.paths import TARGET_FLOW_RATIO, TARGET_RANGE_PEAK_MIB, TARGET_RANGE_SECONDS

ROOT = Path(__file__).resolve().parents[1]
PYGITHUB_DEFAULT_SLEEP = 0.25  # seconds_between_requests, PyGithub 2.10's default
Row = tuple[str, str, str, str]


def _run(module: str, *arguments: str) -> None:
    command = [sys.executable, "-m", module, *arguments]
    subprocess.run(command, check=True, cwd=ROOT)


def _count(n: float) -> str:
    return f"{n:,.0f}".replace(",", " ")


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def api_rows(data: dict[str, Any]) -> list[Row]:
    results = {(r["path"], r["scenario"]): r for r in data["results"]}
    rows: list[Row] = []
    pulls, issues = data["org"]["pull_requests"], data["org"]["issues"]
    scale = "" if data["scale"] == 1.0 else f" (scale {data['scale']:g})"
    graphql, rest, baseline = (results[(p, "cold")] for p in ("graphql", "rest", "baseline"))
    rows.append(
        (
            f"GitHub cold sync, {_count(pulls)} PRs{scale}: GraphQL requests",
            f"{_count(graphql['requests'])} = 1/{baseline['requests'] / max(graphql['requests'], 1):.0f} "
            f"of baseline {_count(baseline['requests'])}",
            "<= 1/10 of baseline",
            _met(graphql["requests"] * 10 <= baseline["requests"]),
        )
    )
    rows.append(
        (
            "GitHub cold sync: REST fallback requests",
            f"{_count(rest['requests'])} ({rest['requests'] / pulls:.2f}/PR)",
            "(fallback)",
            "-",
        )
    )
    for path, cold in (("graphql", graphql), ("rest", rest), ("baseline", baseline)):
        for scenario in ("no change", "1 % changed"):
            m = results[(path, scenario)]
            share = m["requests"] / max(cold["requests"], 1)
            target, met = ("<= 2 % of cold", _met(share <= 0.02)) if scenario == "no change" else ("-", "-")
            if path == "baseline":
                target, met = "-", "-"
            rows.append(
                (
                    f"GitHub re-sync, {scenario}: {path} requests",
                    f"{_count(m['requests'])} = {share:.1%} of cold ({m['requests'] / pulls:.3f}/PR)",
                    target,
                    met,
                )
            )
    for path in ("graphql", "rest", "baseline"):
        m = results[(path, "cold")]
        client = m["wall_seconds"] - m["fake_seconds"]
        note = ""
        if path == "baseline":
            slept = m["requests"] * PYGITHUB_DEFAULT_SLEEP
            note = f"; sleep 0 (PyGithub's default 0.25 s/request would add {slept / 60:.0f} min)"
        rows.append(
            (
                f"GitHub cold sync wall time: {path}",
                f"{m['wall_seconds']:.1f} s ({client:.1f} s outside the fake{note})",
                "-",
                "-",
            )
        )
    for source, local, remote in (("GitHub", "graphql", "graphql-s3"), ("Jira", "cloud", "cloud-s3")):
        if (remote, "cold") not in results:
            continue
        here, there = results[(local, "cold")], results[(remote, "cold")]
        rows.append(
            (
                f"{source} cold sync into an S3 store (moto, loopback) vs a folder",
                f"{there['wall_seconds']:.1f} s vs {here['wall_seconds']:.1f} s, "
                f"{_count(there['store_requests'])} S3 requests "
                f"(and the same {_count(there['requests'])} API requests)",
                "-",
                "-",
            )
        )
    cold = results[("cloud", "cold")]
    rows.append(
        (
            f"Jira cold sync, {_count(issues)} issues{scale}: requests",
            f"{_count(cold['requests'])} ({cold['requests'] / issues:.3f}/issue), "
            f"{cold['wall_seconds']:.1f} s",
            "-",
            "-",
        )
    )
    for scenario in ("no change", "1 % changed"):
        m = results[("cloud", scenario)]
        share = m["requests"] / max(cold["requests"], 1)
        target, met = ("<= 2 % of cold", _met(share <= 0.02)) if scenario == "no change" else ("-", "-")
        rows.append(
            (
                f"Jira re-sync, {scenario}: requests",
                f"{_count(m['requests'])} = {share:.1%} of cold, {m['wall_seconds']:.1f} s",
                target,
                met,
            )
        )
    return rows


def metrics_rows(data: dict[str, Any]) -> list[Row]:
    metrics, scan = data["metrics"], data["scan"]
    ratio = metrics["seconds"] / max(scan["seconds"], 1e-9)
    rows = data["rows"]
    size = f"{_count(rows['commits'])} commits, {_count(rows['issue_events'])} changelog rows"
    return [
        (
            f"metrics.json, {metrics['team_weeks']} team-weeks ({size}): wall",
            f"{metrics['seconds']:.1f} s (read {metrics['phases']['read']:.1f}, "
            f"compute {metrics['phases']['compute']:.1f}, json {metrics['phases']['json']:.1f})",
            f"<= {TARGET_SECONDS:.0f} s",
            _met(metrics["seconds"] <= TARGET_SECONDS),
        ),
        (
            "metrics.json: peak memory (RSS)",
            f"{metrics['peak_rss_mib']:.0f} MiB",
            f"<= {TARGET_PEAK_MIB / 1024:.0f} GiB",
            _met(metrics["peak_rss_mib"] <= TARGET_PEAK_MIB),
        ),
        (
            "scan floor: the metric columns of the Parquet files",
            f"{scan['seconds']:.2f} s, peak {scan['peak_rss_mib']:.0f} MiB",
            "-",
            "-",
        ),
        ("metrics / scan floor", f"{ratio:.1f}x", f"<= {TARGET_RATIO:.0f}x", _met(ratio <= TARGET_RATIO)),
    ]


def render_rows(data: dict[str, Any]) -> list[Row]:
    return [
        (
            "render one team page",
            f"{data['one_page_seconds'] * 1000:.0f} ms ({data['team_page_kib']:.0f} KiB; first "
            f"{data['first_page_seconds'] * 1000:.0f} ms with template compile)",
            "-",
            "-",
        ),
        (
            f"render {data['teams']} team pages + comparison page",
            f"{data['all_pages_seconds'] * 1000:.0f} ms (comparison {data['comparison_page_kib']:.0f} KiB)",
            "-",
            "-",
        ),
        (
            f"render the range index of {data['teams']} teams x {data['quarter_weeks']} weeks",
            f"{data['quarter_index_seconds'] * 1000:.0f} ms ({data['quarter_index_kib']:.0f} KiB)",
            "-",
            "-",
        ),
        (
            "one team's 8-week history as flows.outputs builds it",
            f"{data['team_history_one_team_seconds']:.1f} s (x {data['teams']} teams in a weekly run)",
            "-",
            "-",
        ),
    ]


def path_rows(data: dict[str, Any]) -> list[Row]:
    report, run, ranged = data["report"], data["run"], data["range"]
    ratio = run["seconds"] / max(report["seconds"], 1e-9)
    teams = data["teams"]
    return [
        (
            f"radar report --week, {teams} teams",
            f"{report['seconds']:.1f} s, peak {report['peak_rss_mib']:.0f} MiB",
            "-",
            "-",
        ),
        (
            f"radar run --offline --week (the weekly flow), {teams} teams",
            f"{run['seconds']:.1f} s, peak {run['peak_rss_mib']:.0f} MiB",
            "-",
            "-",
        ),
        (
            "weekly flow / radar report",
            f"{ratio:.2f}x",
            f"<= {TARGET_FLOW_RATIO:g}x",
            _met(ratio <= TARGET_FLOW_RATIO),
        ),
        (
            f"radar report --from/--to, {data['weeks']} weeks x {teams} teams: wall",
            f"{ranged['seconds']:.1f} s",
            f"<= {TARGET_RANGE_SECONDS:.0f} s",
            _met(ranged["seconds"] <= TARGET_RANGE_SECONDS),
        ),
        (
            "radar report --from/--to: peak memory (RSS)",
            f"{ranged['peak_rss_mib']:.0f} MiB",
            f"<= {TARGET_RANGE_PEAK_MIB / 1024:.0f} GiB",
            _met(ranged["peak_rss_mib"] <= TARGET_RANGE_PEAK_MIB),
        ),
    ]


def resync_rows(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for layout in ("whole table", "parts"):
        m = data[layout]
        s, calls = m["seconds"], m["calls"]
        http, writes = s.get("http", 0.0), s.get("store writes", 0.0)
        target, met = ("store writes < HTTP", _met(writes < http)) if layout == "parts" else ("-", "-")
        rows.append(
            (
                f"re-sync of {data['repos']} repos, {data['changed']} PRs changed (1 %), "
                f"{'before: every upsert rewrites the table' if layout == 'whole table' else 'after: parts'}",
                f"{m['wall_seconds']:.1f} s: HTTP {http:.1f} s ({m['requests']} requests, in-process fake), "
                f"store writes {writes:.1f} s ({calls.get('store writes', 0)} upserts, "
                f"{writes / max(calls.get('store writes', 1), 1) * 1000:.0f} ms each), "
                f"store reads {s.get('store reads', 0.0):.1f} s",
                target,
                met,
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    header: Row = ("figure", "value", "target", "met?")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=0.1, help="fraction of both scales (1: the organisation scale)"
    )
    parser.add_argument("--sync-scale", type=float, help="fraction of the default sync scale")
    parser.add_argument("--org-scale", type=float, help="fraction of the organisation scale")
    arguments = parser.parse_args()
    sync_scale = arguments.scale if arguments.sync_scale is None else arguments.sync_scale
    org_scale = arguments.scale if arguments.org_scale is None else arguments.org_scale
    started = time.perf_counter()
    cpus = os.cpu_count()
    print(
        f"delegation-radar benchmarks: Python {platform.python_version()}, polars {pl.__version__}, "
        f"{cpus} CPUs shared with other work on this machine (figures vary with its load)"
    )
    with tempfile.TemporaryDirectory(prefix="radar-bench-") as tmp:
        out = Path(tmp)
        print("\n== API cost of a sync (fake GitHub and Jira Cloud through `responses`) ==", flush=True)
        _run("bench.api_cost", "--scale", str(sync_scale), "--json", str(out / "api.json"))
        print(f"\n== Metrics at organisation scale {org_scale:g} ==", flush=True)
        _run(
            "bench.metrics_scale", "--scale", str(org_scale), "--profile", "never",
            "--json", str(out / "metrics.json"),
        )  # fmt: skip
        print("\n== Report rendering ==", flush=True)
        _run("bench.render", "--scale", str(org_scale), "--json", str(out / "render.json"))
        print("\n== radar report, radar run (the weekly flow), a 52-week range report ==", flush=True)
        _run("bench.paths", "--scale", str(org_scale), "--json", str(out / "paths.json"))
        print("\n== A re-sync of 120 repos after 1 % of the PRs changed ==", flush=True)
        _run("bench.resync", "--scale", str(org_scale), "--json", str(out / "resync.json"))
        rows = api_rows(json.loads((out / "api.json").read_text()))
        rows += metrics_rows(json.loads((out / "metrics.json").read_text()))
        rows += render_rows(json.loads((out / "render.json").read_text()))
        rows += path_rows(json.loads((out / "paths.json").read_text()))
        rows += resync_rows(json.loads((out / "resync.json").read_text()))
    print(f"\n== Summary ({cpus} CPUs, shared; {time.perf_counter() - started:.0f} s in all) ==")
    print(table(rows))


if __name__ == "__main__":
    main()
