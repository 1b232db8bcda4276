"""The store on S3 (moto's server on loopback): locations, conflicts, concurrent and killed writers."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest

from core import objectstore
from core.config import ConfigError, load_config
from core.objectstore import MANIFEST_SUFFIX, ObjectClient, S3Location
from core.state import SyncState
from core.store import Store, StoreError
from tests.s3server import BUCKET, CREDENTIALS, S3Server

AT = datetime(2026, 11, 17, 9, tzinfo=UTC)


def rows(*shas: str, repo: str | None = "acme/app") -> list[dict[str, Any]]:
    return [{"repo": repo, "sha": sha, "authored_at": AT} for sha in shas]


def keys(server: S3Server, location: str) -> list[str]:
    prefix = location.removeprefix(f"s3://{BUCKET}/") + "/"
    listing = server.client().list_objects_v2(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
    return sorted(item["Key"][len(prefix) :] for item in listing.get("Contents", []))


def manifest(server: S3Server, location: str, table: str) -> dict[str, Any]:
    key = f"{location.removeprefix(f's3://{BUCKET}/')}/{table}{MANIFEST_SUFFIX}"
    body = server.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()  # type: ignore[attr-defined]
    return json.loads(body)  # type: ignore[no-any-return]


def part_data(document: dict[str, Any], repo: str) -> str:
    """The data object a manifest names for one repo's part."""
    (found,) = [part["data"] for part in document["parts"] if part["value"] == repo]
    return str(found)


# -- the location -----------------------------------------------------------------------------------


def test_location_parses_bucket_and_prefix() -> None:
    assert S3Location.parse("s3://radar-data/acme/radar/") == S3Location("radar-data", "acme/radar")
    assert S3Location.parse("s3://radar-data").key("state.json") == "state.json"
    assert S3Location.parse("s3://radar-data/p").url("x.json") == "s3://radar-data/p/x.json"


