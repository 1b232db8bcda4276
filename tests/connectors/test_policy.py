"""The one HTTP policy on its own: a scripted `send`, a clock that only moves when the policy
sleeps, and a fixed jitter, so every wait is known from the rules in connectors/policy.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from connectors.budget import RateBudget, RateBudgets
from connectors.errors import NotFound, RateLimitExhausted, TransientError
from connectors.github import GithubClient, iso
from connectors.jira import JiraClient
from connectors.policy import GITHUB_SECONDARY_BACKOFF, Failure, HttpPolicy
from connectors.transport import drop_unusable_rate_limit_headers

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


def exhausted_until(reset: datetime, **headers: str) -> Failure:
    """GitHub's primary limit, spent until `reset` (an epoch second)."""
    told = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset.timestamp())), **headers}
    return Failure("exhausted", "GitHub rate limit exhausted for GET /x", told)


def test_a_reset_too_far_off_stops_and_says_nothing_was_waited() -> None:
    """A first wait beyond the maximum stops the request at once, naming the reset; it speaks of
    time already waited only when there was some."""
    clock = Clock()
    send, tries = scripted(exhausted_until(NOW + timedelta(seconds=2000)), "page")
    with pytest.raises(RateLimitExhausted) as caught:
        policy(clock).call(send)
    # 12:00:00 + 2000 s = 12:33:20; the wait (2001 s) is over the 900 s allowed
    assert str(caught.value) == (
        "GitHub rate limit exhausted; rate limit resets at 2026-03-02 12:33:20 UTC, later than "
        "max_rate_limit_wait_seconds (900 s) allows"
    )
    assert clock.sleeps == [] and tries == [1]


def test_a_reset_too_far_off_makes_every_client_of_the_token_wait_for_it() -> None:
    """The client that stops still tells the token's budget the limit is spent until its reset:
    another client of the token waits for that reset instead of sending into the limit."""
    clock = Clock()
    budget = RateBudget()
    reset = NOW + timedelta(seconds=2000)
    send, _ = scripted(exhausted_until(reset, **{"x-ratelimit-resource": "graphql"}))
    with pytest.raises(RateLimitExhausted):
        policy(clock, budget=budget).call(send, resource="graphql")
    assert budget.known("graphql") == (0, reset)
    patient = policy(clock, budget=budget, max_rate_limit_wait=3600.0)
    send, tries = scripted("page")
    assert patient.call(send, resource="graphql") == ({}, "page")
    assert clock.sleeps == [2001.0] and tries == [1]  # until the reset, plus the second it falls in


def test_an_exhausted_limit_is_noted_on_the_resource_its_answer_names() -> None:
    """GitHub says which of the token's limits ran out (`X-RateLimit-Resource`: search, graphql,
    ...); that limit is the one marked spent, whatever the request was counted under."""
    clock = Clock()
    budget = RateBudget()
    reset = NOW + timedelta(seconds=2000)
    send, _ = scripted(exhausted_until(reset, **{"x-ratelimit-resource": "search"}))
    with pytest.raises(RateLimitExhausted):
        policy(clock, budget=budget).call(send, resource="core")
    assert budget.known("search") == (0, reset)
    assert budget.known("core") is None


def test_a_limit_still_exhausted_after_its_reset_gives_up_naming_the_reset() -> None:
    """A reset already past that still answers "exhausted" is tried `max_primary_waits` (2) more
    times, without a wait, then stops naming the reset time."""
    clock = Clock()
    send, tries = scripted(*[exhausted_until(NOW - timedelta(seconds=10))] * 5)
    with pytest.raises(RateLimitExhausted) as caught:
        policy(clock).call(send)
    # 12:00:00 - 10 s = 11:59:50
    assert str(caught.value) == (
        "GitHub rate limit still exhausted after its reset; rate limit resets at 2026-03-02 11:59:50 UTC"
    )
    assert clock.sleeps == [] and tries == [3]


@pytest.fixture
def tbilisi(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time zone is Asia/Tbilisi (UTC+4, no summer time) for the test."""
    with monkeypatch.context() as patch:
        patch.setenv("TZ", "Asia/Tbilisi")
        time.tzset()
        yield
    time.tzset()


@pytest.mark.usefixtures("tbilisi")
def test_a_rate_limit_wait_names_its_reset_in_utc_whatever_the_local_zone() -> None:
    """The progress line of a wait for a reset gives the time in UTC, not in the machine's zone."""
    clock = Clock()
    said: list[str] = []
    send, _ = scripted(exhausted_until(NOW + timedelta(seconds=100)), "page")
    policy(clock, budget=RateBudget(), progress=said.append).call(send)
    # 12:00:00 UTC + 100 s = 12:01:40 UTC (16:01:40 in Tbilisi); 100 s + the second it falls in
    assert said == ["GitHub rate limit reached; waiting 101 s until 2026-03-02 12:01:40 UTC"]


def test_a_spent_budget_waits_before_sending() -> None:
    clock = Clock()
    budget = RateBudget()
    budget.observe("core", 0, NOW + timedelta(seconds=20))  # another client saw it spent
    send, tries = scripted("page")
    policy(clock, budget=budget).call(send)
    assert clock.sleeps == [21.0] and tries == [1]


def test_an_answer_without_a_resource_header_is_noted_on_the_resource_it_was_for() -> None:
    """An answer that does not name its resource (`X-RateLimit-Resource`) tells the budget of the
    resource the request was for: the last GraphQL request of a window makes the next GraphQL
    request wait for the reset, while REST (`core`, a budget of its own) is sent at once."""
    clock = Clock()
    budget = RateBudget()
    reset = NOW + timedelta(seconds=30)
    last = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset.timestamp()))}
    github = policy(clock, budget=budget)
    assert github.call(lambda: (last, "page"), resource="graphql") == (last, "page")
    assert budget.known("graphql") == (0, reset)  # 0 remaining, none still in flight
    send, tries = scripted("rest page")
    github.call(send, resource="core")
    assert clock.sleeps == [] and tries == [1]  # core's budget is not known: no wait
    send, tries = scripted("next page")
    github.call(send, resource="graphql")
    assert clock.sleeps == [31.0] and tries == [1]  # until the reset, plus the second it falls in


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


