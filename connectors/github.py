"""GitHub client on PyGithub's requester: GitHub's retry loop and rate-limit rules (primary and
secondary limits) over the plumbing shared in `connectors._http`, plus the readers that return raw
pages of pull requests (GraphQL or REST) and default-branch commits.

PyGithub facts relied on (checked against PyGithub 2.10, see LIBRARY-NOTES.md):
- `Github(seconds_between_requests=...)` defaults to a 0.25 s sleep before every request and
  `per_page` to 30; both are set here.
- Its default `GithubRetry` sleeps inside urllib3 (not injectable, 60 s for secondary limits, no
  retry of a 429 without `Retry-After`), so it is turned off (`retry=None`) and this module retries.
- `Requester.requestJsonAndCheck` raises `GithubException` (status, data, headers) for >= 400 and
  `ValueError` for a body that starts like JSON but is not; `requester.graphql_url` maps an
  Enterprise `https://HOST/api/v3` to `https://HOST/api/graphql`.
- The CA bundle comes from `REQUESTS_CA_BUNDLE` (requests reads it when `verify=True`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from github import Auth, Github, GithubException

from connectors import github_queries as queries
from connectors._http import (
    BROKEN_TRANSPORT,
    backoff_seconds,
    epoch_time,
    header_number,
    next_link,
    same_origin,
    utc_now,
)
from connectors.budget import RATE_BUDGETS
from connectors.errors import (
    AuthError,
    NotFound,
    PermissionDenied,
    RateLimitExhausted,
    SourceError,
    TransientError,
)
from connectors.normalize_github import later
from connectors.shapes import (
    Connection,
    GithubCommit,
    GithubPull,
    GithubRestItem,
    GraphqlAnswer,
    ProbedRepository,
    RepositoryPage,
    Shape,
    check,
    check_list,
)
from connectors.times import parse_github_time as parse_time
from connectors.transport import GITHUB_CONNECTION_CLASSES
from core.config import Config
from core.secrets import register_secret, scrub

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30
REST_PAGE_SIZE = 100  # GitHub's maximum for list endpoints
# The REST pull-request commits endpoint lists at most 250 commits (GitHub docs:
# https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request); GraphQL has no cap.
REST_PR_COMMITS_CAP = 250

MAX_TRANSIENT_RETRIES = 4  # 5xx, timeouts, dropped connections, truncated bodies
MAX_SECONDARY_RETRIES = 3  # 403/429 secondary ("abuse") limits
# Waits for a primary limit that names no reset time, or whose reset has passed, per request.
MAX_PRIMARY_WAITS = 2
# GitHub: "If you receive a secondary rate limit error without retry-after, wait at least one
# minute" (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
SECONDARY_WAIT_SECONDS = 60.0
GRAPHQL_UNAVAILABLE_STATUSES = frozenset({404, 405, 410, 501})
MIN_GRAPHQL_PAGE_SIZE = 1

Resource = Literal["core", "graphql"]


class GraphqlUnavailable(SourceError):
    """The server has no usable GraphQL endpoint (GitHub Enterprise without it, or a proxy)."""


class EmptyRepository(SourceError):
    """The repository has no commits yet (GitHub answers 409)."""


@dataclass
class _Failure(Exception):
    """One failed attempt, sorted into what to do next."""

    kind: Literal[
        "auth", "primary", "secondary", "transient", "not_found", "empty", "forbidden", "unavailable", "fatal"
    ]
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int | None = None

    def __post_init__(self) -> None:
        # It may quote the server, it is logged on retries and it is the context of what we
        # raise; BaseException.__new__ kept the unscrubbed arguments in `args`, so replace them too.
        self.message = scrub(self.message)
        self.args = (self.kind, self.message)


class PagingLoop(TransientError):
    """The server handed out a page cursor or `next` link it had already given (a paging loop)."""


class GithubClient:
    """HTTP to one GitHub (or Enterprise) server; counts every request it sends in `requests`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        max_rate_limit_wait: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = utc_now,
        progress: Callable[[str], None] | None = None,
        jitter: Callable[[], float] = random.random,
        timeout: int = TIMEOUT_SECONDS,
        max_retries: int = MAX_TRANSIENT_RETRIES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        register_secret(token)  # an echo of it in server text is scrubbed (core.secrets)
        self.github = Github(
            auth=Auth.Token(token),
            base_url=self.base_url,
            per_page=REST_PAGE_SIZE,
            timeout=timeout,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            verify=True,
        )
        self.requester = self.github.requester
        # Every connection goes through connectors.transport (address check, dead-host breaker);
        # PyGithub 2.10 picks its connection class per requester in this private attribute.
        scheme = urlsplit(self.base_url).scheme
        self.requester._Requester__connectionClass = GITHUB_CONNECTION_CLASSES[scheme]  # type: ignore[attr-defined]
        self.max_rate_limit_wait = max_rate_limit_wait
        self.sleep = sleep
        self.now = now
        self.progress = progress
        self.jitter = jitter
        self.requests = 0
        self.graphql_available: bool | None = None
        self.graphql_page_size: int | None = None  # lowered after a GraphQL 502/504
        self.budget = RATE_BUDGETS.of(self.base_url, token)  # shared with every client of the token

    @property
    def graphql_url(self) -> str:
        return self.requester.graphql_url

    # -- requests ---------------------------------------------------------------------------

    def rest_get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[dict[str, str], Any]:
        """GET a REST path (relative to base_url) or an absolute `Link` URL; JSON body."""

        def send() -> tuple[dict[str, Any], Any]:
            return self.requester.requestJsonAndCheck(
                "GET", path, parameters=dict(params) if params else None
            )

        return self._call(f"GET {path.split('?')[0]}", send, "core")

    def rest_pages(
        self, path: str, params: Mapping[str, Any] | None = None, item: type[Shape] = GithubRestItem
    ) -> Iterator[list[Any]]:
        """Pages of a REST list endpoint, following `Link: rel="next"`; stop iterating to stop paging.
        Each page must be a JSON array of objects of the `item` shape (UnexpectedAnswer otherwise)."""
        url, query = path, dict(params or {})
        followed: set[str] = set()
        while True:
            headers, data = self.rest_get(url, query)
            yield check_list(data, item, f"GitHub answered GET {path.split('?')[0]}")
            following = next_link(headers.get("link"))
            if following is None:
                return
            if following in followed:
                raise PagingLoop(f"GitHub sent the same next page twice for GET {path}; stopped paging")
            self._check_same_server(following, path)
            followed.add(following)
            url, query = following, {}

    def _check_same_server(self, url: str, path: str) -> None:
        """A `next` link must point at the configured server: the token goes with every request."""
        if not same_origin(url, self.base_url):
            link = urlsplit(url)
            raise SourceError(
                f"GitHub's next page for GET {path} points at {link.scheme}://{link.hostname}, "
                f"not {self.base_url}; the token is not sent there"
            )

    def graphql(self, query: str, variables: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Run one GraphQL query; errors in a 200 answer are raised, never returned as empty data.

        With `partial`, an answer whose only errors are repositories GitHub could not resolve or
        refused (`NOT_FOUND`/`FORBIDDEN` with a path; their fields come back null) is returned.
        """
        body: dict[str, Any] = {"query": query, "variables": dict(variables)}
        name = query.split("(", 1)[0].split()[-1] if "query" in query else "query"

        def send() -> tuple[dict[str, Any], Any]:
            headers, data = self.requester.requestJsonAndCheck("POST", self.graphql_url, input=body)
            self._refuse_redirect(headers, "a GraphQL query")
            errors = data.get("errors") if isinstance(data, dict) else None
            if not errors:  # `{"data": null}`, an SSO or proxy object: never read as empty data
                check(data, GraphqlAnswer, f"GitHub answered GraphQL {name}")
            if errors and not (partial and isinstance(data.get("data"), dict) and _unresolved_only(errors)):
                raise _graphql_failure(errors, headers)
            return headers, data["data"]

        def smaller_page(failure: _Failure) -> None:
            # A 502/504 from GraphQL usually means the query ran out of time on GitHub's side
            # (https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#timeouts):
            # ask again for half as many items; cursors stay valid across page sizes.
            size = body["variables"].get("pageSize")
            if failure.status in (502, 504) and isinstance(size, int) and size > MIN_GRAPHQL_PAGE_SIZE:
                body["variables"]["pageSize"] = max(MIN_GRAPHQL_PAGE_SIZE, size // 2)
                self.graphql_page_size = body["variables"]["pageSize"]

        if isinstance(body["variables"].get("pageSize"), int) and self.graphql_page_size is not None:
            body["variables"]["pageSize"] = min(body["variables"]["pageSize"], self.graphql_page_size)
        try:
            _, data = self._call(f"GraphQL {name}", send, "graphql", smaller_page)
        except GraphqlUnavailable:
            self.graphql_available = False
            raise
        self.graphql_available = True
        return data  # type: ignore[no-any-return]

    # -- the retry loop ---------------------------------------------------------------------

    def _call(
        self,
        what: str,
        send: Callable[[], tuple[dict[str, Any], Any]],
        resource: Resource,
        before_retry: Callable[[_Failure], None] | None = None,
    ) -> tuple[dict[str, str], Any]:
        transient = secondary = primary = 0
        rate_waited = 0.0  # seconds waited for primary limit resets within this request
        while True:
            self._wait_for_budget(resource)
            self.requests += 1
            released = False
            try:
                try:
                    raw_headers, data = send()
                except GithubException as error:
                    raise self._classify(error, what, resource) from None
                except requests.exceptions.SSLError:
                    raise SourceError(
                        f"TLS verification failed for {self.base_url}; point REQUESTS_CA_BUNDLE at the "
                        "server's CA bundle"
                    ) from None
                except requests.exceptions.ChunkedEncodingError:
                    raise _Failure("transient", f"connection dropped during {what}") from None
                except BROKEN_TRANSPORT as error:
                    raise _Failure("transient", f"{type(error).__name__} on {what}") from None
                except ValueError:
                    raise _Failure("transient", f"GitHub sent malformed JSON for {what}") from None
                except RuntimeError as error:
                    if "redirected" not in str(error):
                        raise
                    # PyGithub refuses a 301 to another host or scheme (it never sends the token there)
                    raise SourceError(f"GitHub at {self.base_url}: {error}") from None
            except _Failure as failure:
                failure.__context__ = None  # PyGithub's exception holds the raw server answer
                self.budget.release(resource)
                released = True
                if failure.kind != "primary":  # a primary limit is waited for right here
                    self._note_rate_limit(failure.headers, resource)
                if failure.kind == "transient":
                    transient += 1
                    if transient > self.max_retries:
                        raise TransientError(
                            f"{failure.message} (gave up after {transient} tries against {self.base_url})"
                        ) from None
                    if before_retry is not None:
                        before_retry(failure)
                    self._pause(backoff_seconds(transient, self.jitter()), f"{failure.message}; retrying")
                elif failure.kind == "secondary":
                    secondary += 1
                    if secondary > MAX_SECONDARY_RETRIES:
                        raise TransientError(
                            f"GitHub secondary rate limit persisted for {what} after {secondary} tries"
                        ) from None
                    self._pause(
                        self._secondary_wait(failure.headers, secondary), "GitHub secondary rate limit"
                    )
                elif failure.kind == "primary":
                    primary += 1
                    rate_waited += self._wait_for_primary_reset(
                        failure.headers, what, resource, primary, rate_waited
                    )
                else:
                    raise self._fatal(failure) from None
                continue
            finally:
                if not released:
                    self.budget.release(resource)
            headers = {k.lower(): str(v) for k, v in raw_headers.items()}
            self._refuse_redirect(headers, what)
            self._note_rate_limit(headers, resource)
            return headers, data

    def _refuse_redirect(self, headers: Mapping[str, Any], what: str) -> None:
        """A 302/307/308 comes back from PyGithub unfollowed; say so instead of reading its body."""
        location = next((str(v) for k, v in headers.items() if k.lower() == "location"), None)
        if location is not None:
            raise SourceError(
                f"GitHub at {self.base_url} redirected {what} to {location.split('?')[0]}; "
                "not followed (the token stays with the configured server)"
            )

    def _classify(self, error: GithubException, what: str, resource: Resource) -> _Failure:
        status = error.status
        headers = {k.lower(): str(v) for k, v in (error.headers or {}).items()}
        data = error.data if isinstance(error.data, dict) else {}
        message = str(data.get("message") or "").strip()
        lowered = message.lower()
        if status == 401:
            return _Failure("auth", message, headers)
        if status in (403, 429):
            if headers.get("x-ratelimit-remaining") == "0" or lowered.startswith("api rate limit exceeded"):
                return _Failure("primary", message, headers)
            if (
                status == 429
                or "retry-after" in headers
                or "secondary rate limit" in lowered
                or "abuse" in lowered
                or lowered.endswith("please wait a few minutes before you try again.")
            ):
                return _Failure("secondary", message, headers)
            return _Failure("forbidden", _refusal(what, message or str(status), headers), headers)
        if resource == "graphql" and status in GRAPHQL_UNAVAILABLE_STATUSES:
            return _Failure("unavailable", f"no GraphQL API at {self.graphql_url} ({status})", headers)
        if status == 404:
            return _Failure("not_found", f"{what} not found", headers)
        if status == 409:
            return _Failure("empty", message or "repository is empty", headers)
        if status >= 500:
            return _Failure("transient", f"GitHub answered {status} to {what}", headers, status)
        return _Failure("fatal", f"GitHub answered {status} to {what}: {message or 'no message'}", headers)

    def _fatal(self, failure: _Failure) -> SourceError:
        if failure.kind == "auth":
            return AuthError(f"GitHub rejected the token for {self.base_url}")
        if failure.kind == "not_found":
            return NotFound(failure.message)
        if failure.kind == "empty":
            return EmptyRepository(failure.message)
        if failure.kind == "forbidden":
            return PermissionDenied(failure.message)
        if failure.kind == "unavailable":
            return GraphqlUnavailable(failure.message)
        return SourceError(failure.message)

    # -- waiting ----------------------------------------------------------------------------

    def _pause(self, seconds: float, reason: str) -> None:
        log.info("%s: waiting %.1f s", reason, seconds)
        if self.progress is not None and seconds >= 10:
            self.progress(f"{reason}: waiting {seconds:.0f} s")
        self.sleep(seconds)

    def _secondary_wait(self, headers: Mapping[str, str], attempt: int) -> float:
        retry_after = header_number(headers.get("retry-after"))
        wait = SECONDARY_WAIT_SECONDS * 2 ** (attempt - 1) if retry_after is None else max(retry_after, 0.0)
        if wait > self.max_rate_limit_wait:
            raise RateLimitExhausted(
                f"GitHub secondary rate limit asks for a {wait:.0f} s pause, more than "
                f"max_rate_limit_wait_seconds ({self.max_rate_limit_wait:.0f} s)"
            )
        return wait * (1.0 + 0.2 * self.jitter())

    def _note_rate_limit(self, headers: Mapping[str, str], resource: Resource) -> None:
        """Tell the token's shared budget what an answer said of it (connectors.budget)."""
        key = headers.get("x-ratelimit-resource", resource)
        self.budget.observe(key, header_number(headers.get("x-ratelimit-remaining")), _reset_time(headers))

    def _wait_for_budget(self, resource: Resource) -> None:
        """Take one request from the token's budget, first waiting for its reset when it is spent
        (by this client or by any other repo's client using the same token)."""
        while (reset := self.budget.reserve(resource, self.now())) is not None:
            self._wait_until(reset)
            self.budget.passed(resource, reset)

    def _wait_for_primary_reset(
        self, headers: Mapping[str, str], what: str, resource: Resource, attempt: int, waited: float
    ) -> float:
        """Wait for the reset of an exhausted primary limit; returns the seconds waited.

        As often as the limit comes back, as long as the reset time is known and the waits of
        this request stay within `max_rate_limit_wait` (other clients spending the same token can
        empty a fresh window before this one gets to it); a reset that has already passed and
        still answers "limited" is waited out only a few times."""
        reset = _reset_time(headers)
        if reset is None:  # a server that names no reset time: back off as for a secondary limit
            if attempt > MAX_PRIMARY_WAITS:
                raise RateLimitExhausted(
                    f"GitHub rate limit exhausted for {what}; the server gives no reset time"
                )
            seconds = self._secondary_wait(headers, attempt)
            self._pause(seconds, "GitHub rate limit")
            return seconds
        key = headers.get("x-ratelimit-resource", resource)
        self.budget.observe(key, 0, reset)  # every client of the token waits for it too
        wait = max(0.0, (reset - self.now()).total_seconds() + 1.0)
        if attempt > MAX_PRIMARY_WAITS and wait <= 1.0:
            raise RateLimitExhausted(
                f"GitHub rate limit still exhausted after its reset; rate limit resets at {_utc(reset)}"
            )
        if waited + wait > self.max_rate_limit_wait:
            raise RateLimitExhausted(
                f"GitHub rate limit exhausted; rate limit resets at {_utc(reset)}, later than "
                f"max_rate_limit_wait_seconds ({self.max_rate_limit_wait:.0f} s) allows"
                + (f" after {waited:.0f} s of waiting" if waited else "")
            )
        self._wait_until(reset)
        self.budget.passed(key, reset)
        return wait

    def _wait_until(self, reset: datetime) -> None:
        wait = (reset - self.now()).total_seconds() + 1.0  # the reset falls somewhere in that second
        if wait > self.max_rate_limit_wait:
            raise RateLimitExhausted(
                f"GitHub rate limit exhausted; rate limit resets at {_utc(reset)}, later than "
                f"max_rate_limit_wait_seconds ({self.max_rate_limit_wait:.0f} s) allows"
            )
        if wait > 0:
            message = f"GitHub rate limit reached; waiting {wait:.0f} s until {_utc(reset)}"
            log.warning(message)
            if self.progress is not None:
                self.progress(message)
            self.sleep(wait)


def _refusal(what: str, message: str, headers: Mapping[str, str]) -> str:
    """A 403 refusal in one line, naming the permission GitHub says the request needs.

    GitHub sends `X-Accepted-GitHub-Permissions` (e.g. `pull_requests=read; contents=read`) with a
    "Resource not accessible by integration" refusal of a fine-grained or app token
    (https://docs.github.com/en/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens).
    """
    needed = headers.get("x-accepted-github-permissions", "").strip()
    hint = (
        f"; the token needs the permission {needed}"
        if needed
        else "; give the token read access to pull requests and contents of this repo"
    )
    return f"GitHub refused {what}: {message}{hint}"


def _graphql_failure(errors: list[Any], headers: Mapping[str, Any]) -> _Failure:
    lowered_headers = {k.lower(): str(v) for k, v in headers.items()}
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    kind = str(first.get("type") or "")
    message = str(first.get("message") or "unknown error")
    if kind == "RATE_LIMITED":
        return _Failure("primary", message, lowered_headers)
    if kind == "NOT_FOUND":
        return _Failure("not_found", message, lowered_headers)
    if kind == "FORBIDDEN":
        return _Failure("forbidden", _refusal("a GraphQL query", message, lowered_headers), lowered_headers)
    if message.lower().startswith("something went wrong") or "timeout" in message.lower():
        return _Failure("transient", f"GitHub GraphQL: {message}", lowered_headers)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return _Failure("fatal", f"GitHub GraphQL error: {message}{more}", lowered_headers)


def _unresolved_only(errors: list[Any]) -> bool:
    """True when every error names a path GitHub left null for want of access or existence."""
    return all(
        isinstance(error, dict) and error.get("type") in ("NOT_FOUND", "FORBIDDEN") and error.get("path")
        for error in errors
    )


def _reset_time(headers: Mapping[str, str]) -> datetime | None:
    return epoch_time(headers.get("x-ratelimit-reset"))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(moment: datetime) -> str:
    """GitHub's timestamp form, `2026-01-31T12:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- readers: raw pages ---------------------------------------------------------------------------


@dataclass
class RawPage:
    """Pull requests (new or changed, with complete detail) and/or default-branch commits, raw."""

    api: Literal["graphql", "rest"]
    pull_requests: list[dict[str, Any]] = field(default_factory=list)
    branch_commits: list[dict[str, Any]] = field(default_factory=list)
    newest_updated_at: datetime | None = None
    note: str | None = None
    truncated: list[int] = field(default_factory=list)  # PRs whose commit list is known to be cut


def graphql_pages(
    client: GithubClient,
    repo: str,
    *,
    updated_since: datetime,
    commits_since: datetime,
    known: Mapping[int, datetime],
    page_size: int,
) -> Iterator[RawPage]:
    """Pages of PRs updated at or after `updated_since`, newest first, then the branch commits.

    PRs whose `updatedAt` equals the stored one (`known`) are already complete in the store and
    are left out; paging stops at the first PR older than `updated_since`.
    """
    owner, name = repo.split("/", 1)
    after: str | None = None
    cursors: set[str] = set()
    history: dict[str, Any] | None = None
    first = True
    while True:
        variables = {
            "owner": owner,
            "name": name,
            "pageSize": page_size,
            "after": after,
            "withHistory": first,
            "since": iso(commits_since),
        }
        repository = _repository(client.graphql(queries.PULL_REQUESTS_PAGE, variables), repo)
        check(repository, RepositoryPage, f"GitHub answered the pull requests of {repo}")
        if first:
            history = _history(repository.get("defaultBranchRef"))
            first = False
        connection = repository["pullRequests"]
        page = RawPage("graphql")
        stop = False
        for node in connection["nodes"]:
            updated = parse_time(node["updatedAt"])
            if updated is None or updated < updated_since:
                stop = True
                break
            page.newest_updated_at = later(page.newest_updated_at, updated)
            if known.get(node["number"]) == updated:
                continue
            _complete_pull_request(client, owner, name, node)
            page.pull_requests.append(node)
        yield page
        info = connection["pageInfo"]
        if stop or not info["hasNextPage"]:
            break
        _check_cursor(info, cursors, f"the pull requests of {repo}")
        after = info["endCursor"]

    final = RawPage("graphql")
    if history is None:
        final.note = "repository is empty"
    else:
        final.branch_commits = list(history["nodes"])
        info = history["pageInfo"]
        seen: set[str] = set()
        while info["hasNextPage"]:
            _check_cursor(info, seen, f"the branch history of {repo}")
            data = client.graphql(
                queries.BRANCH_HISTORY_PAGE,
                {"owner": owner, "name": name, "since": iso(commits_since), "after": info["endCursor"]},
            )
            more = _history(_repository(data, repo).get("defaultBranchRef"))
            if more is None:
                break
            check(more, Connection, f"GitHub answered the branch history of {repo}")
            final.branch_commits += more["nodes"]
            info = more["pageInfo"]
    yield final


def _check_cursor(info: Mapping[str, Any], seen: set[str], what: str) -> None:
    """Raise when a connection says it has a next page but names no new cursor for it."""
    cursor = info.get("endCursor")
    if not cursor or cursor in seen:
        raise PagingLoop(f"GitHub sent the same page cursor twice for {what}")
    seen.add(cursor)


def _repository(data: Mapping[str, Any], repo: str) -> dict[str, Any]:
    repository = data.get("repository")
    if not isinstance(repository, dict):
        raise NotFound(f"repo {repo} not found or not visible to this token")
    return repository


def _history(branch: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The `history` connection under a default branch ref, or None for an empty repository."""
    if not branch:
        return None
    target = branch.get("target") or {}
    history = target.get("history")
    return history if isinstance(history, dict) else None


def _complete_pull_request(client: GithubClient, owner: str, name: str, node: dict[str, Any]) -> None:
    """Follow every nested connection of a PR that has more than one page, in place."""
    for key, query in queries.PULL_REQUEST_CONNECTION_PAGE.items():
        connection = node[key]
        seen: set[str] = set()
        while connection["pageInfo"]["hasNextPage"]:
            _check_cursor(connection["pageInfo"], seen, f"the {key} of pull request #{node['number']}")
            variables = {
                "owner": owner,
                "name": name,
                "number": node["number"],
                "after": connection["pageInfo"]["endCursor"],
            }
            data = client.graphql(query, variables)
            pull = _repository(data, f"{owner}/{name}").get("pullRequest") or {}
            more = pull.get(key)
            if not isinstance(more, dict):
                raise SourceError(f"GitHub returned no {key} for pull request #{node['number']}")
            check(more, Connection, f"GitHub answered the {key} of pull request #{node['number']}")
            connection["nodes"] = connection["nodes"] + more["nodes"]
            connection["pageInfo"] = more["pageInfo"]


REVIEW_REQUEST_EVENTS = frozenset({"review_requested", "review_request_removed"})


def _all_commits_by_graphql(client: GithubClient, repo: str, number: int) -> list[dict[str, Any]] | None:
    """Every commit of a pull request as GraphQL `Commit` nodes (GraphQL has no 250 cap), or None
    when the server has no GraphQL API."""
    if client.graphql_available is False:
        return None
    owner, name = repo.split("/", 1)
    node: dict[str, Any] = {
        "number": number,
        "commits": {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": None}},
    }
    connection = node["commits"]
    seen: set[str] = set()
    try:
        while connection["pageInfo"]["hasNextPage"]:
            after = connection["pageInfo"]["endCursor"]
            if after is not None:
                _check_cursor(connection["pageInfo"], seen, f"the commits of pull request #{number}")
            data = client.graphql(
                queries.PULL_REQUEST_CONNECTION_PAGE["commits"],
                {"owner": owner, "name": name, "number": number, "after": after},
            )
            more = (_repository(data, repo).get("pullRequest") or {}).get("commits")
            if not isinstance(more, dict):
                raise SourceError(f"GitHub returned no commits for pull request #{number} of {repo}")
            check(more, Connection, f"GitHub answered the commits of pull request #{number} of {repo}")
            connection["nodes"] = connection["nodes"] + more["nodes"]
            connection["pageInfo"] = more["pageInfo"]
    except GraphqlUnavailable:
        return None
    return [item["commit"] for item in connection["nodes"] if item and item.get("commit")]


def rest_pages(
    client: GithubClient,
    repo: str,
    *,
    updated_since: datetime,
    commits_since: datetime,
    known: Mapping[int, datetime],
    page_size: int,
) -> Iterator[RawPage]:
    """The REST fallback of `graphql_pages`: list PRs by `updated` desc, then per changed PR its
    reviews, issue events and commits; then the default branch's commits since `commits_since`."""
    base = f"/repos/{repo}"
    params = {"state": "all", "sort": "updated", "direction": "desc", "per_page": page_size}
    for listed in client.rest_pages(f"{base}/pulls", params, GithubPull):
        page = RawPage("rest")
        stop = False
        for pull in listed:
            updated = parse_time(pull.get("updated_at"))
            if updated is None or updated < updated_since:
                stop = True
                break
            page.newest_updated_at = later(page.newest_updated_at, updated)
            number = int(pull["number"])
            if known.get(number) == updated:
                continue
            detail = f"{base}/pulls/{number}"
            per_page = {"per_page": REST_PAGE_SIZE}
            reviews = [r for p in client.rest_pages(f"{detail}/reviews", per_page) for r in p]
            events = [
                e
                for p in client.rest_pages(f"{base}/issues/{number}/events", per_page)
                for e in p
                if e.get("event") in REVIEW_REQUEST_EVENTS
            ]
            commits = [c for p in client.rest_pages(f"{detail}/commits", per_page, GithubCommit) for c in p]
            raw: dict[str, Any] = {"pull": pull, "reviews": reviews, "events": events, "commits": commits}
            if len(commits) >= REST_PR_COMMITS_CAP:
                complete = _all_commits_by_graphql(client, repo, number)
                if complete is not None:
                    raw["graphql_commits"] = complete
                else:
                    log.warning(
                        "%s#%s: the REST API lists only the first %d commits of a pull request and "
                        "this server has no GraphQL API; the pull request is marked truncated",
                        repo,
                        number,
                        REST_PR_COMMITS_CAP,
                    )
                    page.truncated.append(number)
            page.pull_requests.append(raw)
        yield page
        if stop:
            break

    final = RawPage("rest")
    try:
        for listed in client.rest_pages(
            f"{base}/commits", {"since": iso(commits_since), "per_page": REST_PAGE_SIZE}, GithubCommit
        ):
            final.branch_commits += listed
    except EmptyRepository:
        final.note = "repository is empty"
    yield final


@dataclass(frozen=True)
class ProbeTarget:
    """A repo to probe, with the start of its default-branch commit window."""

    repo: str
    commits_since: datetime


@dataclass
class RepoProbe:
    """What one probe saw of a repo: its newest pull requests by update (number, updatedAt),
    newest first, and the oids of the default branch's commits since `commits_since` (None for an
    empty repository); `more_*` says the list was cut at `PROBE_DEPTH`."""

    pull_requests: list[tuple[int, datetime]]
    more_pull_requests: bool
    branch_commits: list[str] | None
    more_branch_commits: bool


def probe_repositories(client: GithubClient, targets: Sequence[ProbeTarget]) -> dict[str, RepoProbe]:
    """One GraphQL request for up to `PROBE_BATCH_SIZE` repos, each under its own alias.

    Repos GitHub could not resolve (not found, not visible) are left out of the answer, so their
    own sync reports them. Raises SourceError (GraphqlUnavailable among them) when the request fails.
    """
    if len(targets) > queries.PROBE_BATCH_SIZE:
        raise ValueError(f"at most {queries.PROBE_BATCH_SIZE} repos per probe")
    if not targets:
        return {}
    variables: dict[str, Any] = {}
    for index, target in enumerate(targets):
        owner, name = target.repo.split("/", 1)
        variables.update(
            {f"owner{index}": owner, f"name{index}": name, f"since{index}": iso(target.commits_since)}
        )
    data = client.graphql(queries.repositories_probe(len(targets)), variables, partial=True)
    found: dict[str, RepoProbe] = {}
    for index, target in enumerate(targets):
        repository = data.get(queries.probe_alias(index))
        if not isinstance(repository, dict):
            continue
        check(repository, ProbedRepository, f"GitHub answered the probe of {target.repo}")
        pulls = repository["pullRequests"]
        listed = [(int(node["number"]), parse_time(node["updatedAt"])) for node in pulls["nodes"]]
        if any(updated is None for _, updated in listed):
            continue  # not comparable with a cursor: let the repo's own sync read it
        history = _history(repository.get("defaultBranchRef"))
        found[target.repo] = RepoProbe(
            pull_requests=[(number, updated) for number, updated in listed if updated is not None],
            more_pull_requests=bool(pulls["pageInfo"]["hasNextPage"]),
            branch_commits=None if history is None else [str(node["oid"]) for node in history["nodes"]],
            more_branch_commits=history is not None and bool(history["pageInfo"]["hasNextPage"]),
        )
    return found


def github_client(
    config: Config,
    token: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = utc_now,
    progress: Callable[[str], None] | None = None,
) -> GithubClient:
    """A client for the config's `[github]` server (base URL, rate-limit patience)."""
    settings = config.github
    if settings is None:
        raise SourceError("the config has no [github] section")
    return GithubClient(
        settings.base_url,
        token,
        max_rate_limit_wait=settings.max_rate_limit_wait_seconds,
        max_retries=settings.max_retries,
        sleep=sleep,
        now=now,
        progress=progress,
    )
