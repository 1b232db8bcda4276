"""GitHub client on PyGithub's requester: sorts each failed attempt into the kinds of the one HTTP
policy (`connectors.policy`: retries, backoff, rate limits, the token's budget), plus the readers
that return raw pages of pull requests (GraphQL or REST) and default-branch commits, paged by
`connectors.paging`.

PyGithub facts relied on (checked against PyGithub 2.10, see LIBRARY-NOTES.md):
- `Github(seconds_between_requests=...)` defaults to a 0.25 s sleep before every request and
  `per_page` to 30; both are set here.
- Its default `GithubRetry` sleeps inside urllib3 (not injectable, 60 s for secondary limits, no
  retry of a 429 without `Retry-After`), so it is turned off (`retry=None`) and the policy retries.
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
from connectors._http import BROKEN_TRANSPORT, same_origin, utc_now
from connectors._http import next_link as next_link  # re-exported: tests read recorded Link headers
from connectors.budget import RATE_BUDGETS
from connectors.errors import (
    AuthError,
    NotFound,
    PermissionDenied,
    SourceError,
)
from connectors.normalize_github import later
from connectors.paging import PagingLoop as PagingLoop  # re-exported: raised by the readers below
from connectors.paging import cursor_pages, link_pages
from connectors.policy import GITHUB_SECONDARY_BACKOFF, Failure, HttpPolicy
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
from connectors.transport import BREAKERS, github_connection_classes
from core.config import Config
from core.secrets import register_secret

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30
REST_PAGE_SIZE = 100  # GitHub's maximum for list endpoints
# The REST pull-request commits endpoint lists at most 250 commits (GitHub docs:
# https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request); GraphQL has no cap.
REST_PR_COMMITS_CAP = 250

MAX_TRANSIENT_RETRIES = 4  # 5xx, timeouts, dropped connections, truncated bodies
MAX_SECONDARY_RETRIES = 3  # 403/429 secondary ("abuse") limits
GRAPHQL_UNAVAILABLE_STATUSES = frozenset({404, 405, 410, 501})
MIN_GRAPHQL_PAGE_SIZE = 1

Resource = Literal["core", "graphql"]


class GraphqlUnavailable(SourceError):
    """The server has no usable GraphQL endpoint (GitHub Enterprise without it, or a proxy)."""


class EmptyRepository(SourceError):
    """The repository has no commits yet (GitHub answers 409)."""


def github_policy(
    base_url: str,
    token: str,
    *,
    max_retries: int = MAX_TRANSIENT_RETRIES,
    max_rate_limit_wait: float = 900.0,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = utc_now,
    jitter: Callable[[], float] = random.random,
    progress: Callable[[str], None] | None = None,
) -> HttpPolicy:
    """GitHub's parameters of the one HTTP policy: secondary limits wait `Retry-After` or a
    minute doubling, both with up to 20 % jitter; the primary limit waits for its epoch reset on
    the token's budget, shared by every client of the process."""
    return HttpPolicy(
        service="GitHub",
        site=base_url,
        max_retries=max_retries,
        max_throttle_retries=MAX_SECONDARY_RETRIES,
        max_rate_limit_wait=max_rate_limit_wait,
        throttle_backoff=GITHUB_SECONDARY_BACKOFF,
        jitter_told_waits=True,
        reset_format="epoch",
        budget=RATE_BUDGETS.of(base_url, token),
        breakers=BREAKERS,
        sleep=sleep,
        now=now,
        jitter=jitter,
        progress=progress,
    )


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
        register_secret(token)  # an echo of it in server text is scrubbed (core.secrets)
        self.policy = github_policy(
            self.base_url,
            token,
            max_retries=max_retries,
            max_rate_limit_wait=max_rate_limit_wait,
            sleep=sleep,
            now=now,
            jitter=jitter,
            progress=progress,
        )
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
        self.requester._Requester__connectionClass = github_connection_classes(self.policy.breakers)[scheme]  # type: ignore[attr-defined]
        self.requests = 0
        self.graphql_available: bool | None = None
        self.graphql_page_size: int | None = None  # lowered after a GraphQL 502/504

    @property
    def max_retries(self) -> int:
        return self.policy.max_retries

    @max_retries.setter
    def max_retries(self, retries: int) -> None:
        self.policy = self.policy.but(max_retries=retries)

    @property
    def graphql_url(self) -> str:
        return self.requester.graphql_url

    # -- requests ---------------------------------------------------------------------------

    def rest_get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[dict[str, str], Any]:
        """GET a REST path (relative to base_url) or an absolute `Link` URL; JSON body."""
        what = f"GET {path.split('?')[0]}"

        def send() -> tuple[dict[str, str], Any]:
            return self._send(
                what,
                "core",
                lambda: self.requester.requestJsonAndCheck(
                    "GET", path, parameters=dict(params) if params else None
                ),
            )

        headers, data = self.policy.call(send, resource="core")
        return dict(headers), data

    def rest_pages(
        self, path: str, params: Mapping[str, Any] | None = None, item: type[Shape] = GithubRestItem
    ) -> Iterator[list[Any]]:
        """Pages of a REST list endpoint, following `Link: rel="next"`; stop iterating to stop paging.
        Each page must be a JSON array of objects of the `item` shape (UnexpectedAnswer otherwise)."""
        answered = f"GitHub answered GET {path.split('?')[0]}"
        for body in link_pages(
            self.rest_get, path, params or {}, check_link=lambda url: self._check_same_server(url, path)
        ):
            yield check_list(body, item, answered)

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
        what = f"GraphQL {name}"

        def post() -> tuple[dict[str, Any], Any]:
            headers, data = self.requester.requestJsonAndCheck("POST", self.graphql_url, input=body)
            self._refuse_redirect(headers, "a GraphQL query")
            errors = data.get("errors") if isinstance(data, dict) else None
            if not errors:  # `{"data": null}`, an SSO or proxy object: never read as empty data
                check(data, GraphqlAnswer, f"GitHub answered GraphQL {name}")
            if errors and not (partial and isinstance(data.get("data"), dict) and _unresolved_only(errors)):
                raise _graphql_failure(errors, headers, what)
            return headers, data["data"]

        def smaller_page(failure: Failure) -> None:
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
            _, data = self.policy.call(
                lambda: self._send(what, "graphql", post), resource="graphql", before_retry=smaller_page
            )
        except GraphqlUnavailable:
            self.graphql_available = False
            raise
        self.graphql_available = True
        return data  # type: ignore[no-any-return]

    # -- one attempt, its failures sorted for the policy ------------------------------------

    def _send(
        self, what: str, resource: Resource, request: Callable[[], tuple[dict[str, Any], Any]]
    ) -> tuple[dict[str, str], Any]:
        """One attempt: its answer (headers with lower-case names, data), or a Failure."""
        self.requests += 1
        try:
            raw_headers, data = request()
        except GithubException as error:
            raise self._classify(error, what, resource) from None
        except requests.exceptions.SSLError:
            raise SourceError(
                f"TLS verification failed for {self.base_url}; point REQUESTS_CA_BUNDLE at the "
                "server's CA bundle"
            ) from None
        except requests.exceptions.ChunkedEncodingError:
            raise Failure(
                "transient", f"GitHub at {self.base_url} dropped the connection during {what}"
            ) from None
        except BROKEN_TRANSPORT as error:
            raise Failure(
                "transient", f"GitHub at {self.base_url} did not answer {what} ({type(error).__name__})"
            ) from None
        except ValueError:
            raise Failure("transient", f"GitHub at {self.base_url} sent malformed JSON for {what}") from None
        except RuntimeError as error:
            if "redirected" not in str(error):
                raise
            # PyGithub refuses a 301 to another host or scheme (it never sends the token there)
            raise SourceError(f"GitHub at {self.base_url}: {error}") from None
        headers = {k.lower(): str(v) for k, v in raw_headers.items()}
        self._refuse_redirect(headers, what)
        return headers, data

    def _refuse_redirect(self, headers: Mapping[str, Any], what: str) -> None:
        """A 302/307/308 comes back from PyGithub unfollowed; say so instead of reading its body."""
        location = next((str(v) for k, v in headers.items() if k.lower() == "location"), None)
        if location is not None:
            raise SourceError(
                f"GitHub at {self.base_url} redirected {what} to {location.split('?')[0]}; "
                "not followed (the token stays with the configured server)"
            )

    def _classify(self, error: GithubException, what: str, resource: Resource) -> Failure:
        status = error.status
        headers = {k.lower(): str(v) for k, v in (error.headers or {}).items()}
        data = error.data if isinstance(error.data, dict) else {}
        message = str(data.get("message") or "").strip()
        lowered = message.lower()

        def fatal(source_error: SourceError) -> Failure:
            return Failure("fatal", str(source_error), headers, status=status, error=source_error)

        if status == 401:
            return fatal(AuthError(f"GitHub rejected the token for {self.base_url}"))
        if status in (403, 429):
            if headers.get("x-ratelimit-remaining") == "0" or lowered.startswith("api rate limit exceeded"):
                return Failure("exhausted", f"GitHub rate limit exhausted for {what}", headers, status=status)
            if (
                status == 429
                or "retry-after" in headers
                or "secondary rate limit" in lowered
                or "abuse" in lowered
                or lowered.endswith("please wait a few minutes before you try again.")
            ):
                message = f"GitHub answered {status} to {what}: secondary rate limit"
                return Failure("throttled", message, headers, status=status)
            return fatal(PermissionDenied(_refusal(what, message or str(status), headers)))
        if resource == "graphql" and status in GRAPHQL_UNAVAILABLE_STATUSES:
            return fatal(GraphqlUnavailable(f"no GraphQL API at {self.graphql_url} ({status})"))
        if status == 404:
            return fatal(NotFound(f"{what} not found"))
        if status == 409:
            return fatal(EmptyRepository(message or "repository is empty"))
        if status >= 500:
            return Failure(
                "transient", f"GitHub at {self.base_url} answered {status} to {what}", headers, status=status
            )
        return fatal(SourceError(f"GitHub answered {status} to {what}: {message or 'no message'}"))


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


