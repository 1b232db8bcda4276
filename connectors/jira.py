"""Jira HTTP client on the `jira` library: raw search pages, changelogs and comments, with our own retries.

Both flavours go through the library's `ResilientSession` (auth, TLS, headers), called directly:

* The library's own retries sleep up to a minute with real `time.sleep` and skip 502/504 and
  timeouts, so the session gets `max_retries=0`; this module sorts each failed attempt for the one
  HTTP policy (`connectors.policy`: 429/503 with `Retry-After` or the ISO `X-RateLimit-Reset`,
  5xx, timeouts, malformed JSON), which retries through an injected `sleep`.
* `JIRA(get_server_info=False)` saves the `GET serverInfo` call; the flavour comes from the
  config instead and `deploymentType` is set to match, so library helpers used later still pick
  the right endpoints (LIBRARY-NOTES: without server info the client believes it is on Server).
* No `fields=[...]` goes through the library, which would cost a `GET /field` per client.

Jira Cloud: `GET /rest/api/3/search/jql`, paged by `nextPageToken` until `isLast` (no `total`,
no `startAt`); the old `/rest/api/{2,3}/search` answers 410 there since 2025
(https://developer.atlassian.com/changelog/#CHANGE-2046). Jira Server/Data Center:
`GET /rest/api/2/search`, paged by `startAt` against `total` (both in `connectors.paging`).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal, cast
from urllib.parse import urljoin, urlsplit

import requests
from jira import JIRA
from jira.exceptions import JIRAError

from connectors._http import BROKEN_TRANSPORT, same_origin, utc_now
from connectors.errors import (
    AuthError,
    NotFound,
    PermissionDenied,
    SourceError,
    TransientError,
    WrongFlavor,
)
from connectors.paging import offset_pages, token_pages
from connectors.policy import Failure, HttpPolicy
from connectors.shapes import (
    JiraChangelogPage,
    JiraCloudSearchPage,
    JiraCommentPage,
    JiraServerIssueChangelog,
    JiraServerSearchPage,
    Shape,
    check,
)
from connectors.transport import BREAKERS, guard_session
from core.config import Config
from core.secrets import register_secret

log = logging.getLogger(__name__)

Flavor = Literal["cloud", "server"]

CLOUD_API = "rest/api/3"  # v3: comment bodies in Atlassian Document Format
SERVER_API = "rest/api/2"
CLOUD_SEARCH = f"{CLOUD_API}/search/jql"
SERVER_SEARCH = f"{SERVER_API}/search"

# Only what the issues, issue_events and comments tables need.
SEARCH_FIELDS = (
    "project",
    "issuetype",
    "summary",
    "status",
    "labels",
    "components",
    "assignee",
    "reporter",
    "created",
    "updated",
    "resolutiondate",
    "parent",
    "comment",
)

# Jira caps a changelog or comment page at 100 entries whatever maxResults asks for.
SUBRESOURCE_PAGE = 100
MAX_ATTEMPTS = 6
MAX_RATE_LIMIT_WAIT_SECONDS = 900.0
TIMEOUT_SECONDS = 60.0
# https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ : 429, and 503 under load.
THROTTLED_STATUS = frozenset({429, 503})
TRANSIENT_STATUS = frozenset({500, 502, 504})
MAX_REDIRECTS = 5


def jira_policy(
    url: str,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    max_rate_limit_wait: float = MAX_RATE_LIMIT_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = utc_now,
    jitter: Callable[[], float] = random.random,
) -> HttpPolicy:
    """Jira's parameters of the one HTTP policy: `max_attempts` tries for transient failures and
    for rate limits alike; a 429/503 waits exactly the `Retry-After` or ISO 8601 `X-RateLimit-Reset`
    it names, else the transient backoff; no shared budget (Jira answers with 429 instead)."""
    return HttpPolicy(
        service="Jira",
        site=url,
        max_retries=max_attempts - 1,
        max_throttle_retries=max_attempts - 1,
        max_rate_limit_wait=max_rate_limit_wait,
        throttle_until_reset=True,
        reset_format="iso",
        budget=None,
        breakers=BREAKERS,
        sleep=sleep,
        now=now,
        jitter=jitter,
    )


class JiraClient:
    """Talks HTTP to one Jira site and returns raw JSON; counts every request it sends."""

    def __init__(
        self,
        url: str,
        flavor: Flavor,
        user: str | None,
        token: str,
        *,
        page_size: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = utc_now,
        timeout: float = TIMEOUT_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        max_rate_limit_wait: float = MAX_RATE_LIMIT_WAIT_SECONDS,
    ) -> None:
        if flavor == "cloud" and not user:
            raise AuthError(f"Jira Cloud at {url} needs [jira] user (the account's email) with the API token")
        self.url = url.rstrip("/")
        register_secret(token, user)  # raw, Bearer and basic-auth echoes are scrubbed (core.secrets)
        self.flavor = flavor
        self.page_size = page_size
        self.policy = jira_policy(
            self.url, max_attempts=max_attempts, max_rate_limit_wait=max_rate_limit_wait, sleep=sleep, now=now
        )
        self.requests = 0
        self.jira = JIRA(
            server=self.url,
            basic_auth=(user, token) if user else None,
            token_auth=None if user else token,  # Server/Data Center personal access token (Bearer)
            options={"rest_api_version": "3" if flavor == "cloud" else "2", "check_update": False},
            get_server_info=False,
            max_retries=0,
            timeout=timeout,
        )
        self.jira.deploymentType = "Cloud" if flavor == "cloud" else "Server"
        self.session: requests.Session = self.jira._session
        # address check and dead-host breaker (connectors.transport)
        guard_session(self.session, "Jira", breakers=self.policy.breakers)

    @property
    def api(self) -> str:
        return CLOUD_API if self.flavor == "cloud" else SERVER_API

    def _answered(self, path: str) -> str:
        return f"Jira at {self.url} answered {path}"

    # -- one request -------------------------------------------------------------------------

    def get_json(self, path: str, params: dict[str, Any] | None = None, *, project: str | None = None) -> Any:
        """GET `<url>/<path>` and decode it, under the HTTP policy."""
        _, data = self.policy.call(lambda: self._send(path, params, project))
        return data

    def _send(
        self, path: str, params: dict[str, Any] | None, project: str | None
    ) -> tuple[dict[str, str], Any]:
        """One attempt: the answer's headers and decoded body, or a Failure."""
        self.requests += 1
        try:
            response = self._get_same_site(f"{self.url}/{path}", params)
        except JIRAError as error:  # the session raises for every non-2xx answer
            if error.response is None:
                raise TransientError(f"Jira at {self.url} gave no answer to {path}") from None
            response = error.response
        except requests.exceptions.SSLError:
            raise SourceError(
                f"TLS verification failed for {self.url}; point REQUESTS_CA_BUNDLE at the server's CA bundle"
            ) from None
        except BROKEN_TRANSPORT as error:
            message = f"Jira at {self.url} did not answer {path} ({type(error).__name__})"
            raise Failure("transient", message) from None
        headers = {k.lower(): v for k, v in response.headers.items()}
        if response.ok:
            return headers, self._decode(response, path, headers)
        status = response.status_code
        answered = f"Jira at {self.url} answered {status} to {path}"
        if status in THROTTLED_STATUS:
            limit = "rate limit" if status == 429 else "overload"
            raise Failure("throttled", f"{answered}: {limit}", headers, status=status)
        if status in TRANSIENT_STATUS:
            raise Failure("transient", answered, headers, status=status)
        refusal = self._error(response, path, project)
        raise Failure("fatal", str(refusal), headers, status=status, error=refusal)

    def _get_same_site(self, address: str, params: dict[str, Any] | None) -> requests.Response:
        """GET following redirects only within the configured site.

        requests drops the Authorization header on a redirect to another host, but would still
        fetch that host's answer and hand it over as Jira data; so redirects are followed here,
        and one that leaves the site is an error before anything is sent there."""
        response = self.session.get(address, params=params, allow_redirects=False)
        for _ in range(MAX_REDIRECTS):
            location = response.headers.get("Location")
            if not response.is_redirect or not location:
                return response
            target = urljoin(response.url or address, location)
            if not same_origin(target, self.url):
                moved = urlsplit(target)
                raise SourceError(
                    f"Jira at {self.url} redirected to {moved.scheme}://{moved.hostname}; not followed "
                    "(credentials stay with the configured site). Set [jira] url to the site's real address."
                )
            response = self.session.get(target, allow_redirects=False)
        raise SourceError(f"Jira at {self.url} redirected more than {MAX_REDIRECTS} times")

    def _decode(self, response: requests.Response, path: str, headers: dict[str, str]) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise Failure(
                "transient", f"Jira at {self.url} answered {path} with malformed JSON", headers
            ) from None

    def _error(self, response: requests.Response, path: str, project: str | None) -> SourceError:
        status = response.status_code
        detail = _error_text(response)
        if status == 401:
            return AuthError(f"Jira rejected the credentials for {self.url}")
        if status == 403:
            if "AUTHENTICATION_DENIED" in response.headers.get("X-Seraph-LoginReason", ""):
                return AuthError(
                    f"Jira at {self.url} locked the login (CAPTCHA); sign in once in a browser, then retry"
                )
            what = f"project {project}" if project else path
            return PermissionDenied(f"Jira at {self.url} refused access to {what} (403)")
        if status == 400 and project is not None:
            if "project" in detail.lower() or project.lower() in detail.lower():
                return NotFound(f"project {project} does not exist or is not visible")
            return SourceError(f"Jira at {self.url} rejected the search for project {project}: {detail}")
        if status == 410 and self.flavor == "server" and path == SERVER_SEARCH:
            return WrongFlavor(
                f"Jira at {self.url} is Jira Cloud (its /{SERVER_SEARCH} is gone, 410); "
                'set flavor = "cloud" under [jira]'
            )
        if status == 404 and self.flavor == "cloud" and path == CLOUD_SEARCH:
            return WrongFlavor(
                f"Jira at {self.url} has no /{CLOUD_SEARCH} (Jira Server or Data Center?); "
                'set flavor = "server" under [jira]'
            )
        if status == 404:
            return NotFound(f"Jira at {self.url} has no {path} (404)")
        return SourceError(
            f"Jira at {self.url} answered {status} to {path}" + (f": {detail}" if detail else "")
        )

    # -- searches and sub-resources ------------------------------------------------------------

    def search_pages(self, jql: str, project: str) -> Iterator[dict[str, Any]]:
        """The raw result pages of a JQL search with `expand=changelog`, one page per request."""
        params: dict[str, Any] = {
            "jql": jql,
            "maxResults": self.page_size,
            "fields": ",".join(SEARCH_FIELDS),
            "expand": "changelog",
        }
        if self.flavor == "cloud":

            def cloud_page(token: str | None) -> Mapping[str, Any]:
                query = params if token is None else {**params, "nextPageToken": token}
                answer = self.get_json(CLOUD_SEARCH, query, project=project)
                return check(answer, JiraCloudSearchPage, self._answered(CLOUD_SEARCH))

            pages = token_pages(
                cloud_page, project, answered=self._answered(CLOUD_SEARCH), service=f"Jira at {self.url}"
            )
        else:

            def server_page(start: int) -> Mapping[str, Any]:
                answer = self.get_json(SERVER_SEARCH, {**params, "startAt": start}, project=project)
                return check(answer, JiraServerSearchPage, self._answered(SERVER_SEARCH))

            pages = offset_pages(server_page, "issues", f"for {project}", service=f"Jira at {self.url}")
        for page in pages:
            yield cast(dict[str, Any], page)

    def changelog(self, key: str) -> list[dict[str, Any]]:
        """Every changelog history of an issue.

        Cloud pages `GET /rest/api/3/issue/{key}/changelog` (values, startAt, total, isLast); Server
        has no such endpoint in its documented API, but `GET /issue/{key}?expand=changelog` there
        returns the whole history.
        """
        if self.flavor == "server":
            path = f"{SERVER_API}/issue/{key}"
            answer = self.get_json(path, {"fields": "updated", "expand": "changelog"})
            issue = check(answer, JiraServerIssueChangelog, self._answered(path))
            return list(issue["changelog"]["histories"])
        path = f"{CLOUD_API}/issue/{key}/changelog"
        return self._paged(path, "values", JiraChangelogPage)

    def comments(self, key: str) -> list[dict[str, Any]]:
        """Every comment of an issue, from `GET /issue/{key}/comment` paged by startAt."""
        path = f"{self.api}/issue/{key}/comment"
        return self._paged(path, "comments", JiraCommentPage, {"orderBy": "created"})

    def _paged(
        self, path: str, entries: str, shape: type[Shape], extra: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every entry of a sub-resource paged by `startAt` (changelog, comments)."""

        def page(start: int) -> Mapping[str, Any]:
            params = {**(extra or {}), "startAt": start, "maxResults": SUBRESOURCE_PAGE}
            return check(self.get_json(path, params), shape, self._answered(path))

        pages = offset_pages(page, entries, f"of {path}", service=f"Jira at {self.url}")
        return [value for found in pages for value in found[entries]]


def jira_client(
    config: Config,
    user: str | None,
    token: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = utc_now,
) -> JiraClient:
    """A client for the config's `[jira]` site; `user` and `token` are the resolved secrets."""
    if config.jira is None:
        raise SourceError("the config has no [jira] section")
    settings = config.jira
    return JiraClient(
        settings.url,
        settings.flavor,
        user,
        token,
        page_size=settings.page_size,
        sleep=sleep,
        now=now,
        max_attempts=settings.max_retries + 1,
    )


def _error_text(response: requests.Response) -> str:
    """Jira's own error messages (`errorMessages`, `errors`), on one line, shortened."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    messages = [str(m) for m in body.get("errorMessages") or []]
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages += [str(v) for v in errors.values()]
    if body.get("message"):
        messages.append(str(body["message"]))
    return " ".join(" ".join(messages).split())[:300]
