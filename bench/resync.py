"""A GitHub re-sync of 120 repos after 1 % of the PRs changed: where the time goes — HTTP (the
client's requests, answered in-process by the fake GitHub of bench/fakes.py, so a lower bound of
real HTTP) or the store (its reads and upserts) — with the store kept in parts (one file per repo)
and, side by side in the same run, with every upsert rewriting the whole table (the store before
parts).

Each repo's part of the store holds that repo's share of the organisation-scale tables (bench/
generate.py, 120 repos) plus what a cold sync of the fake organisation wrote, so a flush meets
tables of organisation size.

`python -m bench.resync [--scale 1.0] [--json FILE]`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import requests
import responses

from bench.api_cost import _config, _no_sleep, connector_github
from bench.fakes import TOKEN, FakeGithub, Meter
from bench.generate import OrgScale, SyncOrg, change_some, sync_org, write_org_store
from bench.metrics_scale import DATA
from connectors.github import github_client
from core.schemas import GITHUB_TABLES, PRIMARY_KEYS, SCHEMAS, conform
from core.state import STATE_FILE, SyncState
from core.store import Store, atomic_write_bytes, temp_path
from sync.github import probe_github_repos, sync_github_repo

REPOS = 120
SHARE = 0.01
NUMBER_OFFSET = 1_000_000  # the organisation tables' PR numbers and review ids, past the fake's


class WholeTableStore(Store):
    """The store before parts: one file per table; every upsert reads and rewrites all of it."""

    def upsert(
        self,
        table: str,
        rows: pl.DataFrame | Iterable[Mapping[str, Any]],
        replace_scope: pl.DataFrame | None = None,
    ) -> int:
        new = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(list(rows), schema=SCHEMAS[table])
        new = conform(table, new)
        key = list(PRIMARY_KEYS[table])
        scope = replace_scope.unique() if replace_scope is not None and replace_scope.height else None
        with self.lock():
            old = super().read(table)  # not timed as a read of the sync: it is this upsert's own
            if scope is not None:
                old = old.join(scope, on=scope.columns, how="anti", nulls_equal=True)
            merged = pl.concat([old, new], how="vertical")
            merged = merged.unique(subset=key, keep="last", maintain_order=True).sort(key, nulls_last=True)
            path = self.path(table)
            tmp = temp_path(path)
            merged.write_parquet(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            return merged.height


class Clock:
    """Seconds spent inside the calls it wraps, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return timed


@contextmanager
def clocked(clock: Clock, store_class: type[Store]) -> Iterator[None]:
    """Time HTTP (requests' Session.send), the store's upserts and its reads, while inside."""
    saved = {
        (requests.Session, "send"): requests.Session.send,
        (store_class, "upsert"): store_class.upsert,
        (store_class, "read"): store_class.read,
    }
    requests.Session.send = clock.wrap("http", requests.Session.send)  # type: ignore[method-assign]
    store_class.upsert = clock.wrap("store writes", store_class.upsert)  # type: ignore[method-assign]
    store_class.read = clock.wrap("store reads", store_class.read)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for (owner, name), function in saved.items():
            setattr(owner, name, function)


def org_tables(scale: float) -> dict[str, pl.DataFrame]:
    """The GitHub tables of the organisation-scale store, its 120 repos renamed to the fake's."""
    config_path = write_org_store(
        DATA / "org" if scale == 1.0 else DATA / f"org-{scale:g}", OrgScale().scaled(scale)
    )
    store = Store(config_path.parent / "data")
    tables = {table: store.read(table) for table in GITHUB_TABLES}
    names = sorted(tables["pull_requests"]["repo"].unique().to_list())
    assert len(names) == REPOS, f"the organisation store has {len(names)} repos, not {REPOS}"
    rename = {name: f"acme/service-{index:02d}" for index, name in enumerate(names)}
    renamed = {}
    for table, frame in tables.items():
        frame = frame.with_columns(pl.col("repo").replace_strict(rename, default=pl.col("repo")))
        numbers = [c for c in ("number", "pr_number", "review_id") if c in frame.columns]
        renamed[table] = frame.with_columns(pl.col(c) + NUMBER_OFFSET for c in numbers)
    return renamed


