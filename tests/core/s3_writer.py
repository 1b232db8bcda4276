"""A writer process for the object-store tests: `python -m tests.core.s3_writer LOCATION NAME N [HOLD]`.

Prints `ready` and waits for a line on its standard input (so two writers start together), then
upserts N batches of commits (shas `NAME-0`, `NAME-1`, ...) and records a cursor after each,
then prints `conflicts C` (the commits it had to redo because another writer won). With HOLD,
it prints `holding` just before the manifest put of its HOLD-th commit and waits there for its
standard input (the test kills it with SIGKILL at that point: data uploaded, not committed).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from core import objectstore
from core.state import SyncState
from core.store import Store


class ConflictCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "another writer committed first" in record.getMessage()


def main(location: str, name: str, batches: int, hold: int | None) -> None:
    counter = ConflictCount()
    logger = logging.getLogger("core.objectstore")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    if hold is not None:
        put = objectstore.ObjectClient.put
        manifests = 0

        def holding_put(self: objectstore.ObjectClient, key: str, data: bytes, **conditions: Any) -> str:
            nonlocal manifests
            if key.endswith(objectstore.MANIFEST_SUFFIX):
                manifests += 1
                if manifests == hold:
                    print("holding", flush=True)
                    sys.stdin.read()
            return put(self, key, data, **conditions)

        objectstore.ObjectClient.put = holding_put  # type: ignore[method-assign, assignment]
    store = Store(location)
    state = SyncState(store)
    start = datetime(2026, 11, 16, tzinfo=UTC)
    print("ready", flush=True)
    sys.stdin.readline()
    for number in range(batches):
        at = start + timedelta(minutes=number)
        rows = [{"repo": f"acme/{name}", "sha": f"{name}-{number}", "authored_at": at, "pr_number": number}]
        store.upsert("commits", rows)
        state.set_cursor("github", f"acme/{name}", at)
        print(f"committed {number}", flush=True)
    print(f"conflicts {counter.count}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else None)
