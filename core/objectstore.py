"""The store's tables on an S3-compatible object store, committed without a lock.

Layout under `s3://bucket/prefix/`:

    <table>.manifest.json       which data object holds each part of the table now (a repo's,
                                a Jira project's rows: core/store.py) and the ones
                                retired lately
    <table>/<id>.parquet        immutable data objects, one per part and commit
    state.json                  the sync state (core/state.py)

A commit reads the parts it changes, uploads a new data object for each, then replaces the
manifest with a conditional put (`If-Match` on the ETag read, or `If-None-Match: *` for the first
one): all of its parts become the table at once. When another writer committed in between, S3
answers 412 (or 409 for a simultaneous conditional write): the commit reads the table again,
redoes its change and tries again, so no update is ever lost. A reader reads the manifest and
then data objects that never change, so it sees one commit whole, never a torn file, even while
writers replace parts. Data objects of earlier commits are deleted `GRACE` after they were retired
(a scan that started before still finds its object); so are objects a killed writer uploaded but
never committed. A manifest of earlier versions names one data object for the whole table
(`"data"`); it is read as it is, and the table's first commit splits it into parts.

Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
AWS_SESSION_TOKEN, AWS_PROFILE, an instance role); `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`)
points at an S3-compatible service. Writes and the small JSON objects go through boto3; tables
are read by polars' own cloud reader with the same credentials (never logged).
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import polars as pl
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from core.schemas import conform, empty
from core.store import Change, Part, Select, StoreError, part_order, split_parts

log = logging.getLogger(__name__)

SCHEME = "s3://"
MANIFEST_SUFFIX = ".manifest.json"
# A data object that a commit retired, or that no commit took (its writer was killed), is
# deleted by a later commit this long after: far longer than any read of one table takes.
GRACE = timedelta(minutes=15)
MAX_ATTEMPTS = 40  # commits of one change before giving up (each lost race costs one)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
# S3 answers 412 when a condition fails, and 409 when another conditional write to the same
# key is in flight: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
_CONFLICTS = {"PreconditionFailed", "ConditionalRequestConflict"}


class Conflict(Exception):
    """Another writer committed first; read again and redo the change."""


def is_object_store(location: object) -> bool:
    return isinstance(location, str) and location.startswith(SCHEME)


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # without leading or trailing slash; "" for the bucket's root

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """`s3://bucket/prefix`; raises ValueError naming what is wrong (never echoing a secret)."""
        if not url.startswith(SCHEME):
            raise ValueError("an object store location starts with s3://")
        bucket, _, prefix = url[len(SCHEME) :].partition("/")
        if "@" in bucket or ":" in bucket:
            raise ValueError(
                "an s3:// location names a bucket only; credentials come from the AWS environment"
            )
        if not _BUCKET.match(bucket):
            raise ValueError("not a valid S3 bucket name (3-63 lowercase letters, digits, dots, dashes)")
        prefix = prefix.strip("/")
        if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
            raise ValueError("the prefix has an empty, '.' or '..' part")
        return cls(bucket, prefix)

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def url(self, name: str) -> str:
        return f"{SCHEME}{self.bucket}/{self.key(name)}"

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}" if self.prefix else f"{SCHEME}{self.bucket}"


_CLIENTS: dict[tuple[str | None, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_REGION")


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _client() -> Any:
    """One boto3 S3 client per process and AWS environment (clients are thread-safe, sessions not)."""
    key = tuple(os.environ.get(name) for name in _ENV)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            session = boto3.session.Session()
            config = BotoConfig(retries={"mode": "standard", "max_attempts": 5})
            _CLIENTS[key] = (session, session.client("s3", config=config, endpoint_url=_endpoint()))
        return _CLIENTS[key]


class ObjectClient:
    """The few S3 calls the store makes; errors become StoreError or Conflict."""

    def __init__(self, location: S3Location) -> None:
        self.location = location
        self._session, self._s3 = _client()

    def _failed(self, error: Exception, key: str) -> StoreError:
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "")
            if code == "NoSuchBucket":
                return StoreError(f"{SCHEME}{self.location.bucket}: the bucket does not exist")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return StoreError(f"{SCHEME}{self.location.bucket}/{key}: S3 answered {status} {code}")
        return StoreError(f"{SCHEME}{self.location.bucket}/{key}: {type(error).__name__}")

    def get(self, name: str) -> tuple[bytes, str] | None:
        """The object's bytes and ETag, or None when there is none."""
        key = self.location.key(name)
        try:
            answer = self._s3.get_object(Bucket=self.location.bucket, Key=key)
            return answer["Body"].read(), answer["ETag"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise self._failed(error, key) from None
        except BotoCoreError as error:
            raise self._failed(error, key) from None

    def put(self, name: str, data: bytes, *, if_match: str | None = None, if_absent: bool = False) -> str:
        """Store an object, only if its ETag is still `if_match` / only if there is none yet."""
        key = self.location.key(name)
        conditions: dict[str, str] = {}
        if if_match is not None:
            conditions["IfMatch"] = if_match
        elif if_absent:
            conditions["IfNoneMatch"] = "*"
        try:
            answer = self._s3.put_object(Bucket=self.location.bucket, Key=key, Body=data, **conditions)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in _CONFLICTS or (if_match is not None and code == "NoSuchKey"):
                raise Conflict(key) from None  # replaced, or deleted, since it was read
            raise self._failed(error, key) from None
        except BotoCoreError as error:
            raise self._failed(error, key) from None
        return str(answer["ETag"])

    def delete(self, name: str) -> None:
        key = self.location.key(name)
        try:
            self._s3.delete_object(Bucket=self.location.bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            log.warning("could not delete %s: %s", key, self._failed(error, key))

    def list(self, folder: str) -> list[tuple[str, datetime]]:
        """Names (relative to the store's prefix) and last-modified times under `folder/`."""
        start = self.location.key(folder) + "/"
        cut = len(self.location.key(""))
        found: list[tuple[str, datetime]] = []
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=start
            ):
                found += [(item["Key"][cut:], item["LastModified"]) for item in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as error:
            raise self._failed(error, start) from None
        return found

    def storage_options(self) -> dict[str, str]:
        """polars' (object_store's) options for the same credentials and endpoint as boto3."""
        options = {"aws_region": self._s3.meta.region_name or "us-east-1"}
        credentials = self._session.get_credentials()
        if credentials is not None:
            frozen = credentials.get_frozen_credentials()  # refreshed when temporary
            options["aws_access_key_id"] = frozen.access_key
            options["aws_secret_access_key"] = frozen.secret_key
            if frozen.token:
                options["aws_session_token"] = frozen.token
        endpoint = _endpoint()
        if endpoint:
            options["aws_endpoint_url"] = endpoint
            if endpoint.startswith("http://"):
                options["aws_allow_http"] = "true"
        return options


class ObjectTables:
    """Tables and small documents under one S3 location (see the module's docstring)."""

    def __init__(self, location: S3Location) -> None:
        self.location = location
        self.objects = ObjectClient(location)

    def describe(self, name: str) -> str:
        return self.location.url(name)

    # -- documents (the sync state) ------------------------------------------------------------

    def read_document(self, name: str) -> bytes | None:
        found = self.objects.get(name)
        return None if found is None else found[0]

    def update_document(self, name: str, change: Callable[[bytes | None], bytes]) -> None:
        """Read, change and conditionally replace a small object; redo the change on a conflict."""
        for attempt in range(MAX_ATTEMPTS):
            found = self.objects.get(name)
            data = change(None if found is None else found[0])
            try:
                self.objects.put(name, data, if_match=found[1] if found else None, if_absent=found is None)
                return
            except Conflict:
                _back_off(attempt)
        raise StoreError(f"{self.describe(name)}: gave up after {MAX_ATTEMPTS} conflicting writes")

    # -- tables ---------------------------------------------------------------------------------

    def _manifest(self, table: str) -> tuple[dict[str, Any] | None, str | None]:
        name = table + MANIFEST_SUFFIX
        found = self.objects.get(name)
        if found is None:
            return None, None
        try:
            manifest = json.loads(found[0])
            if not isinstance(manifest, dict):
                raise ValueError
            parts = manifest.get("parts")
            if parts is None and not isinstance(manifest.get("data"), str):
                raise ValueError
            if parts is not None and not (
                isinstance(parts, list)
                and all(isinstance(p, dict) and isinstance(p.get("data"), str) for p in parts)
            ):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            raise StoreError(
                f"{self.describe(name)} is not a manifest of the {table} table. Delete it and the sync "
                f"state {self.describe('state.json')} and run `radar sync --since DATE` to rebuild it."
            ) from None
        return manifest, found[1]

    def part_urls(self, table: str) -> list[str] | None:
        """The table's data objects now, in part order; None when nothing was committed yet."""
        manifest, _ = self._manifest(table)
        if manifest is None:
            return None
        if "parts" not in manifest:  # one object for the whole table, as earlier versions wrote
            return [self.location.url(manifest["data"])]
        parts = sorted(manifest["parts"], key=lambda part: part_order(part.get("value")))
        return [self.location.url(part["data"]) for part in parts]

    def storage_options(self) -> dict[str, str]:
        return self.objects.storage_options()

    def commit_parts(
        self, table: str, select: Select, change: Change, load: Callable[[str], pl.DataFrame]
    ) -> int:
        """Make `change(value, current rows)` each part `select` picks, all in one commit; redo it
        when another writer won. Returns the table's row count.

        `load` reads a data object's URL. The change must depend only on the part it is given (an
        upsert, a delete): a retry applies it to the other writer's result, so both updates end
        up in the table. A part left empty is dropped; a part left as it was is not rewritten."""
        manifest_name = table + MANIFEST_SUFFIX
        for attempt in range(MAX_ATTEMPTS):
            manifest, etag = self._manifest(table)
            parts: dict[Part, dict[str, Any]] = {}
            pending: dict[Part, pl.DataFrame] = {}  # parts to upload
            replaced: list[str] = []  # data objects this commit retires
            if manifest is not None and "parts" not in manifest:
                pending = split_parts(table, load(self.location.url(manifest["data"])))
                replaced.append(manifest["data"])
            elif manifest is not None:
                parts = {part.get("value"): part for part in manifest["parts"]}
            existing: Sequence[Part] = [*parts, *(value for value in pending if value not in parts)]
            for value in dict.fromkeys(select(existing)):
                if value in pending:
                    old = pending[value]
                elif value in parts:
                    old = load(self.location.url(parts[value]["data"]))
                else:
                    old = empty(table)
                new = conform(table, change(value, old))
                if value in pending or not new.equals(old):
                    pending[value] = new
            if not pending and not replaced:  # nothing changes: the table read is the result
                return sum(int(part.get("rows", 0)) for part in parts.values())
            now = datetime.now(UTC)
            uploaded: list[str] = []
            try:
                for value, frame in pending.items():
                    if value in parts:
                        replaced.append(parts.pop(value)["data"])
                    if frame.is_empty():
                        continue
                    buffer = io.BytesIO()
                    frame.write_parquet(buffer)
                    data_name = f"{table}/{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex}.parquet"
                    self.objects.put(data_name, buffer.getvalue(), if_absent=True)
                    uploaded.append(data_name)
                    parts[value] = {"value": value, "data": data_name, "rows": frame.height}
            except BaseException:
                for name in uploaded:
                    self.objects.delete(name)
                raise
            retired, expired = _retire(manifest, replaced, now)
            current = sorted(parts.values(), key=lambda part: part_order(part.get("value")))
            rows = sum(int(part["rows"]) for part in current)
            document = {
                "table": table,
                "parts": current,
                "rows": rows,
                "committed_at": now.isoformat(),
                "retired": retired,
            }
            try:
                self.objects.put(
                    manifest_name,
                    json.dumps(document, indent=1).encode(),
                    if_match=etag,
                    if_absent=etag is None,
                )
            except Conflict:
                for name in uploaded:
                    self.objects.delete(name)
                log.debug("%s: another writer committed first; redoing the change", table)
                _back_off(attempt)
                continue
            keep = {part["data"] for part in current} | {entry["data"] for entry in retired}
            self._collect(table, expired, keep=keep, now=now)
            return rows
        raise StoreError(f"{self.describe(manifest_name)}: gave up after {MAX_ATTEMPTS} conflicting commits")

    def _collect(self, table: str, expired: list[str], keep: set[str], now: datetime) -> None:
        """Delete data objects retired longer than GRACE ago and ones no commit ever took."""
        for name in expired:
            self.objects.delete(name)
        for name, modified in self.objects.list(table):
            if name not in keep and name not in expired and now - modified > GRACE:
                self.objects.delete(name)


def _retire(
    manifest: dict[str, Any] | None, replaced: list[str], now: datetime
) -> tuple[list[dict[str, str]], list[str]]:
    """The retired list of the next manifest (the objects replaced now added) and the names now expired."""
    kept: list[dict[str, str]] = [{"data": name, "since": now.isoformat()} for name in replaced]
    expired: list[str] = []
    for entry in [] if manifest is None else manifest.get("retired", []):
        since = datetime.fromisoformat(entry["since"])
        if now - since > GRACE:
            expired.append(entry["data"])
        else:
            kept.append(entry)
    return kept, expired


def _back_off(attempt: int) -> None:
    """Sleep a little longer after each lost race, with jitter so two writers drift apart."""
    time.sleep(min(2.0, 0.02 * 2 ** min(attempt, 7)) * random.uniform(0.5, 1.5))
