"""One rate-limit budget per token and server, shared by every client of the process.

The repo tasks of a sync run in parallel, each with its own client, and all spend one token's
budget (other tools may spend it too). Each client used to learn about the budget only from its
own answers, so the tasks raced it to zero and each then met a refusal. Here every answer's
`X-RateLimit-Remaining`/`X-RateLimit-Reset` updates one shared window per resource (`core`,
`graphql`); each request takes one from it before it is sent, and when none is left the client
waits for the reset instead of sending. Requests still in flight are subtracted from what an
answer reports (they may not be counted in it yet), so the estimate errs towards waiting.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime


@dataclass
class _Window:
    remaining: float
    reset: datetime


class RateBudget:
    """The known budget of one token on one server, per resource."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._in_flight: defaultdict[str, int] = defaultdict(int)

    def reserve(self, resource: str, now: datetime) -> datetime | None:
        """Take one request from the budget: None when it may be sent now, else the reset time
        to wait for (nothing is taken then)."""
        with self._lock:
            window = self._windows.get(resource)
            if window is not None and now >= window.reset:
                del self._windows[resource]  # a new window: its budget is not known yet
                window = None
            if window is not None:
                if window.remaining < 1:
                    return window.reset
                window.remaining -= 1
            self._in_flight[resource] += 1
            return None

    def release(self, resource: str) -> None:
        """A reserved request got its answer (or failed without one)."""
        with self._lock:
            self._in_flight[resource] = max(0, self._in_flight[resource] - 1)

    def observe(self, resource: str, remaining: float | None, reset: datetime | None) -> None:
        """What an answer said of the budget (after `release` of its own request)."""
        if remaining is None or reset is None:
            return
        with self._lock:
            estimate = remaining - self._in_flight[resource]
            window = self._windows.get(resource)
            if window is None or reset > window.reset:
                self._windows[resource] = _Window(estimate, reset)
            elif reset == window.reset:
                window.remaining = min(window.remaining, estimate)
            # an answer about an earlier window (it arrived late) says nothing about this one

    def passed(self, resource: str, reset: datetime) -> None:
        """A client waited until `reset`: that window is over."""
        with self._lock:
            window = self._windows.get(resource)
            if window is not None and window.reset <= reset:
                del self._windows[resource]

    def known(self, resource: str) -> tuple[float, datetime] | None:
        with self._lock:
            window = self._windows.get(resource)
            return None if window is None else (window.remaining, window.reset)


class RateBudgets:
    """The process's budgets, by server and token (kept as a hash, never as the token)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._budgets: dict[tuple[str, str], RateBudget] = {}

    def of(self, server: str, token: str) -> RateBudget:
        key = (server.rstrip("/").lower(), hashlib.sha256(token.encode()).hexdigest())
        with self._lock:
            return self._budgets.setdefault(key, RateBudget())

    def reset(self) -> None:
        with self._lock:
            self._budgets.clear()


RATE_BUDGETS = RateBudgets()
