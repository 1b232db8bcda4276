"""The Parquet store: exact schemas, idempotent upserts, atomic writes, readable errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from core.schemas import SCHEMAS
from core.state import SyncState
from core.store import Store, StoreError


def commit_rows(*shas: str, pr: int | None = 1) -> list[dict]:
    at = datetime(2026, 11, 17, 9, tzinfo=UTC)
    return [{"repo": "acme/app", "sha": s, "author": "a", "authored_at": at, "pr_number": pr} for s in shas]


def test_missing_table_reads_empty_with_schema(tmp_path: Path) -> None:
    frame = Store(tmp_path).read("reviews")
    assert frame.is_empty()
    assert frame.schema == SCHEMAS["reviews"]


def test_upsert_twice_gives_same_rows(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.upsert("commits", commit_rows("a", "b"))
    first = store.read("commits")
    store.upsert("commits", commit_rows("a", "b"))
    assert store.read("commits").equals(first)
    assert first.height == 2
    assert first.schema == SCHEMAS["commits"]


def test_newer_row_wins_and_replace_scope_drops_stale_children(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.upsert("commits", commit_rows("a", "b") + commit_rows("z", pr=2))
    # PR 1 was force-pushed: its commits are now only "c".
    store.upsert(
        "commits", commit_rows("c"), replace_scope=pl.DataFrame({"repo": ["acme/app"], "pr_number": [1]})
    )
    assert sorted(store.read("commits")["sha"].to_list()) == ["c", "z"]


def test_crash_during_write_leaves_previous_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    store.upsert("commits", commit_rows("a"))

    def crash(self: pl.DataFrame, file: object, *args: object, **kwargs: object) -> None:
        Path(str(file)).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", crash)
    with pytest.raises(OSError, match="disk full"):
        store.upsert("commits", commit_rows("b"))
    monkeypatch.undo()
    assert store.read("commits")["sha"].to_list() == ["a"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_corrupt_table_names_file_and_rebuild(tmp_path: Path) -> None:
    (tmp_path / "issues.parquet").write_bytes(b"not parquet")
    with pytest.raises(StoreError, match=r"issues\.parquet is not a readable Parquet file.*radar sync"):
        Store(tmp_path).read("issues")


def test_sync_state_round_trip_and_corruption(tmp_path: Path) -> None:
    store = Store(tmp_path)
    state = SyncState(store)
    assert state.cursor("github", "acme/app") is None
    cursor = datetime(2026, 11, 20, 12, tzinfo=UTC)
    state.set_cursor("github", "acme/app", cursor)
    assert SyncState(store).cursor("github", "acme/app") == cursor
    (tmp_path / "state.json").write_text("{truncated")
    with pytest.raises(StoreError, match=r"state\.json is damaged.*--since"):
        SyncState(store).cursor("github", "acme/app")


def test_naive_and_string_times_are_read_as_utc(tmp_path: Path) -> None:
    # A store written by hand with naive datetimes still reads with the exact schema.
    pl.DataFrame({"repo": ["r"], "sha": ["a"], "authored_at": [datetime(2026, 11, 17, 9)]}).write_parquet(
        tmp_path / "commits.parquet"
    )
    frame = Store(tmp_path).read("commits")
    assert frame.schema == SCHEMAS["commits"]
    assert frame["authored_at"][0] == datetime(2026, 11, 17, 9, tzinfo=UTC)
