"""Sync state beside the tables: one cursor per source and repo/project, written after the data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from core.store import Store, StoreError

STATE_FILE = "state.json"


class SyncState:
    """Cursors as `{"github": {"acme/x": {"cursor": iso, "synced_at": iso}}, "jira": {...}}`."""

    def __init__(self, store: Store) -> None:
        self.path = store.describe(STATE_FILE)  # a path, or an s3:// URL
        self._store = store

    def _damaged(self, what: str) -> StoreError:
        return StoreError(
            f"{self.path} is damaged ({what}). Delete it (and the tables it covers) and run "
            "`radar sync --since DATE` to rebuild; the sync will not guess a starting point."
        )

    def _load(self) -> dict[str, dict[str, dict[str, Any]]]:
        try:
            raw = self._store.read_document(STATE_FILE)
        except OSError as error:
            raise StoreError(f"{self.path} cannot be read: {error.strerror}") from None
        return {} if raw is None else self._parse(raw)

    def _parse(self, raw: bytes) -> dict[str, dict[str, dict[str, Any]]]:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._damaged("not JSON") from None
        if not isinstance(data, dict):
            raise self._damaged("not a sync state object")
        for source, entries in data.items():
            if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
                raise self._damaged(f"'{source}' does not map names to entries")
            for key, entry in entries.items():
                for name in ("cursor", "synced_at", "commits_cursor"):
                    if name in entry and not _is_time(entry[name]):
                        raise self._damaged(f"{source} {key}: {name} {entry[name]!r} is not a time")
        return data

    def entry(self, source: str, key: str) -> dict[str, Any]:
        return dict(self._load().get(source, {}).get(key, {}))

    def cursor(self, source: str, key: str) -> datetime | None:
        value = self.entry(source, key).get("cursor")
        return datetime.fromisoformat(value) if value else None

    def set_cursor(self, source: str, key: str, cursor: datetime | None, **extra: Any) -> None:
        """Record a cursor; call only after the rows it covers are written to the store.

        Other writers' entries are kept: the change is redone on the newest state when another
        sync wrote it first (object store) or made under the store's lock (folder)."""

        def record(raw: bytes | None) -> bytes:
            data = {} if raw is None else self._parse(raw)
            entry = data.setdefault(source, {}).setdefault(key, {})
            if cursor is not None:
                entry["cursor"] = cursor.astimezone(UTC).isoformat()
            entry["synced_at"] = datetime.now(UTC).isoformat()
            entry.update(extra)
            return json.dumps(data, indent=2, sort_keys=True).encode()

        self._store.update_document(STATE_FILE, record)

    def last_synced(self) -> dict[str, datetime | None]:
        """When each source last finished a repo/project (oldest of them), for the report."""
        result: dict[str, datetime | None] = {}
        for source, entries in self._load().items():
            times = [datetime.fromisoformat(e["synced_at"]) for e in entries.values() if e.get("synced_at")]
            result[source] = min(times) if times else None
        return result


def _is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