def _graphql_failure(errors: list[Any], headers: Mapping[str, Any], what: str) -> Failure:
    lowered_headers = {k.lower(): str(v) for k, v in headers.items()}
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    kind = str(first.get("type") or "")
    message = str(first.get("message") or "unknown error")

    def fatal(source_error: SourceError) -> Failure:
        return Failure("fatal", str(source_error), lowered_headers, error=source_error)

    if kind == "RATE_LIMITED":
        return Failure("exhausted", f"GitHub rate limit exhausted for {what}", lowered_headers)
    if kind == "NOT_FOUND":
        return fatal(NotFound(message))
    if kind == "FORBIDDEN":
        return fatal(PermissionDenied(_refusal("a GraphQL query", message, lowered_headers)))
    if message.lower().startswith("something went wrong") or "timeout" in message.lower():
        return Failure("transient", f"GitHub GraphQL: {message}", lowered_headers)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return fatal(SourceError(f"GitHub GraphQL error: {message}{more}"))


def _unresolved_only(errors: list[Any]) -> bool:
    """True when every error names a path GitHub left null for want of access or existence."""
    return all(
        isinstance(error, dict) and error.get("type") in ("NOT_FOUND", "FORBIDDEN") and error.get("path")
        for error in errors
    )


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
    history: dict[str, Any] | None = None
    first = True

    def pull_requests(after: str | None) -> Mapping[str, Any]:
        nonlocal history, first
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
        if first:  # the first page brings the first page of the branch history along
            history = _history(repository.get("defaultBranchRef"))
            first = False
        connection: Mapping[str, Any] = repository["pullRequests"]
        return connection

    for connection in cursor_pages(pull_requests, f"the pull requests of {repo}"):
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
            _complete_connections(client, repo, node)
            page.pull_requests.append(node)
        yield page
        if stop:
            break

    final = RawPage("graphql")
    if history is None:
        final.note = "repository is empty"
    else:

        def branch_history(after: str | None) -> Mapping[str, Any] | None:
            variables = {"owner": owner, "name": name, "since": iso(commits_since), "after": after}
            data = client.graphql(queries.BRANCH_HISTORY_PAGE, variables)
            more = _history(_repository(data, repo).get("defaultBranchRef"))
            if more is not None:
                check(more, Connection, f"GitHub answered the branch history of {repo}")
            return more

        for connection in cursor_pages(branch_history, f"the branch history of {repo}", first=history):
            final.branch_commits += connection["nodes"]
    yield final


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


