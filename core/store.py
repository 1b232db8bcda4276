"""Parquet store: one file per table, upsert by primary key, atomic writes, no lost update.

The store is a local folder (one writer at a time, by a file lock) or an S3 location
(`s3://bucket/prefix`: conditional commits, see core/objectstore.py); callers see one interface.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from core.errors import StoreFailure
from core.schemas import PRIMARY_KEYS, SCHEMAS, conform, empty

if TYPE_CHECKING:
    from core.objectstore import ObjectTables


class StoreError(StoreFailure):
    """A store file that cannot be read; the message names the file and how to rebuild it."""


_THREAD_LOCK = threading.RLock()
log = logging.getLogger(__name__)

# `.<file name>.<pid>.<thread id>.tmp`: what `temp_path` names and a killed writer leaves behind.
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.(\d+)\.tmp$")
ORPHAN_AGE_SECONDS = 3600.0  # a temp file this old is an orphan even if its pid was reused


def temp_path(path: Path) -> Path:
    """The temp file a write of `path` goes through before its rename."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, owned by another user
        return True
    return True


def remove_orphan_temp_files(folder: Path, now: float | None = None) -> list[Path]:
    """Delete the temp files of writers that died (kill -9, power loss) before their rename:
    those of a process that no longer runs, or older than an hour. Returns what was deleted."""
    removed: list[Path] = []
    moment = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            stale = moment - entry.stat(follow_symlinks=False).st_mtime > ORPHAN_AGE_SECONDS
        except OSError:
            continue
        if stale or not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    if removed:
        log.info("removed %d temp file(s) left by an interrupted writer in %s", len(removed), folder)
    return removed


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def atomic_write_set(files: Mapping[Path, bytes]) -> None:
    """Write several files as a set: every one goes to its temp file first, and only when all of
    them are on disk are they renamed into place, in the given order (put the file that says the
    set is complete last). A failure while writing (a full disk) leaves the old files as they were
    and no temp file behind."""
    written: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = temp_path(path)
            written.append((tmp, path))
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in written:
        os.replace(tmp, path)
    for folder in {path.parent for _, path in written}:
        _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Store:
    """The normalised tables under one folder, `<root>/<table>.parquet`, or under one S3 location.

    `root` is a folder, or a string `s3://bucket/prefix` for an object store."""

    def __init__(self, root: Path | str) -> None:
        self._swept = False
        self._objects: ObjectTables | None = None
        self._root: Path | None = None
        if isinstance(root, str) and root.startswith("s3://"):
            from core.objectstore import ObjectTables, S3Location  # boto3 only when it is needed

            self._objects = ObjectTables(S3Location.parse(root))
            self.location = str(self._objects.location)
        else:
            self._root = Path(root)
            self.location = str(self._root)

    @property
    def root(self) -> Path:
        """The store's folder (a local store only)."""
        if self._root is None:
            raise StoreError(f"{self.location} is an object store; it has no local folder")
        return self._root

    def describe(self, name: str) -> str:
        """Where a file of the store lives, for messages: a path or an s3:// URL."""
        return self._objects.describe(name) if self._objects is not None else str(self.root / name)

    def path(self, table: str) -> Path:
        if table not in SCHEMAS:
            raise KeyError(f"unknown table {table!r}")
        return self.root / f"{table}.parquet"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise writers across threads and processes (Dask workers share the folder).

        On an object store there is no lock: every write is a conditional commit instead."""
        if self._objects is not None:
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(self.root / ".lock", "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                if not self._swept:  # no other writer runs now: their temp files are orphans
                    remove_orphan_temp_files(self.root)
                    self._swept = True
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _unreadable(self, table: str, name: str, error: Exception) -> StoreError:
        return StoreError(
            f"{name} is not a readable Parquet file of the {table} table ({type(error).__name__}). "
            f"Delete it and the sync state {self.describe('state.json')} and run "
            "`radar sync --since DATE` to rebuild it from the sources."
        )

    def read(self, table: str) -> pl.DataFrame:
        """The whole table, or an empty frame of its schema when nothing was written yet."""
        if table not in SCHEMAS:
            raise KeyError(f"unknown table {table!r}")
        if self._objects is not None:
            url = self._objects.data_url(table)
            return empty(table) if url is None else self._load(table, url)
        path = self.path(table)
        if not path.exists():
            return empty(table)
        try:
            return conform(table, pl.read_parquet(path))
        except Exception as error:  # polars raises several kinds for a damaged or alien file
            raise self._unreadable(table, str(path), error) from None

    def _load(self, table: str, url: str) -> pl.DataFrame:
        """One data object of an object store, read by polars' cloud reader."""
        assert self._objects is not None
        try:
            return conform(table, pl.read_parquet(url, storage_options=self._objects.storage_options()))
        except Exception as error:  # polars raises several kinds for a damaged or alien file
            raise self._unreadable(table, url, error) from None

    def scan(self, table: str) -> pl.LazyFrame:
        """The table as a lazy scan (only the columns and rows a query needs are read)."""
        if table not in SCHEMAS:
            raise KeyError(f"unknown table {table!r}")
        if self._objects is not None:
            url = self._objects.data_url(table)
            if url is None:
                return empty(table).lazy()
            try:
                return conform(table, pl.scan_parquet(url, storage_options=self._objects.storage_options()))
            except Exception as error:  # a damaged footer or an alien file
                raise self._unreadable(table, url, error) from None
        path = self.path(table)
        if not path.exists():
            return empty(table).lazy()
        try:
            return conform(table, pl.scan_parquet(path))
        except Exception as error:  # a damaged footer or an alien file
            raise self._unreadable(table, str(path), error) from None

    def scan_all(self) -> dict[str, pl.LazyFrame]:
        return {table: self.scan(table) for table in SCHEMAS}

    def read_all(self) -> dict[str, pl.DataFrame]:
        return {table: self.read(table) for table in SCHEMAS}

    def write(self, table: str, frame: pl.DataFrame) -> None:
        """Replace a table's content atomically (temp file + rename, or one commit)."""
        frame = conform(table, frame)
        if self._objects is not None:
            self._objects.commit(table, lambda _: frame)
            return
        path = self.path(table)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(path)
        try:
            frame.write_parquet(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)

    def _change(self, table: str, change: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
        """Apply `change` to the current table and store the result with no lost update: under
        the lock locally, as a conditional commit (redone when another writer won) on S3."""
        if self._objects is not None:
            return self._objects.commit(table, change, load=lambda url: self._load(table, url))
        with self.lock():
            new = change(self.read(table))
            self.write(table, new)
            return new

    def upsert(
        self,
        table: str,
        rows: pl.DataFrame | Iterable[Mapping[str, Any]],
        replace_scope: pl.DataFrame | None = None,
    ) -> int:
        """Insert or update rows by primary key; the newest batch wins.

        `replace_scope` is a frame of parent keys (for example `repo, number` of the pull
        requests just read): existing rows matching it are dropped first, so a PR's commits,
        reviews and requests are replaced as a set. Returns the table's row count.
        """
        new = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(list(rows), schema=SCHEMAS[table])
        new = conform(table, new)
        key = list(PRIMARY_KEYS[table])
        scope = replace_scope.unique() if replace_scope is not None and replace_scope.height else None

        def merge(old: pl.DataFrame) -> pl.DataFrame:
            if scope is not None:
                old = old.join(scope, on=scope.columns, how="anti", nulls_equal=True)
            merged = pl.concat([old, new], how="vertical")
            return merged.unique(subset=key, keep="last", maintain_order=True).sort(key, nulls_last=True)

        return self._change(table, merge).height

    def delete(self, table: str, scope: pl.DataFrame) -> None:
        """Drop the rows whose columns match any row of `scope`."""
        gone = scope.unique()
        self._change(table, lambda old: old.join(gone, on=gone.columns, how="anti", nulls_equal=True))

    # -- small documents beside the tables (the sync state) ----------------------------------------

    def read_document(self, name: str) -> bytes | None:
        """A small file beside the tables, or None when there is none."""
        if self._objects is not None:
            return self._objects.read_document(name)
        try:
            return (self.root / name).read_bytes()
        except FileNotFoundError:
            return None

    def update_document(self, name: str, change: Callable[[bytes | None], bytes]) -> None:
        """Replace a small file with `change(its content)`, with no lost update between writers."""
        if self._objects is not None:
            self._objects.update_document(name, change)
            return
        with self.lock():
            atomic_write_bytes(self.root / name, change(self.read_document(name)))