@pytest.mark.usefixtures("tbilisi")
def test_github_timestamps_are_written_in_utc_whatever_the_local_zone() -> None:
    """`since` and cursors go to GitHub as UTC with a `Z`; a local zone never leaks into them."""
    assert iso(datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == "2026-03-02T12:00:00Z"
    assert iso(datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=-5)))) == "2026-03-02T17:00:00Z"


def test_a_rate_limit_header_that_is_no_number_is_dropped_and_named(caplog: pytest.LogCaptureFixture) -> None:
    headers = CaseInsensitiveDict({"X-RateLimit-Remaining": "nan", "X-RateLimit-Reset": "1772452800"})
    with caplog.at_level(logging.WARNING, logger="connectors.transport"):
        drop_unusable_rate_limit_headers(headers)
    assert dict(headers) == {"X-RateLimit-Reset": "1772452800"}
    assert caplog.messages == ["dropped the header x-ratelimit-remaining: 'nan' is not a finite number"]


def test_every_pause_is_logged_and_a_long_one_is_shown(caplog: pytest.LogCaptureFixture) -> None:
    """Each wait before a retry goes to the log with its reason; one of 10 s or more is also shown
    on the terminal's progress line, shorter ones are not (they would only flicker)."""
    clock = Clock()
    said: list[str] = []
    send, _ = scripted(
        Failure("transient", "GitHub at x answered 502 to GET /a"),
        Failure("throttled", "GitHub answered 429 to GET /a: secondary rate limit", {"retry-after": "10"}),
        "page",
    )
    with caplog.at_level(logging.WARNING, logger="connectors.policy"):
        policy(clock, progress=said.append).call(send)
    assert caplog.messages == [
        "GitHub at x answered 502 to GET /a; retrying in 1.0 s",
        "GitHub answered 429 to GET /a: secondary rate limit; retrying in 10.0 s",
    ]
    assert said == ["GitHub answered 429 to GET /a: secondary rate limit: waiting 10 s"]


def test_each_token_on_each_server_has_its_own_budget() -> None:
    """Two tokens (or two servers) never share a budget; one server spelt with a trailing slash or
    in capitals is the same server."""
    budgets = RateBudgets()
    one = budgets.of("https://api.github.com", "token-one")
    assert budgets.of("https://API.github.com/", "token-one") is one
    assert budgets.of("https://api.github.com", "token-two") is not one
    assert budgets.of("https://ghe.acme.example/api/v3", "token-one") is not one


def test_a_late_answer_about_the_same_window_never_raises_what_is_left() -> None:
    """Answers can arrive out of order: within one window the lowest `remaining` seen holds; a
    later window replaces it; an answer about an earlier window changes nothing."""
    budget = RateBudget()
    reset = NOW + timedelta(minutes=30)
    budget.observe("core", 10, reset)
    budget.observe("core", 20, reset)  # sent earlier, answered later
    assert budget.known("core") == (10, reset)
    budget.observe("core", 5, reset)
    assert budget.known("core") == (5, reset)
    budget.observe("core", 4999, reset - timedelta(hours=1))
    assert budget.known("core") == (5, reset)
    budget.observe("core", 4999, reset + timedelta(hours=1))
    assert budget.known("core") == (4999, reset + timedelta(hours=1))


def test_a_failed_answer_still_tells_the_budget_what_is_left() -> None:
    """A 502 that says the token has no requests left (remaining 0 until a reset) is a transient
    failure, and the budget learns from it too: the retry waits for the reset instead of being
    sent into the limit.  Backoff 1 s (2 s at jitter 0), then from 12:00:01 until 12:01:40 plus
    the second the reset falls in: 100 s."""
    clock = Clock()
    reset = NOW + timedelta(seconds=100)
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset.timestamp()))}
    send, tries = scripted(Failure("transient", "GitHub at x answered 502 to GET /a", spent), "page")
    assert policy(clock, budget=RateBudget()).call(send) == ({}, "page")
    assert clock.sleeps == [1.0, 100.0] and tries == [2]


def test_an_answer_naming_its_resource_is_noted_on_that_resource() -> None:
    """A search request counted under `core` whose answer says `X-RateLimit-Resource: search`
    spends the search budget: that one is known afterwards, `core`'s is not."""
    clock = Clock()
    budget = RateBudget()
    reset = NOW + timedelta(seconds=30)
    answer = {
        "x-ratelimit-resource": "search",
        "x-ratelimit-remaining": "9",
        "x-ratelimit-reset": str(int(reset.timestamp())),
    }
    policy(clock, budget=budget).call(lambda: (answer, "page"), resource="core")
    assert budget.known("search") == (9, reset)
    assert budget.known("core") is None
