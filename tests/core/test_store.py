"""The Parquet store: exact schemas, idempotent upserts, atomic writes, readable errors.

Every test runs against both backends: a local folder, and an `s3://` location on moto's S3
server on loopback (tests/s3server.py)."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from core.schemas import SCHEMAS
from core.state import SyncState
from core.store import Store, StoreError, part_name, part_order
from tests.s3server import BUCKET, S3Server


class Backend:
    """A store location of one kind, and a way to plant raw bytes in it (as a damaged disk would)."""

    def __init__(self, location: Path | str, server: S3Server | None = None) -> None:
        self.location = location
        self.server = server

    def store(self) -> Store:
        return Store(self.location)

    def plant_table(self, table: str, data: bytes) -> None:
        """Make `data` the table's content, bypassing the store: one file (one data object) for
        the whole table, as earlier versions wrote it or a hand would."""
        if self.server is None:
            assert isinstance(self.location, Path)
            shutil.rmtree(self.location / f"{table}.parquet", ignore_errors=True)
            (self.location / f"{table}.parquet").write_bytes(data)
            return
        self.put(f"{table}/planted.parquet", data)
        self.put(f"{table}.manifest.json", json.dumps({"table": table, "data": f"{table}/planted.parquet"}))

    def put(self, name: str, data: bytes | str) -> None:
        if self.server is None:
            assert isinstance(self.location, Path)
            target = self.location / name
            target.write_bytes(data.encode() if isinstance(data, str) else data)
            return
        assert isinstance(self.location, str)
        prefix = self.location.removeprefix(f"s3://{BUCKET}/")
        self.server.client().put_object(Bucket=BUCKET, Key=f"{prefix}/{name}", Body=data)  # type: ignore[attr-defined]

    def leftovers(self) -> list[str]:
        """Files or objects that are neither a table, its manifest, nor the state."""
        if self.server is None:
            assert isinstance(self.location, Path)
            return [str(p.relative_to(self.location)) for p in self.location.rglob("*") if ".tmp" in p.name]
        assert isinstance(self.location, str)
        prefix = self.location.removeprefix(f"s3://{BUCKET}/") + "/"
        listing = self.server.client().list_objects_v2(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
        keys = [item["Key"][len(prefix) :] for item in listing.get("Contents", [])]
        referenced = set()
        for key in keys:
            if key.endswith(".manifest.json"):
                body = self.server.client().get_object(Bucket=BUCKET, Key=prefix + key)["Body"].read()  # type: ignore[attr-defined]
                manifest = json.loads(body)
                parts = manifest.get("parts", [{"data": manifest.get("data")}])
                current = [part["data"] for part in parts]
                referenced |= {key, *current, *(r["data"] for r in manifest.get("retired", []))}
        return sorted(set(keys) - referenced - {"state.json"})


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return Backend(tmp_path)
    server: S3Server = request.getfixturevalue("s3_env")
    return Backend(server.new_location(), server)


def commit_rows(*shas: str, pr: int | None = 1) -> list[dict[str, Any]]:
    at = datetime(2026, 11, 17, 9, tzinfo=UTC)
    return [{"repo": "acme/app", "sha": s, "author": "a", "authored_at": at, "pr_number": pr} for s in shas]


def test_missing_table_reads_empty_with_schema(backend: Backend) -> None:
    store = backend.store()
    frame = store.read("reviews")
    assert frame.is_empty()
    assert frame.schema == SCHEMAS["reviews"]
    assert store.scan("reviews").collect().schema == SCHEMAS["reviews"]


def test_upsert_twice_gives_same_rows(backend: Backend) -> None:
    store = backend.store()
    store.upsert("commits", commit_rows("a", "b"))
    first = store.read("commits")
    store.upsert("commits", commit_rows("a", "b"))
    assert store.read("commits").equals(first)
    assert first.height == 2
    assert first.schema == SCHEMAS["commits"]
    assert store.scan("commits").collect().equals(first)


def test_newer_row_wins_and_replace_scope_drops_stale_children(backend: Backend) -> None:
    store = backend.store()
    store.upsert("commits", commit_rows("a", "b") + commit_rows("z", pr=2))
    # PR 1 was force-pushed: its commits are now only "c".
    store.upsert(
        "commits", commit_rows("c"), replace_scope=pl.DataFrame({"repo": ["acme/app"], "pr_number": [1]})
    )
    assert sorted(store.read("commits")["sha"].to_list()) == ["c", "z"]
    store.delete("commits", pl.DataFrame({"sha": ["z"]}))
    assert store.read("commits")["sha"].to_list() == ["c"]


def test_crash_during_write_leaves_previous_version(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = backend.store()
    store.upsert("commits", commit_rows("a"))

    def crash(self: pl.DataFrame, file: object, *args: object, **kwargs: object) -> None:
        if isinstance(file, io.IOBase):
            file.write(b"PAR1 half a file")  # type: ignore[attr-defined]
        else:
            Path(str(file)).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    with monkeypatch.context() as patched, pytest.raises(OSError, match="disk full"):
        patched.setattr(pl.DataFrame, "write_parquet", crash)
        store.upsert("commits", commit_rows("b"))
    assert store.read("commits")["sha"].to_list() == ["a"]
    assert backend.leftovers() == []


def test_corrupt_table_names_file_and_rebuild(backend: Backend) -> None:
    backend.store().upsert("issues", [{"key": "DS-1"}])  # the folder or prefix exists
    backend.plant_table("issues", b"not parquet")
    with pytest.raises(StoreError, match=r"issues\S*\.parquet is not a readable Parquet file.*radar sync"):
        backend.store().read("issues")


def test_sync_state_round_trip_and_corruption(backend: Backend) -> None:
    store = backend.store()
    state = SyncState(store)
    assert state.cursor("github", "acme/app") is None
    cursor = datetime(2026, 11, 20, 12, tzinfo=UTC)
    state.set_cursor("github", "acme/app", cursor)
    state.set_cursor("jira", "DS", cursor)
    assert SyncState(store).cursor("github", "acme/app") == cursor
    assert SyncState(store).cursor("jira", "DS") == cursor
    backend.put("state.json", "{truncated")
    with pytest.raises(StoreError, match=r"state\.json is damaged.*--since"):
        SyncState(store).cursor("github", "acme/app")


def test_naive_and_string_times_are_read_as_utc(backend: Backend) -> None:
    # A store written by hand with naive datetimes still reads with the exact schema.
    buffer = io.BytesIO()
    pl.DataFrame({"repo": ["r"], "sha": ["a"], "authored_at": [datetime(2026, 11, 17, 9)]}).write_parquet(
        buffer
    )
    backend.store().upsert("pull_requests", [])  # the folder or prefix exists
    backend.plant_table("commits", buffer.getvalue())
    frame = backend.store().read("commits")
    assert frame.schema == SCHEMAS["commits"]
    assert frame["authored_at"][0] == datetime(2026, 11, 17, 9, tzinfo=UTC)


# -- parts: one per repo, Jira project or team ------------------------------------------------------


def part_versions(backend: Backend, table: str) -> dict[str | None, object]:
    """Each part's current version: its file's inode and time (a rename makes a new inode), or
    its data object on S3."""
    if backend.server is None:
        assert isinstance(backend.location, Path)
        store = backend.store()
        return {value: (p.stat().st_ino, p.stat().st_mtime_ns) for value, p in store.parts(table)}
    assert isinstance(backend.location, str)
    prefix = backend.location.removeprefix(f"s3://{BUCKET}/")
    body = backend.server.client().get_object(Bucket=BUCKET, Key=f"{prefix}/{table}.manifest.json")["Body"]  # type: ignore[attr-defined]
    return {part["value"]: part["data"] for part in json.loads(body.read())["parts"]}


def test_part_names_encode_the_value() -> None:
    assert part_name("commits", "acme/app") == "repo=acme%2Fapp.parquet"
    assert part_name("issue_events", "DS") == "project=DS.parquet"
    assert part_name("pull_requests", None) == "repo=%.parquet"
    assert part_name("checkins", "") == "all=.parquet"


def test_a_write_rewrites_only_the_parts_it_touches(backend: Backend) -> None:
    store = backend.store()
    store.upsert("commits", [*commit_rows("a"), {**commit_rows("w")[0], "repo": "acme/web"}])
    before = part_versions(backend, "commits")
    assert sorted(before, key=part_order) == ["acme/app", "acme/web"]
    assert store.upsert("commits", commit_rows("b")) == 3  # a, b in acme/app; w in acme/web
    after = part_versions(backend, "commits")
    assert after["acme/web"] == before["acme/web"]
    assert after["acme/app"] != before["acme/app"]
    # The same rows again change nothing, so nothing is written.
    store.upsert("commits", commit_rows("b"))
    assert part_versions(backend, "commits") == after
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "b", "w"]


def test_a_write_replaces_the_whole_table_and_drops_the_parts_it_no_longer_has(backend: Backend) -> None:
    """`write` is the table's new content: a repo missing from the frame loses its part."""
    store = backend.store()
    web = {**commit_rows("w")[0], "repo": "acme/web"}
    store.write("commits", pl.DataFrame([*commit_rows("a"), web]))
    assert set(part_versions(backend, "commits")) == {"acme/app", "acme/web"}
    store.write("commits", pl.DataFrame(commit_rows("b")))
    # Only acme/app's new row is left; acme/web's part is gone, not kept as it was.
    assert list(part_versions(backend, "commits")) == ["acme/app"]
    assert store.read("commits")["sha"].to_list() == ["b"]
    # An empty frame empties the table.
    store.write("commits", pl.DataFrame(schema=SCHEMAS["commits"]))
    assert store.read("commits").is_empty()


