"""Parquet store: one file per table, upsert by primary key, atomic writes, one writer at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from core.schemas import PRIMARY_KEYS, SCHEMAS, conform, empty


class StoreError(Exception):
    """A store file that cannot be read; the message names the file and how to rebuild it."""


_THREAD_LOCK = threading.RLock()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Store:
    """The normalised tables under one folder, `<root>/<table>.parquet`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, table: str) -> Path:
        if table not in SCHEMAS:
            raise KeyError(f"unknown table {table!r}")
        return self.root / f"{table}.parquet"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise writers across threads and processes (Dask workers share the folder)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(self.root / ".lock", "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def read(self, table: str) -> pl.DataFrame:
        """The whole table, or an empty frame of its schema when nothing was written yet."""
        path = self.path(table)
        if not path.exists():
            return empty(table)
        try:
            return conform(table, pl.read_parquet(path))
        except Exception as error:  # polars raises several kinds for a damaged or alien file
            raise StoreError(
                f"{path} is not a readable Parquet file of the {table} table ({type(error).__name__}). "
                f"Delete it and the sync state {self.root / 'state.json'} and run "
                "`radar sync --since DATE` to rebuild it from the sources."
            ) from None

    def scan(self, table: str) -> pl.LazyFrame:
        """The table as a lazy scan (only the columns and rows a query needs are read)."""
        path = self.path(table)
        if not path.exists():
            return empty(table).lazy()
        try:
            return conform(table, pl.scan_parquet(path))
        except Exception as error:  # a damaged footer or an alien file
            raise StoreError(
                f"{path} is not a readable Parquet file of the {table} table ({type(error).__name__}). "
                f"Delete it and the sync state {self.root / 'state.json'} and run "
                "`radar sync --since DATE` to rebuild it from the sources."
            ) from None

    def scan_all(self) -> dict[str, pl.LazyFrame]:
        return {table: self.scan(table) for table in SCHEMAS}

    def read_all(self) -> dict[str, pl.DataFrame]:
        return {table: self.read(table) for table in SCHEMAS}

    def write(self, table: str, frame: pl.DataFrame) -> None:
        """Replace a table's content atomically (temp file + rename)."""
        frame = conform(table, frame)
        path = self.path(table)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            frame.write_parquet(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)

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
        with self.lock():
            old = self.read(table)
            if replace_scope is not None and replace_scope.height:
                scope = replace_scope.unique()
                old = old.join(scope, on=scope.columns, how="anti", nulls_equal=True)
            merged = pl.concat([old, new], how="vertical")
            merged = merged.unique(subset=key, keep="last", maintain_order=True).sort(key, nulls_last=True)
            self.write(table, merged)
            return merged.height

    def delete(self, table: str, scope: pl.DataFrame) -> None:
        """Drop the rows whose columns match any row of `scope`."""
        with self.lock():
            old = self.read(table)
            self.write(table, old.join(scope.unique(), on=scope.columns, how="anti", nulls_equal=True))
