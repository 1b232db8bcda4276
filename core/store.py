"""Parquet store: each table in parts, upsert by primary key, atomic writes, no lost update.

A table is stored in parts, one Parquet file per repo (the GitHub tables) and per Jira project
(the prefix of the issue key: `DS` of `DS-12`, as the child tables have no project column); the
self-check answers are one part. A sync flushes the rows of one repo or project, so a flush reads
and rewrites that part only, whatever the size of the table.

The store is a local folder (one writer at a time, by a file lock) or an S3 location
(`s3://bucket/prefix`: conditional commits, see core/objectstore.py); callers see one interface.
A local table is the folder `<root>/<table>.parquet/` of files `<column>=<value>.parquet` (the
value percent-encoded, `%` alone for null), each replaced by temp file + fsync + rename. SPEC §4's
path `<store>/<table>.parquet` stays the table's path: polars (`pl.read_parquet`) and other
Parquet readers read the folder as one dataset. A single file at that path (from earlier versions,
or written by hand) is read as it is, and moved into parts by the table's first write: the parts
go to a staging folder, the file is moved aside, the staging folder renamed into its place and the
file deleted, so a writer stopped at any point leaves the old file (in place or aside) or the new
folder in force.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

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


# -- parts -------------------------------------------------------------------------------------------

Part = str | None  # what a part holds the rows of: a repo, a Jira project ("" for `checkins`)
# Which part a row belongs to, per table: (the part's name in file names, the column a frame
# needs to be placed, the value). Every GitHub primary key starts with the repo, so the parts in
# value order hold the rows in key order, as one sorted file did. A repo's name fits a file name
# (at most 140 characters); so does a Jira project key.
_PROJECT = pl.col("key").str.extract(r"^(.+)-[^-]*$", 1).fill_null("")  # "" for a key without "-"
PARTS: dict[str, tuple[str, str, pl.Expr]] = {
    "pull_requests": ("repo", "repo", pl.col("repo")),
    "reviews": ("repo", "repo", pl.col("repo")),
    "review_requests": ("repo", "repo", pl.col("repo")),
    "commits": ("repo", "repo", pl.col("repo")),
    "issues": ("project", "key", _PROJECT),
    "issue_events": ("project", "key", _PROJECT),
    "comments": ("project", "key", _PROJECT),
    "checkins": ("all", "team", pl.lit("")),  # a few rows a week, and team names need not fit a file name
}
_NULL_PART = "%"  # never the result of percent-encoding a value


def part_name(table: str, value: Part) -> str:
    """The file name of one part of a table: `repo=acme%2Fapp.parquet`."""
    name = PARTS[table][0]
    return f"{name}={_NULL_PART if value is None else quote(value, safe='')}.parquet"


def _part_of_name(table: str, file_name: str) -> tuple[bool, Part]:
    """(True, the part's value) for a part's file name; (False, None) for any other file."""
    prefix = PARTS[table][0] + "="
    if not file_name.startswith(prefix) or not file_name.endswith(".parquet"):
        return False, None
    encoded = file_name[len(prefix) : -len(".parquet")]
    return True, None if encoded == _NULL_PART else unquote(encoded)


def part_order(value: Part) -> tuple[bool, str]:
    """Parts in value order, the null part last (as a key sort puts null last)."""
    return value is None, value or ""


def split_parts(table: str, frame: pl.DataFrame) -> dict[Part, pl.DataFrame]:
    """The rows of `frame` by the part they belong to, each in the frame's order."""
    if frame.is_empty():
        return {}
    column = "__part__"
    placed = frame.with_columns(PARTS[table][2].alias(column))
    groups = placed.partition_by(column, maintain_order=True, include_key=False, as_dict=True)
    return {key[0]: group for key, group in groups.items()}


def scope_parts(table: str, scope: pl.DataFrame) -> set[Part] | None:
    """The parts a scope's rows can match, or None when the scope does not say (no repo, key or
    team column): then every part."""
    _, column, value = PARTS[table]
    if column not in scope.columns:
        return None
    return set(scope.select(value.alias("part"))["part"].to_list())


Select = Callable[[Sequence[Part]], Iterable[Part]]  # the parts to change, given those that exist
Change = Callable[[Part, pl.DataFrame], pl.DataFrame]  # one part's new rows, given its current ones


def write_frames(frames: Mapping[Path, pl.DataFrame]) -> None:
    """`atomic_write_set` for Parquet frames: every temp file on disk before the first rename."""
    encoded: dict[Path, bytes] = {}
    for path, frame in frames.items():
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        encoded[path] = buffer.getvalue()
    atomic_write_set(encoded)


class Store:
    """The normalised tables under one folder, `<root>/<table>/<part>.parquet`, or under one S3
    location.

    `root` is a folder, or a string `s3://bucket/prefix` for an object store."""

    def __init__(self, root: Path | str) -> None:
        self._swept = False
        self._rows: dict[Path, tuple[tuple[int, int, int], int]] = {}  # part file -> (_file_key, rows)
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
        """The table's path of SPEC §4, `<root>/<table>.parquet`: the folder of its parts, or the
        single file of earlier versions (or of a hand-written store)."""
        if table not in SCHEMAS:
            raise KeyError(f"unknown table {table!r}")
        return self.root / f"{table}.parquet"

    def folder(self, table: str) -> Path:
        """The folder of the table's parts: the table's path of SPEC §4, as a folder."""
        return self.path(table)

    def _aside(self, table: str) -> Path:
        """Where the single file waits while the folder of its parts takes its place."""
        return self.root / f".{table}.parquet.single"

    def part_path(self, table: str, value: Part) -> Path:
        """The file of one part: the rows of one repo, project or team."""
        return self.folder(table) / part_name(table, value)

    def parts(self, table: str) -> list[tuple[Part, Path]]:
        """The table's part files, in value order (none while it is kept as a single file)."""
        folder = self.folder(table)
        try:
            names = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        found = [(value, folder / name) for name in names for ok, value in [_part_of_name(table, name)] if ok]
        return sorted(found, key=lambda item: part_order(item[0]))

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
                    for table in SCHEMAS:
                        remove_orphan_temp_files(self.folder(table))
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

    def files(self, table: str) -> list[str] | None:
        """The files (or object URLs) holding the table, in part order; None when it has none."""
        if table not in SCHEMAS:
            raise KeyError(f"unknown table {table!r}")
        if self._objects is not None:
            return self._objects.part_urls(table)
        target = self.path(table)
        if target.is_dir():  # the parts are the table (a single file aside is stale)
            return [str(path) for _, path in self.parts(table)]
        if target.is_file():
            return [str(target)]
        aside = self._aside(table)  # a writer stopped between moving the file aside and the folder in
        return [str(aside)] if aside.is_file() else None

    def _options(self) -> dict[str, str] | None:
        return None if self._objects is None else self._objects.storage_options()

    def _load(self, table: str, source: str) -> pl.DataFrame:
        """One file or data object, conformed to the table's schema."""
        try:
            return conform(table, pl.read_parquet(source, storage_options=self._options()))
        except Exception as error:  # polars raises several kinds for a damaged or alien file
            raise self._unreadable(table, source, error) from None

    def read(self, table: str) -> pl.DataFrame:
        """The whole table, or an empty frame of its schema when nothing was written yet."""
        sources = self.files(table)
        if not sources:
            return empty(table)
        if len(sources) == 1:
            return self._load(table, sources[0])
        try:
            return self.scan(table).collect()
        except StoreError:
            raise
        except Exception as error:  # a part whose values do not fit the schema: name it
            for source in sources:
                self._load(table, source)
            raise self._unreadable(table, self.describe(table), error) from None

    def scan(self, table: str) -> pl.LazyFrame:
        """The table as a lazy scan (only the columns and rows a query needs are read)."""
        sources = self.files(table)
        if not sources:
            return empty(table).lazy()
        options = self._options()
        if len(sources) > 1 and self._objects is None:
            for source in sources:  # a file cut short or not Parquet is named now, not mid-query
                if not _ends_as_parquet(source):
                    raise self._unreadable(table, source, ValueError("no Parquet footer"))
        try:  # the first footer is read here
            scan = pl.scan_parquet(sources, storage_options=options, hive_partitioning=False)
            return conform(table, scan)
        except Exception as error:
            raise self._unreadable(table, sources[0], error) from None

    def scan_all(self) -> dict[str, pl.LazyFrame]:
        return {table: self.scan(table) for table in SCHEMAS}

    def read_all(self) -> dict[str, pl.DataFrame]:
        return {table: self.read(table) for table in SCHEMAS}

    # -- writes --------------------------------------------------------------------------------------

    def write(self, table: str, frame: pl.DataFrame) -> None:
        """Replace a table's content: every part rewritten, parts it no longer has removed."""
        parts = split_parts(table, conform(table, frame))
        self._commit(
            table, lambda existing: [*existing, *parts], lambda value, _: parts.get(value, empty(table))
        )

    def upsert(
        self,
        table: str,
        rows: pl.DataFrame | Iterable[Mapping[str, Any]],
        replace_scope: pl.DataFrame | None = None,
    ) -> int:
        """Insert or update rows by primary key; the newest batch wins.

        `replace_scope` is a frame of parent keys (for example `repo, number` of the pull
        requests just read): existing rows matching it are dropped first, so a PR's commits,
        reviews and requests are replaced as a set. Only the parts the rows and the scope belong
        to are read and rewritten. Returns the table's row count.
        """
        new = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(list(rows), schema=SCHEMAS[table])
        additions = split_parts(table, conform(table, new))
        key = list(PRIMARY_KEYS[table])
        scope = replace_scope.unique() if replace_scope is not None and replace_scope.height else None
        scoped = None if scope is None else scope_parts(table, scope)

        def select(existing: Sequence[Part]) -> list[Part]:
            if scope is not None and scoped is None:
                return [*existing, *additions]
            return [*additions, *sorted(scoped or (), key=part_order)]

        def merge(value: Part, old: pl.DataFrame) -> pl.DataFrame:
            if scope is not None:
                old = old.join(scope, on=scope.columns, how="anti", nulls_equal=True)
            if value in additions:
                old = pl.concat([old, additions[value]], how="vertical")
            return old.unique(subset=key, keep="last", maintain_order=True).sort(key, nulls_last=True)

        return self._commit(table, select, merge)

    def delete(self, table: str, scope: pl.DataFrame) -> None:
        """Drop the rows whose columns match any row of `scope`."""
        gone = scope.unique()
        scoped = scope_parts(table, gone)
        self._commit(
            table,
            lambda existing: existing if scoped is None else sorted(scoped, key=part_order),
            lambda _, old: old.join(gone, on=gone.columns, how="anti", nulls_equal=True),
        )

    def _commit(self, table: str, select: Select, change: Change) -> int:
        """Apply `change` to each part `select` picks, with no lost update: under the lock
        locally, as one conditional commit (redone when another writer won) on S3. Returns the
        table's row count."""
        if table not in SCHEMAS:
            raise KeyError(f"unknown table {table!r}")
        if self._objects is not None:
            return self._objects.commit_parts(table, select, change, lambda url: self._load(table, url))
        with self.lock():
            folder = self._settle(table)
            current = dict(self.parts(table))
            chosen = list(dict.fromkeys(select(list(current))))
            frames: dict[Path, pl.DataFrame] = {}
            gone: list[Path] = []
            rows = 0
            for value in chosen:
                path = current.get(value, folder / part_name(table, value))
                old = self._load(table, str(path)) if value in current else empty(table)
                new = conform(table, change(value, old))
                rows += new.height
                if new.is_empty():
                    if value in current:
                        gone.append(path)
                elif value not in current or not new.equals(old):
                    frames[path] = new
            untouched = [path for value, path in current.items() if value not in set(chosen)]
            rows += self._row_count(untouched)
            write_frames(frames)
            for path in gone:
                path.unlink(missing_ok=True)
            if gone:
                _fsync_dir(folder)
            for path, frame in frames.items():
                self._rows[path] = (_file_key(path), frame.height)
            return rows

    def _row_count(self, paths: list[Path]) -> int:
        """Rows of the given part files: counted once from their footers, then remembered while
        the file stays the same (so a sync's next flush does not count the parts it leaves)."""
        counts: dict[Path, int] = {}
        unknown: dict[str, tuple[Path, tuple[int, int, int]]] = {}
        for path in paths:
            key = _file_key(path)
            known = self._rows.get(path)
            if known is not None and known[0] == key:
                counts[path] = known[1]
            else:
                unknown[str(path)] = (path, key)
        if unknown:
            scan = pl.scan_parquet(list(unknown), hive_partitioning=False, include_file_paths="file")
            for name, count in scan.group_by("file").len().collect().iter_rows():
                path, key = unknown[name]
                counts[path] = count
                self._rows[path] = (key, count)
        return sum(counts.values())

    def _settle(self, table: str) -> Path:
        """The table's folder of parts, made now when it has none: from the single file of an
        earlier version when there is one (under the lock)."""
        folder, aside = self.folder(table), self._aside(table)
        if folder.is_dir():
            if aside.exists():  # the file a writer stopped just after moving the folder in left aside
                aside.unlink()
                _fsync_dir(self.root)
            return folder
        if not folder.exists() and aside.is_file():  # stopped between the two renames: start again
            os.replace(aside, folder)
            _fsync_dir(self.root)
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            _fsync_dir(self.root)
            return folder
        staging = self.root / f".{table}.parts"
        shutil.rmtree(staging, ignore_errors=True)  # a writer stopped while moving this table
        staging.mkdir()
        parts = split_parts(table, self._load(table, str(folder)))
        write_frames({staging / part_name(table, value): frame for value, frame in parts.items()})
        _fsync_dir(staging)
        os.replace(folder, aside)
        _fsync_dir(self.root)
        os.replace(staging, folder)
        _fsync_dir(self.root)
        aside.unlink()
        _fsync_dir(self.root)
        log.info("moved %s into %d part(s) in its place", folder, len(parts))
        return folder

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


def _ends_as_parquet(path: str) -> bool:
    """Whether a file ends as every Parquet file does: footer length and the magic `PAR1`."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() < 12:
                return False
            handle.seek(-4, os.SEEK_END)
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def _file_key(path: Path) -> tuple[int, int, int]:
    """What changes when a file is replaced (a rename gives a new inode)."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns, status.st_size