def test_jira_rows_are_kept_by_the_project_of_their_key(backend: Backend) -> None:
    store = backend.store()
    events = [{"key": key, "event_id": "1", "field": "status"} for key in ("PLAT-2", "DS-1", "DS-10", "odd")]
    store.upsert("issue_events", events)
    # "odd" has no "-": the part of no project.
    assert sorted(part_versions(backend, "issue_events"), key=part_order) == ["", "DS", "PLAT"]
    # A scope of keys replaces the events of those issues only: DS-1's go, DS-10's stay.
    store.upsert("issue_events", [], replace_scope=pl.DataFrame({"key": ["DS-1"]}))
    assert sorted(store.read("issue_events")["key"].to_list()) == ["DS-10", "PLAT-2", "odd"]


def test_parts_read_in_primary_key_order(backend: Backend) -> None:
    store = backend.store()
    rows = [{**row, "repo": repo} for repo in ("b/two", None, "a/one") for row in commit_rows("y", "x")]
    store.upsert("commits", rows)
    frame = store.read("commits")
    # By (repo, sha), null repo last: what one file sorted by the key gave.
    assert frame.select("repo", "sha").rows() == [
        ("a/one", "x"), ("a/one", "y"), ("b/two", "x"), ("b/two", "y"), (None, "x"), (None, "y"),
    ]  # fmt: skip
    assert store.scan("commits").collect().equals(frame)