@pytest.mark.parametrize(
    ("store", "problem"),
    [
        ("gs://radar-data/x", "must be an s3:// location"),
        ("s3://AKIAEXAMPLE:hunter2@radar-data/x", "names a bucket only"),
        ("s3://Radar_Data/x", "not a valid S3 bucket name"),
        ("s3://radar-data/a/../b", "'..' part"),
    ],
)
def test_config_refuses_other_schemes_credentials_and_bad_names(
    tmp_path: Path, store: str, problem: str
) -> None:
    path = tmp_path / "radar.toml"
    path.write_text(f'store = "{store}"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert problem in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_config_keeps_an_s3_store_as_its_url(tmp_path: Path) -> None:
    path = tmp_path / "radar.toml"
    path.write_text('store = "s3://radar-data/acme"\n')
    assert load_config(path).store_path == "s3://radar-data/acme"


# -- commits that meet another writer -----------------------------------------------------------------


def test_a_commit_that_loses_the_race_is_redone_on_the_winners_table(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="core.objectstore")
    location = s3_env.new_location()
    first, second = Store(location), Store(location)
    first.upsert("commits", rows("a"))
    put = ObjectClient.put
    raced: list[str] = []

    def put_after_a_rival(self: ObjectClient, name: str, data: bytes, **conditions: Any) -> str:
        # Just before `first` replaces the manifest it read, `second` commits its own batch.
        if name.endswith(MANIFEST_SUFFIX) and not raced:
            raced.append(name)
            monkeypatch.setattr(ObjectClient, "put", put)
            second.upsert("commits", rows("rival"))
            monkeypatch.setattr(ObjectClient, "put", put_after_a_rival)
        return put(self, name, data, **conditions)

    monkeypatch.setattr(ObjectClient, "put", put_after_a_rival)
    assert first.upsert("commits", rows("b")) == 3  # a + rival + b: nothing lost
    assert raced == ["commits" + MANIFEST_SUFFIX]
    # The redone commit is logged once, naming its table first (what tests/core/s3_writer.py
    # counts, and what a debug log is searched for).
    redone = [r.getMessage() for r in caplog.records if "another writer" in r.getMessage()]
    assert redone == ["commits: another writer committed first; redoing the change"]
    assert sorted(Store(location).read("commits")["sha"].to_list()) == ["a", "b", "rival"]
    # Three commits (a; rival; b redone on rival) and one data object each; the losing
    # attempt's upload was deleted. The current one plus the two it retired remain.
    current = manifest(s3_env, location, "commits")
    data = [k for k in keys(s3_env, location) if k.startswith("commits/")]
    assert sorted(data) == sorted([part_data(current, "acme/app"), *(r["data"] for r in current["retired"])])
    assert len(data) == 3


def test_a_cursor_written_meanwhile_by_another_sync_is_kept(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = s3_env.new_location()
    store = Store(location)
    SyncState(store).set_cursor("github", "acme/app", AT)
    put = ObjectClient.put
    raced: list[str] = []

    def put_after_a_rival(self: ObjectClient, name: str, data: bytes, **conditions: Any) -> str:
        if name == "state.json" and not raced:
            raced.append(name)
            monkeypatch.setattr(ObjectClient, "put", put)
            SyncState(Store(location)).set_cursor("jira", "DS", AT + timedelta(hours=1))
            monkeypatch.setattr(ObjectClient, "put", put_after_a_rival)
        return put(self, name, data, **conditions)

    monkeypatch.setattr(ObjectClient, "put", put_after_a_rival)
    SyncState(store).set_cursor("github", "acme/web", AT + timedelta(hours=2))
    assert raced
    state = SyncState(Store(location))
    assert state.cursor("github", "acme/app") == AT
    assert state.cursor("jira", "DS") == AT + timedelta(hours=1)
    assert state.cursor("github", "acme/web") == AT + timedelta(hours=2)


def writer(server: S3Server, location: str, name: str, batches: int, hold: int | None = None) -> Any:
    """A writer process (tests/core/s3_writer.py), once it is ready to write."""
    args = [sys.executable, "-m", "tests.core.s3_writer", location, name, str(batches)]
    env = {"PATH": "/usr/bin:/bin", **server.env}
    process = subprocess.Popen(
        [*args, *([str(hold)] if hold else [])],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready", process.stderr
    return process


def go(*processes: Any) -> None:
    """Let the writers start writing, together."""
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()


def test_two_writer_processes_at_once_lose_no_update(s3_server: S3Server, s3_env: S3Server) -> None:
    location = s3_server.new_location()
    batches = 25
    processes = [writer(s3_server, location, name, batches) for name in ("one", "two")]
    go(*processes)
    outputs = [process.communicate(timeout=240) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in out + err
    conflicts = sum(int(out.split("conflicts ")[1]) for out, _ in outputs)
    store = Store(location)
    expected = sorted(f"{name}-{n}" for name in ("one", "two") for n in range(batches))
    assert sorted(store.read("commits")["sha"].to_list()) == expected  # every batch of both writers
    state = SyncState(store)
    last = datetime(2026, 11, 16, tzinfo=UTC) + timedelta(minutes=batches - 1)
    assert state.cursor("github", "acme/one") == last
    assert state.cursor("github", "acme/two") == last
    # The writers did meet: at least one commit was redone (else this test proves nothing).
    assert conflicts > 0, outputs


def test_a_writer_killed_between_upload_and_commit_leaves_a_readable_store(
    s3_server: S3Server, s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = s3_server.new_location()
    process = writer(s3_server, location, "one", 5, hold=3)  # two commits, then the third held
    go(process)
    lines = []
    deadline = time.monotonic() + 120
    while "holding" not in lines and time.monotonic() < deadline:
        lines.append(process.stdout.readline().strip())
    assert "holding" in lines, lines
    process.kill()  # SIGKILL: its data object is uploaded, the manifest not replaced
    process.wait()
    store = Store(location)
    assert sorted(store.read("commits")["sha"].to_list()) == ["one-0", "one-1"]
    assert SyncState(store).cursor("github", "acme/one") == datetime(2026, 11, 16, 0, 1, tzinfo=UTC)
    before = manifest(s3_server, location, "commits")
    current = part_data(before, "acme/one")
    killed = set(keys(s3_server, location)) - {current, *(r["data"] for r in before["retired"])}
    assert len([k for k in killed if k.startswith("commits/")]) == 1  # the killed writer's upload
    # The next writer commits to the same repo's part as usual; past the grace period (0 here)
    # the killed writer's upload and the first version are deleted; the version it replaces
    # just now stays (a reader may have started on it), until a later commit.
    monkeypatch.setattr(objectstore, "GRACE", timedelta(0))
    store.upsert("commits", rows("next", repo="acme/one"))
    assert sorted(store.read("commits")["sha"].to_list()) == ["next", "one-0", "one-1"]
    after = manifest(s3_server, location, "commits")
    assert [r["data"] for r in after["retired"]] == [current]
    assert sorted(k for k in keys(s3_server, location) if k.startswith("commits/")) == sorted(
        [part_data(after, "acme/one"), current]
    )


def test_missing_bucket_is_one_clear_error_without_the_secret(s3_env: S3Server) -> None:
    with pytest.raises(StoreError) as raised:
        Store("s3://radar-missing-bucket/x").upsert("commits", rows("a"))
    assert "radar-missing-bucket" in str(raised.value)
    assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in str(raised.value)


# -- what S3 answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["get", "put", "list"])
def test_every_call_on_a_missing_bucket_says_the_bucket_does_not_exist(s3_env: S3Server, call: str) -> None:
    """Reading, writing or listing a bucket that is not there is one StoreError naming the bucket."""
    objects = ObjectClient(S3Location.parse("s3://radar-missing-bucket/x"))
    with pytest.raises(StoreError) as raised:
        if call == "get":
            objects.get("state.json")
        elif call == "put":
            objects.put("state.json", b"{}")
        else:
            objects.list("commits")
    assert str(raised.value) == "s3://radar-missing-bucket: the bucket does not exist"


def test_a_document_deleted_since_it_was_read_is_written_again_from_nothing(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conditional put of a document someone deleted meanwhile (S3: 404 NoSuchKey) is a lost
    race like any other: the change is redone on no document, not reported as a failure."""
    location = s3_env.new_location()
    SyncState(Store(location)).set_cursor("github", "acme/app", AT)
    prefix = location.removeprefix(f"s3://{BUCKET}/")
    put = ObjectClient.put
    deleted: list[str] = []

    def put_after_a_delete(self: ObjectClient, name: str, data: bytes, **conditions: Any) -> str:
        if name == "state.json" and not deleted:
            deleted.append(name)
            s3_env.client().delete_object(Bucket=BUCKET, Key=f"{prefix}/state.json")  # type: ignore[attr-defined]
        return put(self, name, data, **conditions)

    monkeypatch.setattr(ObjectClient, "put", put_after_a_delete)
    SyncState(Store(location)).set_cursor("github", "acme/web", AT + timedelta(hours=1))
    assert deleted == ["state.json"]
    # Redone on no state: the new cursor is there, the deleted one is not.
    state = SyncState(Store(location))
    assert state.cursor("github", "acme/web") == AT + timedelta(hours=1)
    assert state.cursor("github", "acme/app") is None


def test_a_document_replaced_at_every_attempt_is_given_up_naming_it(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After MAX_ATTEMPTS lost races the update stops with a StoreError that names the document."""
    location = s3_env.new_location()
    prefix = location.removeprefix(f"s3://{BUCKET}/")
    put = ObjectClient.put
    backed_off: list[int] = []

    def put_after_a_rival(self: ObjectClient, name: str, data: bytes, **conditions: Any) -> str:
        # Another sync writes the state just before each of this writer's puts (new content
        # each time: the same bytes would keep the ETag, and the condition would hold).
        rival = json.dumps({"jira": {f"DS{len(backed_off)}": {}}}).encode()
        s3_env.client().put_object(Bucket=BUCKET, Key=f"{prefix}/state.json", Body=rival)  # type: ignore[attr-defined]
        return put(self, name, data, **conditions)

    monkeypatch.setattr(ObjectClient, "put", put_after_a_rival)
    monkeypatch.setattr(objectstore, "MAX_ATTEMPTS", 3)
    monkeypatch.setattr(objectstore, "_back_off", backed_off.append)
    with pytest.raises(StoreError) as raised:
        SyncState(Store(location)).set_cursor("github", "acme/app", AT)
    assert str(raised.value) == f"{location}/state.json: gave up after 3 conflicting writes"
    assert backed_off == [0, 1, 2]  # one pause after each of the three lost races


# -- commits that fail halfway ------------------------------------------------------------------------


def test_a_commit_whose_upload_fails_deletes_what_it_uploaded(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When S3 refuses one of a commit's data objects, the ones it already uploaded are deleted
    and the table stays as it was."""
    location = s3_env.new_location()
    store = Store(location)
    store.upsert("commits", rows("a"))
    before = keys(s3_env, location)
    put = ObjectClient.put
    data_puts: list[str] = []

    def put_refused_the_second_time(self: ObjectClient, name: str, data: bytes, **conditions: Any) -> str:
        if name.startswith("commits/"):
            data_puts.append(name)
            if len(data_puts) == 2:
                raise StoreError(f"{name}: S3 answered 503 SlowDown")
        return put(self, name, data, **conditions)

    monkeypatch.setattr(ObjectClient, "put", put_refused_the_second_time)
    with pytest.raises(StoreError, match="SlowDown"):
        store.upsert("commits", [*rows("b"), *rows("w", repo="acme/web")])  # two parts, two uploads
    assert len(data_puts) == 2
    assert keys(s3_env, location) == before  # the first upload is gone again
    assert Store(location).read("commits")["sha"].to_list() == ["a"]


def test_a_data_object_is_never_overwritten(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data objects are immutable: a commit whose object name is taken (two parts given the same
    name here) fails instead of replacing the object."""
    location = s3_env.new_location()
    monkeypatch.setattr(objectstore, "uuid", SimpleNamespace(uuid4=lambda: UUID(int=7)))
    store = Store(location)
    # Both parts' objects are named `commits/<second>-000…07.parquet`: S3 refuses the second
    # put (If-None-Match: *), the commit stops before its manifest and deletes the first.
    with pytest.raises(objectstore.Conflict):
        store.upsert("commits", [*rows("a"), *rows("w", repo="acme/web")])
    assert keys(s3_env, location) == []
    assert Store(location).read("commits").is_empty()


def test_the_manifest_lists_parts_in_value_order(s3_env: S3Server) -> None:
    """Whatever order parts were committed in, the manifest lists them by value, the null part
    last, so a reader that follows it reads the rows in primary-key order."""
    location = s3_env.new_location()
    store = Store(location)
    for repo in (None, "b/two", "a/one"):  # each commit adds its part after the ones there
        store.upsert("commits", rows("x", repo=repo))
    document = manifest(s3_env, location, "commits")
    assert [part["value"] for part in document["parts"]] == ["a/one", "b/two", None]
    frame = s3_env.read_store(location)["commits"]  # the manifest's order, not the store's reader
    assert frame["repo"].to_list() == ["a/one", "b/two", None]
