"""The one HTTP policy of both clients: which failed attempts are retried and how often, how long to
wait before the next one (exponential backoff with jitter, `Retry-After`, `X-RateLimit-Reset`),
the token's shared rate budget and the dead-host breaker. The clients only sort each failed
attempt into a `Failure` of one kind; `HttpPolicy.call` decides the rest, with an injected clock,
sleep and jitter so tests run it without waiting.

The kinds, and what the policy does with them:

* `transient` — a 5xx, a timeout, a dropped connection, an answer cut off or not valid JSON:
  retried `max_retries` times after `backoff` (1-2 s, 2-4 s, ... capped at 60 s), or after the
  `Retry-After` the answer names;
* `throttled` — a 429, GitHub's secondary limit, Jira's 503: retried `max_throttle_retries` times
  after the `Retry-After` the answer names, else (Jira) until its `X-RateLimit-Reset`, else after
  `throttle_backoff`;
* `exhausted` — GitHub's primary limit (remaining 0, or GraphQL `RATE_LIMITED`): waited out until
  its `X-RateLimit-Reset` as often as it comes back, as long as the waits of one request stay
  within `max_rate_limit_wait`; a limit that names no usable reset is waited for only
  `max_primary_waits` times;
* `fatal` — anything else: the client's error, raised at once.

Any wait longer than `max_rate_limit_wait` stops the request with RateLimitExhausted (the sync
keeps its cursor) instead of waiting. urllib3's `Retry` is not used: it sleeps inside the
transport with the real clock and never sees a GraphQL error in a 200 answer or a body that is
not JSON; `tenacity` and `stamina` would carry the counts and waits below as callbacks and add
nothing the loop needs.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, TypeVar

from connectors._http import epoch_time, header_number, iso_time, retry_after_seconds, utc_now
from connectors.budget import RateBudget
from connectors.errors import RateLimitExhausted, SourceError, TransientError
from connectors.transport import BREAKERS, HostBreakers
from core.secrets import scrub

log = logging.getLogger(__name__)

T = TypeVar("T")
Kind = Literal["transient", "throttled", "exhausted", "fatal"]


class Failure(Exception):
    """One failed attempt, sorted by the client: its kind, one line saying what happened (scrubbed:
    it may quote the server), the answer's headers (lower-case names) and, when fatal, the error
    to raise."""

    def __init__(
        self,
        kind: Kind,
        message: str,
        headers: Mapping[str, str] | None = None,
        *,
        status: int | None = None,
        error: SourceError | None = None,
    ) -> None:
        self.kind: Kind = kind
        self.message = scrub(message)
        self.headers: Mapping[str, str] = headers or {}
        self.status = status
        self.error = error
        super().__init__(kind, self.message)


@dataclass(frozen=True)
class Backoff:
    """The wait before the n-th retry: `first` doubled each time up to `cap`, times a jitter
    factor between `low` and `high`."""

    first: float
    cap: float
    low: float
    high: float

    def ceiling(self, retry: int) -> float:
        return float(min(self.first * 2 ** (retry - 1), self.cap))

    def jittered(self, seconds: float, jitter: float) -> float:
        return seconds * (self.low + (self.high - self.low) * jitter)


# 1-2 s, 2-4 s, 4-8 s, ... capped at 60 s.
TRANSIENT_BACKOFF = Backoff(first=2.0, cap=60.0, low=0.5, high=1.0)
# GitHub: "If you receive a secondary rate limit error without retry-after, wait at least one
# minute" (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api);
# then twice as long each time, plus up to 20 %.
GITHUB_SECONDARY_BACKOFF = Backoff(first=60.0, cap=float("inf"), low=1.0, high=1.2)


@dataclass(frozen=True)
class HttpPolicy:
    """How one client retries, waits and paces; see the module doc for the rules."""

    service: str  # "GitHub", "Jira": the name errors and logs give
    site: str  # the configured base URL
    max_retries: int
    max_throttle_retries: int
    max_rate_limit_wait: float
    max_primary_waits: int = 2
    backoff: Backoff = TRANSIENT_BACKOFF
    throttle_backoff: Backoff = TRANSIENT_BACKOFF
    jitter_told_waits: bool = False  # GitHub: a `Retry-After` wait gets the throttle jitter too
    throttle_until_reset: bool = False  # Jira: a 429 without `Retry-After` waits for the reset
    reset_format: Literal["epoch", "iso"] = "epoch"  # how `X-RateLimit-Reset` is written
    budget: RateBudget | None = None  # the token's shared budget (GitHub), connectors.budget
    breakers: HostBreakers = BREAKERS  # the dead-host breaker, connectors.transport
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = utc_now
    jitter: Callable[[], float] = random.random
    progress: Callable[[str], None] | None = field(default=None, compare=False)

    def but(self, **changes: object) -> HttpPolicy:
        """The same policy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    # -- one request --------------------------------------------------------------------------

    def call(
        self,
        send: Callable[[], tuple[Mapping[str, str], T]],
        *,
        resource: str = "core",
        before_retry: Callable[[Failure], None] | None = None,
    ) -> tuple[Mapping[str, str], T]:
        """Send one request until it succeeds or the policy gives up; `send` returns the answer's
        headers (lower-case names) and data, or raises a Failure (anything else propagates)."""
        tries: Counter[Kind] = Counter()
        rate_waited = 0.0  # seconds waited for primary-limit resets within this request
        while True:
            self._wait_for_budget(resource)
            try:
                headers, data = send()
            except Failure as failure:
                failure.__context__ = None  # a library's exception may hold the raw server answer
                self._release(resource)
                if failure.kind != "exhausted":  # an exhausted limit is noted where it is waited for
                    self._note_rate_limit(failure.headers, resource)
                if failure.kind == "fatal":
                    raise (failure.error or SourceError(failure.message)) from None
                tries[failure.kind] += 1
                retry = tries[failure.kind]
                if failure.kind == "exhausted":
                    rate_waited += self._wait_for_reset(failure, resource, retry, rate_waited)
                    continue
                if failure.kind == "transient" and retry > self.max_retries:
                    raise TransientError(f"{failure.message} after {retry} attempts") from None
                if failure.kind == "throttled" and retry > self.max_throttle_retries:
                    raise TransientError(f"{failure.message} persisted after {retry} attempts") from None
                if failure.kind == "transient" and before_retry is not None:
                    before_retry(failure)
                self._pause(self._retry_wait(failure, retry), failure.message)
                continue
            except BaseException:
                self._release(resource)
                raise
            self._release(resource)
            self._note_rate_limit(headers, resource)
            return headers, data

    # -- waits --------------------------------------------------------------------------------

    def _retry_wait(self, failure: Failure, retry: int) -> float:
        """Seconds before retry number `retry` of a transient or throttled failure."""
        told = retry_after_seconds(failure.headers.get("retry-after"), self.now())
        if told is None and failure.kind == "throttled" and self.throttle_until_reset:
            # https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ : the reset time
            reset = self._reset_time(failure.headers)
            if reset is not None:
                told = max(0.0, (reset - self.now()).total_seconds())
        if told is None and failure.kind == "transient":
            return self.backoff.jittered(self.backoff.ceiling(retry), self.jitter())
        seconds = self.throttle_backoff.ceiling(retry) if told is None else told
        if seconds > self.max_rate_limit_wait:
            raise RateLimitExhausted(
                f"{self.service} at {self.site} asks for a {seconds:.0f} s pause, more than "
                f"max_rate_limit_wait_seconds ({self.max_rate_limit_wait:.0f} s) allows; the next "
                "sync resumes from the cursor"
            )
        if told is not None and not self.jitter_told_waits:
            return seconds
        return self.throttle_backoff.jittered(seconds, self.jitter())

    def _wait_for_reset(self, failure: Failure, resource: str, retry: int, waited: float) -> float:
        """Wait for the reset of an exhausted primary limit; returns the seconds waited.

        As often as the limit comes back, as long as the reset time is known and the waits of
        this request stay within `max_rate_limit_wait` (other clients spending the same token can
        empty a fresh window before this one gets to it); a reset that has already passed and
        still answers "limited" is waited out only `max_primary_waits` times."""
        reset = self._reset_time(failure.headers)
        if reset is None:  # a server that names no reset time: back off as for a throttle
            if retry > self.max_primary_waits:
                raise RateLimitExhausted(f"{failure.message}; the server gives no reset time")
            seconds = self._retry_wait(Failure("throttled", failure.message, failure.headers), retry)
            self._pause(seconds, f"{self.service} rate limit")
            return seconds
        key = failure.headers.get("x-ratelimit-resource", resource)
        if self.budget is not None:
            self.budget.observe(key, 0, reset)  # every client of the token waits for it too
        wait = max(0.0, (reset - self.now()).total_seconds() + 1.0)
        if retry > self.max_primary_waits and wait <= 1.0:
            raise RateLimitExhausted(
                f"{self.service} rate limit still exhausted after its reset; "
                f"rate limit resets at {_utc(reset)}"
            )
        if waited + wait > self.max_rate_limit_wait:
            raise self._too_late(reset, waited)
        self._wait_until(reset)
        if self.budget is not None:
            self.budget.passed(key, reset)
        return wait

    def _wait_for_budget(self, resource: str) -> None:
        """Take one request from the token's budget, first waiting for its reset when it is spent
        (by this client or by any other client of the same token)."""
        if self.budget is None:
            return
        while (reset := self.budget.reserve(resource, self.now())) is not None:
            self._wait_until(reset)
            self.budget.passed(resource, reset)

    def _release(self, resource: str) -> None:
        if self.budget is not None:
            self.budget.release(resource)

    def _note_rate_limit(self, headers: Mapping[str, str], resource: str) -> None:
        """Tell the token's shared budget what an answer said of it."""
        if self.budget is not None:
            key = headers.get("x-ratelimit-resource", resource)
            remaining = header_number(headers.get("x-ratelimit-remaining"))
            self.budget.observe(key, remaining, self._reset_time(headers))

    def _reset_time(self, headers: Mapping[str, str]) -> datetime | None:
        value = headers.get("x-ratelimit-reset")
        return epoch_time(value) if self.reset_format == "epoch" else iso_time(value)

    def _wait_until(self, reset: datetime) -> None:
        wait = (reset - self.now()).total_seconds() + 1.0  # the reset falls somewhere in that second
        if wait > self.max_rate_limit_wait:
            raise self._too_late(reset, 0.0)
        if wait > 0:
            message = f"{self.service} rate limit reached; waiting {wait:.0f} s until {_utc(reset)}"
            log.warning(message)
            if self.progress is not None:
                self.progress(message)
            self.sleep(wait)

    def _too_late(self, reset: datetime, waited: float) -> RateLimitExhausted:
        return RateLimitExhausted(
            f"{self.service} rate limit exhausted; rate limit resets at {_utc(reset)}, later than "
            f"max_rate_limit_wait_seconds ({self.max_rate_limit_wait:.0f} s) allows"
            + (f" after {waited:.0f} s of waiting" if waited else "")
        )

    def _pause(self, seconds: float, reason: str) -> None:
        log.warning("%s; retrying in %.1f s", reason, seconds)
        if self.progress is not None and seconds >= 10:
            self.progress(f"{reason}: waiting {seconds:.0f} s")
        self.sleep(seconds)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
