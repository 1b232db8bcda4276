"""Edges of the object store that need no S3 server: the retired list a commit carries on, and the
options polars reads tables with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.objectstore import GRACE, ObjectClient, S3Location, _retire

NOW = datetime(2026, 11, 17, 9, tzinfo=UTC)


def test_retired_objects_are_carried_on_until_their_grace_has_passed() -> None:
    """A commit's retired list keeps what earlier commits retired within GRACE, adds what it
    replaces now, and hands back for deletion what was retired longer ago."""
    old = {"data": "commits/old.parquet", "since": (NOW - GRACE - timedelta(seconds=1)).isoformat()}
    recent = {"data": "commits/recent.parquet", "since": (NOW - timedelta(minutes=1)).isoformat()}
    kept, expired = _retire({"parts": [], "retired": [old, recent]}, ["commits/now.parquet"], NOW)
    # Replaced now (retired since NOW) first, then the one retired a minute ago; the one past
    # its grace leaves the list and is to be deleted.
    assert kept == [{"data": "commits/now.parquet", "since": NOW.isoformat()}, recent]
    assert expired == ["commits/old.parquet"]
    # The table's first commit has no earlier list.
    first = {"data": "commits/x.parquet", "since": NOW.isoformat()}
    assert _retire(None, ["commits/x.parquet"], NOW) == ([first], [])


def test_polars_is_given_the_same_credentials_and_endpoint_as_boto3(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Tables are read by polars with the credentials and endpoint the writes use, under the
    option names polars documents (aws_access_key_id, ...)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing is sent to it here
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "radar-edges-key")  # a key of its own: a fresh client
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "radar-edges-secret")
    options = ObjectClient(S3Location.parse("s3://radar-data/acme")).storage_options()
    assert options == {
        "aws_region": "eu-west-1",
        "aws_access_key_id": "radar-edges-key",
        "aws_secret_access_key": "radar-edges-secret",
        "aws_endpoint_url": "http://127.0.0.1:9",
        "aws_allow_http": "true",  # a plain-http endpoint (a local S3) must be allowed explicitly
    }


@pytest.fixture
def aws_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials and a region from the environment only (no config or credentials file)."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "radar-edges-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "radar-edges-secret")


@pytest.mark.usefixtures("aws_key")
@pytest.mark.parametrize("operation", ["get_object", "put_object"])
def test_an_s3_refusal_names_the_object_the_status_and_the_code(operation: str) -> None:
    """An S3 error other than a missing bucket or key says which object, and what S3 answered: the
    HTTP status and S3's error code (botocore's own stubber gives the client that answer), for a
    read and a write alike."""
    from botocore.stub import Stubber

    from core.store import StoreError

    client = ObjectClient(S3Location.parse("s3://radar-data/acme"))
    with Stubber(client._s3) as stub:
        stub.add_client_error(operation, service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(StoreError) as raised:
            if operation == "get_object":
                client.get("commits/manifest.json")
            else:
                client.put("commits/manifest.json", b"{}")
    assert str(raised.value) == "s3://radar-data/acme/commits/manifest.json: S3 answered 403 AccessDenied"


@pytest.mark.usefixtures("aws_key")
def test_the_s3_endpoint_of_its_own_comes_before_the_general_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """`AWS_ENDPOINT_URL_S3` (the AWS SDKs' service-specific setting) wins over `AWS_ENDPOINT_URL`,
    for boto3's writes and polars' reads alike."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:19")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "radar-endpoint-key")  # a key of its own: a fresh client
    client = ObjectClient(S3Location.parse("s3://radar-data/acme"))
    assert client._s3.meta.endpoint_url == "http://127.0.0.1:19"
    assert client.storage_options()["aws_endpoint_url"] == "http://127.0.0.1:19"
    # throttles and 5xx are retried in boto3's standard mode: botocore reads `max_attempts: 5` as
    # five retries, six attempts in all
    assert client._s3.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}


@pytest.mark.parametrize("name", ["Tbilisi", "Mars/Tbilisi"])
def test_a_city_is_looked_up_under_other_regions_only_when_its_region_is_one(name: str) -> None:
    """`Europe/Tbilisi` is `Asia/Tbilisi` (a real region, the wrong one); a bare city or a region
    that does not exist is refused, not guessed."""
    from core.config import zone_for

    assert zone_for("Europe/Tbilisi").key == "Asia/Tbilisi"
    with pytest.raises(ValueError, match=f"unknown time zone '{name}'"):
        zone_for(name)


def test_a_base_url_is_https_unless_plain_http_is_allowed_outright() -> None:
    """Called without `allow_insecure`, plain http is refused: the safe answer is the default."""
    from core.config import check_base_url

    with pytest.raises(ValueError, match="is plain http; use https or set allow_insecure = true"):
        check_base_url("http://jira.acme.example")
    assert check_base_url("http://jira.acme.example/", allow_insecure=True) == "http://jira.acme.example"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # Alibaba Cloud's metadata service lies outside the link-local range; AWS's and GCP's
        # 169.254.169.254 is refused as link-local, like any 169.254.x.y
        ("https://100.100.100.200", "a cloud metadata service"),
        ("https://169.254.169.254", "a link-local, multicast or unspecified address"),
        ("https://[fe80::1]", "a link-local, multicast or unspecified address"),
        ("https://0.0.0.0", "a link-local, multicast or unspecified address"),
    ],
)
def test_a_base_url_at_a_forbidden_address_says_which_kind(url: str, reason: str) -> None:
    from core.config import check_base_url

    with pytest.raises(ValueError) as raised:
        check_base_url(url)
    assert str(raised.value) == f"'{url}' points at {reason}"