def resync(org: SyncOrg, store: Store, clock: Clock) -> tuple[int, int]:
    """The re-sync as the sync flow runs it: the probe, then each repo it did not find unchanged."""
    config = _config(org, "graphql")
    now = org.now + timedelta(hours=2)
    state = SyncState(store)
    client = github_client(config, TOKEN, sleep=_no_sleep, now=lambda: now)
    with clocked(clock, type(store)):
        probe = probe_github_repos(
            config, list(org.repos), store, state, TOKEN, now=lambda: now, sleep=_no_sleep, client=client
        )
        written = 0
        for repo in org.repos:
            if repo not in probe.unchanged:
                result = sync_github_repo(
                    config, repo, store, state, TOKEN, now=lambda: now, sleep=_no_sleep, client=client
                )
                written += result.pull_requests
    return client.requests, written


def measure(scale: float = 1.0, progress: Callable[[str], None] = print) -> dict[str, Any]:
    org = sync_org(repos=REPOS, pull_requests=max(REPOS * 10, round(12_000 * scale)), issues=20, projects=1)
    meter = Meter()
    figures: dict[str, Any] = {"repos": REPOS, "pull_requests": org.pull_count}
    with (
        tempfile.TemporaryDirectory(prefix="radar-bench-resync-") as tmp,
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        FakeGithub(org, meter).install(mock)
        cold = Path(tmp) / "cold"
        started = time.perf_counter()
        connector_github(org, "graphql", cold, org.now)
        progress(f"cold sync of {org.pull_count} PRs in {REPOS} repos: {time.perf_counter() - started:.0f} s")
        synced = Store(cold)
        tables = org_tables(scale)
        state = synced.read_document(STATE_FILE)
        assert state is not None
        rows = {}
        for layout in ("whole table", "parts"):
            root = Path(tmp) / layout.replace(" ", "-")
            store: Store = WholeTableStore(root) if layout == "whole table" else Store(root)
            for table in GITHUB_TABLES:
                frame = pl.concat([tables[table], synced.read(table)], how="vertical")
                rows[table] = frame.height
                if layout == "whole table":
                    root.mkdir(parents=True, exist_ok=True)
                    frame.write_parquet(store.path(table))
                else:
                    store.write(table, frame)
            atomic_write_bytes(root / STATE_FILE, state)
        figures["rows"] = rows
        changed, _ = change_some(org, SHARE, org.now + timedelta(hours=1, minutes=30))
        figures["changed"] = changed
        progress(f"changed {changed} PRs; store: {', '.join(f'{t} {n:,}' for t, n in rows.items())}")
        for layout in ("whole table", "parts"):
            root = Path(tmp) / layout.replace(" ", "-")
            store = WholeTableStore(root) if layout == "whole table" else Store(root)
            clock = Clock()
            started = time.perf_counter()
            requests_made, written = resync(org, store, clock)
            wall = time.perf_counter() - started
            figures[layout] = {
                "wall_seconds": wall,
                "requests": requests_made,
                "written": written,
                "seconds": dict(clock.seconds),
                "calls": dict(clock.calls),
            }
            s = clock.seconds
            other = wall - s["http"] - s["store writes"] - s["store reads"]
            progress(
                f"re-sync, store {layout}: {wall:.1f} s wall; HTTP {s['http']:.1f} s ({requests_made} "
                f"requests), store writes {s['store writes']:.1f} s ({clock.calls['store writes']} "
                f"upserts), store reads {s['store reads']:.1f} s, the rest (the probe's comparisons, "
                f"state.json once per repo) "
                f"{other:.1f} s; {written} PRs written"
            )
        shutil.rmtree(tmp, ignore_errors=True)
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
