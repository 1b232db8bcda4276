"""The deliveries ledger, `<output>/<ISO week>/deliveries.json` (SPEC §7, no double sends).

Every attempt to deliver a team's or a digest's message on a channel is appended with its
recipients, time and result. A delivery counts as done once an entry for it says `delivered`;
a later run of the same week skips it (unless `--resend`), so a run that crashed after some
teams delivers only the others when it is run again. Recipients are addresses, or for Slack
the webhook's reference (`env:NAME`), never the webhook URL.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.store import StoreError, atomic_write_bytes

LEDGER_FILE = "deliveries.json"
DELIVERED = "delivered"
_THREAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class Entry:
    kind: str  # "team" | "digest"
    name: str
    channel: str  # "email" | "eml" | "slack"
    recipients: list[str]
    at: str  # ISO 8601 UTC
    result: str  # "delivered" or "failed: <reason>"


class Ledger:
    """One week's ledger; safe for the threads and processes of one run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LEDGER_FILE

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Threads of this process, and other processes (Dask workers), one at a time: a lock on
        the week's folder itself, so no lock file joins the week's files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK:
            fd = os.open(self.folder, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the lock

    def _load(self) -> list[Entry]:
        if not self.path.exists():
            return []
        try:
            data: Any = json.loads(self.path.read_text("utf-8"))
            return [Entry(**entry) for entry in data["deliveries"]]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            raise StoreError(
                f"{self.path} is damaged. Delete it to deliver this week's messages again "
                "(everyone gets them once more), or restore it."
            ) from None

    def entries(self) -> list[Entry]:
        with self._locked():
            return self._load()

    def delivered(self, kind: str, name: str, channel: str) -> bool:
        """Whether this team's or digest's message already reached this channel this week."""
        return any(
            (e.kind, e.name, e.channel, e.result) == (kind, name, channel, DELIVERED) for e in self.entries()
        )

    def record(
        self, kind: str, name: str, channel: str, recipients: Sequence[str], result: str, week: str = ""
    ) -> Entry:
        """Append one attempt (call it right after the send, so a crash loses at most that one)."""
        entry = Entry(kind, name, channel, list(recipients), datetime.now(UTC).isoformat(), result)
        with self._locked():
            entries = [*self._load(), entry]
            document = {"week": week or self.folder.name, "deliveries": [asdict(e) for e in entries]}
            text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            atomic_write_bytes(self.path, text.encode("utf-8"))
        return entry