def test_the_store_says_when_it_tidies_up_after_an_earlier_writer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two things a writer does to what another left behind are logged with where: temp files of a
    writer that died, and a single-file table of an earlier version moved into parts."""
    import logging
    import os

    import polars as pl

    from core.store import Store, remove_orphan_temp_files
    from tests.core.test_store import commit_rows

    caplog.set_level(logging.INFO, logger="core.store")
    # A temp file (.<name>.<pid>.<n>.tmp) two hours old: an orphan whatever its pid.
    orphan = tmp_path / f".commits.parquet.{os.getpid()}.1.tmp"
    orphan.write_bytes(b"half a file")
    now = orphan.stat().st_mtime + 7200
    assert remove_orphan_temp_files(tmp_path, now=now) == [orphan]
    assert caplog.messages == [f"removed 1 temp file(s) left by an interrupted writer in {tmp_path}"]

    caplog.clear()
    legacy = pl.DataFrame([*commit_rows("a"), {**commit_rows("w")[0], "repo": "acme/web"}])
    legacy.write_parquet(tmp_path / "commits.parquet")
    Store(tmp_path).upsert("commits", commit_rows("c"))
    # rows of acme/app and acme/web: two parts
    assert f"moved {tmp_path / 'commits.parquet'} into 2 part(s) in its place" in caplog.messages


def test_a_person_listed_twice_or_an_identity_of_two_people_is_named() -> None:
    """One person may list a login in two spellings (GitHub logins and emails ignore case); two
    people may not share one, and one id may not be used twice."""
    from core.config import cross_reference_problems

    data = {
        "people": [
            {"id": "nino", "github": ["Nino-B", "nino-b"], "emails": ["nino@acme.example"]},
            {"id": "ana", "github": ["ana-k"], "emails": ["NINO@acme.example"]},
            {"id": "nino", "github": ["nino-2"]},
        ]
    }
    assert cross_reference_problems(data) == [
        "people[2].id: 'nino' is listed twice",
        "people[1].emails: 'NINO@acme.example' already belongs to 'nino'",
    ]


def test_a_config_given_as_data_is_named_config_in_its_errors() -> None:
    """A config that comes from no file (`parse_config(data)`) is called `<config>` in every line."""
    from core.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as raised:
        parse_config({"people": [{"id": "nino"}], "teams": [{"name": "T", "manager": "ana"}]})
    assert str(raised.value) == "<config>: teams[0].manager: 'ana' is not in [[people]]"


def test_times_written_as_text_or_dates_by_hand_read_as_utc() -> None:
    """A store written by hand or an older version: text times with an offset are converted,
    text without one is taken as UTC, a date is its midnight UTC."""
    from datetime import date

    import polars as pl

    from core.schemas import conform

    def created(*values: object) -> list[datetime]:
        keys = [f"DS-{n}" for n in range(len(values))]
        frame = pl.DataFrame({"key": keys, "comment_id": keys, "created_at": list(values)})
        return list(conform("comments", frame)["created_at"].to_list())

    # 09:00 at +04:00 is 05:00 UTC; a naive 09:00 is 09:00 UTC
    assert created("2026-11-17T09:00:00+04:00") == [datetime(2026, 11, 17, 5, tzinfo=UTC)]
    assert created("2026-11-17 09:00:00") == [datetime(2026, 11, 17, 9, tzinfo=UTC)]
    assert created(date(2026, 11, 17)) == [datetime(2026, 11, 17, tzinfo=UTC)]


def test_every_repo_to_sync_is_the_github_list_then_what_teams_add() -> None:
    """[github] repos first, then a team's own repos not already there, each once."""
    from tests.metrics.builders import config

    cfg = config(
        github={"repos": ["acme/app", "acme/lib"]},
        teams=[{"name": "Core", "manager": "mia", "members": ["m1"], "repos": ["acme/lib", "acme/web"]}],
    )
    assert cfg.all_repos() == ["acme/app", "acme/lib", "acme/web"]


def test_the_sync_state_lists_sources_and_keys_in_order_whatever_order_they_synced_in(
    tmp_path: Path,
) -> None:
    """Repos sync in parallel and finish in any order; the state file keeps one order (sorted),
    so two runs' state files can be compared line by line."""
    from core.state import STATE_FILE, SyncState
    from core.store import Store

    state = SyncState(Store(tmp_path / "data"))
    state.set_cursor("jira", "ML", NOW)
    state.set_cursor("github", "acme/zeta", NOW)
    state.set_cursor("github", "acme/alpha", NOW, note="")
    text = (tmp_path / "data" / STATE_FILE).read_text("utf-8")
    order = [text.index(f'"{name}"') for name in ("github", "acme/alpha", "acme/zeta", "jira", "ML")]
    assert order == sorted(order)
    alpha = text[text.index('"acme/alpha"') : text.index('"acme/zeta"')]
    assert alpha.index('"cursor"') < alpha.index('"note"') < alpha.index('"synced_at"')


def test_every_table_can_be_scanned_at_once_with_its_schema(tmp_path: Path) -> None:
    from core.schemas import SCHEMAS
    from core.store import Store

    scans = Store(tmp_path / "data").scan_all()
    assert list(scans) == list(SCHEMAS)
    assert {table: scan.collect_schema() for table, scan in scans.items()} == SCHEMAS