def _pull_request_connection(
    client: GithubClient, repo: str, number: int, key: str, first: Mapping[str, Any] | None = None
) -> tuple[list[Any], Mapping[str, Any]]:
    """Every node of one connection of a pull request (`reviews`, `timelineItems`, `commits`),
    from `first` (the page the pull request came with) or from the start, and the last page's
    `pageInfo`."""
    owner, name = repo.split("/", 1)
    what = f"the {key} of pull request #{number}"

    def fetch(after: str | None) -> Mapping[str, Any]:
        variables = {"owner": owner, "name": name, "number": number, "after": after}
        data = client.graphql(queries.PULL_REQUEST_CONNECTION_PAGE[key], variables)
        more = (_repository(data, repo).get("pullRequest") or {}).get(key)
        if not isinstance(more, dict):
            raise SourceError(f"GitHub returned no {key} for pull request #{number} of {repo}")
        check(more, Connection, f"GitHub answered {what} of {repo}")
        return more

    pages = list(cursor_pages(fetch, what, first=first))
    return [node for page in pages for node in page["nodes"]], pages[-1]["pageInfo"]


def _complete_connections(client: GithubClient, repo: str, node: dict[str, Any]) -> None:
    """Follow every nested connection of a PR that has more than one page, in place."""
    for key in queries.PULL_REQUEST_CONNECTION_PAGE:
        connection = node[key]
        if connection["pageInfo"]["hasNextPage"]:
            nodes, info = _pull_request_connection(client, repo, node["number"], key, first=connection)
            node[key] = {**connection, "nodes": nodes, "pageInfo": info}


REVIEW_REQUEST_EVENTS = frozenset({"review_requested", "review_request_removed"})


def _all_commits_by_graphql(client: GithubClient, repo: str, number: int) -> list[dict[str, Any]] | None:
    """Every commit of a pull request as GraphQL `Commit` nodes (GraphQL has no 250 cap), or None
    when the server has no GraphQL API."""
    if client.graphql_available is False:
        return None
    try:
        nodes, _ = _pull_request_connection(client, repo, number, "commits")
    except GraphqlUnavailable:
        return None
    return [item["commit"] for item in nodes if item and item.get("commit")]


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