def test_a_single_file_table_reads_and_moves_into_parts_on_its_first_write(backend: Backend) -> None:
    # A table as earlier versions kept it: one file (one data object), rows of two repos.
    buffer = io.BytesIO()
    pl.DataFrame([*commit_rows("a", "b"), {**commit_rows("w")[0], "repo": "acme/web"}]).write_parquet(buffer)
    backend.store().upsert("reviews", [])  # the folder or prefix exists
    backend.plant_table("commits", buffer.getvalue())
    store = backend.store()
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "b", "w"]
    assert sorted(store.scan("commits").collect()["sha"].to_list()) == ["a", "b", "w"]

    store.upsert("commits", commit_rows("c"))
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "b", "c", "w"]
    assert sorted(part_versions(backend, "commits"), key=part_order) == ["acme/app", "acme/web"]
    if backend.server is None:
        assert isinstance(backend.location, Path)
        assert (backend.location / "commits.parquet").is_dir()  # SPEC §4's path, now a folder of parts
        assert not (backend.location / ".commits.parquet.single").exists()
    assert backend.leftovers() == []


def test_a_move_into_parts_stopped_at_any_point_leaves_one_whole_table(tmp_path: Path) -> None:
    legacy = pl.DataFrame([*commit_rows("a"), {**commit_rows("w")[0], "repo": "acme/web"}])
    store = Store(tmp_path)
    table, aside = store.path("commits"), tmp_path / ".commits.parquet.single"
    legacy.write_parquet(table)
    # Stopped while writing the staging folder: the single file is still the table.
    (tmp_path / ".commits.parts").mkdir()
    (tmp_path / ".commits.parts" / part_name("commits", "acme/app")).write_bytes(b"PAR1 half")
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "w"]
    store.upsert("commits", commit_rows("b"))
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "b", "w"]
    assert not (tmp_path / ".commits.parts").exists() and not aside.exists()
    assert table.is_dir()  # SPEC's path is still the table's: the folder of its parts
    assert sorted(pl.read_parquet(table)["sha"].to_list()) == ["a", "b", "w"]
    # Stopped between moving the file aside and the folder into its place: the file aside is the
    # table, and the next write moves it again.
    shutil.rmtree(table)
    legacy.write_parquet(aside)
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "w"]
    store.upsert("commits", commit_rows("b"))
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "b", "w"]
    assert table.is_dir() and not aside.exists()
    # Stopped after the folder took the file's place, before the file aside was deleted: the parts
    # are the table (the file is not read twice) and the next write deletes the file.
    legacy.write_parquet(aside)
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "b", "w"]
    store.upsert("commits", commit_rows("c"))
    assert sorted(store.read("commits")["sha"].to_list()) == ["a", "b", "c", "w"]
    assert not aside.exists()


def test_a_damaged_part_is_named_by_read_and_scan(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.upsert("commits", [*commit_rows("a"), {**commit_rows("w")[0], "repo": "acme/web"}])
    web = store.part_path("commits", "acme/web")
    pl.DataFrame({"repo": ["acme/web"], "sha": ["w"], "authored_at": ["not a time"]}).write_parquet(web)
    with pytest.raises(StoreError, match=r"repo=acme%2Fweb\.parquet is not a readable Parquet file"):
        store.read("commits")
    web.write_bytes(web.read_bytes()[:20])  # cut short
    with pytest.raises(StoreError, match=r"repo=acme%2Fweb\.parquet is not a readable Parquet file"):
        store.scan("commits")


def test_the_row_count_counts_parts_another_writer_changed(backend: Backend) -> None:
    first, second = backend.store(), backend.store()
    web = [{**row, "repo": "acme/web"} for row in commit_rows("w1", "w2")]
    assert first.upsert("commits", [*commit_rows("a"), web[0]]) == 2
    assert second.upsert("commits", web) == 3  # a; w1, w2
    assert first.upsert("commits", commit_rows("b")) == 4  # a, b; w1, w2 (written by `second`)
