"""The one HTTP policy on its own: a scripted `send`, a clock that only moves when the policy
sleeps, and a fixed jitter, so every wait is known from the rules in connectors/policy.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.budget import RateBudget
from connectors.errors import NotFound, RateLimitExhausted, TransientError
from connectors.github import GithubClient
from connectors.jira import JiraClient
from connectors.policy import GITHUB_SECONDARY_BACKOFF, Failure, HttpPolicy

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SITE = "https://ghe.acme.example/api/v3"


@dataclass
class Clock:
    now: datetime = NOW
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def policy(clock: Clock, jitter: float = 0.0, **rules: Any) -> HttpPolicy:
    settings: dict[str, Any] = {"max_retries": 3, "max_throttle_retries": 2, "max_rate_limit_wait": 900.0}
    return HttpPolicy(
        "GitHub",
        SITE,
        **{**settings, **rules},
        sleep=clock.sleep,
        now=lambda: clock.now,
        jitter=lambda: jitter,
    )


def scripted(*outcomes: Failure | str) -> tuple[Callable[[], tuple[Mapping[str, str], str]], list[int]]:
    """A `send` that raises or answers each outcome in turn; `tries` counts its calls."""
    tries = [0]

    def send() -> tuple[Mapping[str, str], str]:
        outcome = outcomes[tries[0]]
        tries[0] += 1
        if isinstance(outcome, Failure):
            raise outcome
        return {}, outcome

    return send, tries


def test_transient_failures_back_off_exponentially_then_succeed() -> None:
    clock = Clock()
    send, tries = scripted(Failure("transient", "502"), Failure("transient", "502"), "page")
    assert policy(clock).call(send) == ({}, "page")
    # retry n waits 2 * 2**(n-1) s times (0.5 + 0.5 * jitter); jitter 0: 2 * 0.5, 4 * 0.5
    assert clock.sleeps == [1.0, 2.0] and tries == [3]


def test_transient_failures_give_up_after_max_retries() -> None:
    clock = Clock()
    send, tries = scripted(*[Failure("transient", "GitHub answered 502 to GET /x")] * 9)
    with pytest.raises(TransientError, match=r"^GitHub answered 502 to GET /x after 4 attempts$"):
        policy(clock, jitter=0.999).call(send)
    assert tries == [4] and len(clock.sleeps) == 3  # one try and max_retries = 3 retries
    assert 1.99 < clock.sleeps[0] < 2 and 3.99 < clock.sleeps[1] < 4 and 7.99 < clock.sleeps[2] < 8


def test_a_throttle_waits_what_retry_after_names() -> None:
    clock = Clock()
    limited = Failure("throttled", "429: rate limit", {"retry-after": "30"})
    send, _ = scripted(limited, "page")
    policy(clock, jitter=0.5).call(send)
    assert clock.sleeps == [30.0]  # exactly as told (Jira)
    clock = Clock()
    send, _ = scripted(limited, "page")
    policy(clock, jitter=0.5, jitter_told_waits=True, throttle_backoff=GITHUB_SECONDARY_BACKOFF).call(send)
    assert clock.sleeps == [pytest.approx(33.0)]  # 30 s plus 0.5 of GitHub's 20 %


def test_a_throttle_naming_nothing_backs_off_and_then_gives_up() -> None:
    clock = Clock()
    send, tries = scripted(*[Failure("throttled", "GitHub answered 429 to GET /x: secondary rate limit")] * 5)
    with pytest.raises(TransientError, match="secondary rate limit persisted after 3 attempts"):
        policy(clock, throttle_backoff=GITHUB_SECONDARY_BACKOFF).call(send)
    assert clock.sleeps == [60.0, 120.0] and tries == [3]  # a minute, doubling; jitter 0


def test_a_429_without_retry_after_waits_for_an_iso_reset_when_told_to() -> None:
    clock = Clock()
    reset = (NOW + timedelta(seconds=45)).isoformat()
    send, _ = scripted(Failure("throttled", "429", {"x-ratelimit-reset": reset}), "page")
    policy(clock, throttle_until_reset=True, reset_format="iso").call(send)
    assert clock.sleeps == [45.0]


def test_a_wait_beyond_the_maximum_stops_at_once() -> None:
    clock = Clock()
    send, tries = scripted(Failure("throttled", "429", {"retry-after": "3600"}), "page")
    with pytest.raises(RateLimitExhausted, match=r"asks for a 3600 s pause, more than .* \(900 s\)"):
        policy(clock).call(send)
    assert clock.sleeps == [] and tries == [1]


def test_an_exhausted_limit_is_waited_out_on_the_shared_budget() -> None:
    clock = Clock()
    budget = RateBudget()
    reset = NOW + timedelta(seconds=100)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset.timestamp()))}
    send, tries = scripted(Failure("exhausted", "GitHub rate limit exhausted for GET /x", headers), "page")
    policy(clock, budget=budget).call(send)
    assert clock.sleeps == [101.0] and tries == [2]  # until the reset, plus the second it falls in
    assert budget.known("core") is None  # that window is over for every client of the token


def test_a_spent_budget_waits_before_sending() -> None:
    clock = Clock()
    budget = RateBudget()
    budget.observe("core", 0, NOW + timedelta(seconds=20))  # another client saw it spent
    send, tries = scripted("page")
    policy(clock, budget=budget).call(send)
    assert clock.sleeps == [21.0] and tries == [1]


def test_a_fatal_failure_raises_its_error_without_a_retry() -> None:
    clock = Clock()
    budget = RateBudget()
    send, tries = scripted(Failure("fatal", "gone", error=NotFound("repo acme/gone not found")), "page")
    with pytest.raises(NotFound, match="repo acme/gone not found"):
        policy(clock, budget=budget).call(send)
    assert clock.sleeps == [] and tries == [1]


def test_both_clients_run_under_the_policy() -> None:
    github = GithubClient(SITE, "ghp_policy_test_token_000000", max_retries=7, max_rate_limit_wait=60)
    jira = JiraClient(
        "https://acme.atlassian.net", "cloud", "radar@acme.example", "jira-token", max_attempts=3
    )
    assert (github.policy.service, github.policy.max_retries, github.policy.max_rate_limit_wait) == (
        "GitHub",
        7,
        60,
    )
    assert github.policy.budget is not None  # GitHub paces on the token's budget
    github.max_retries = 2
    assert github.policy.max_retries == 2
    # Jira: three attempts in all, for 5xx and for rate limits alike; no budget
    assert (jira.policy.service, jira.policy.max_retries, jira.policy.max_throttle_retries) == ("Jira", 2, 2)
    assert jira.policy.budget is None
