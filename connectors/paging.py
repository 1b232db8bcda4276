"""One paging loop per style the two services use; each yields whole pages, stops when the server
says there are no more, and refuses a server that hands out a page it already gave (a loop):

* `cursor_pages` — a GraphQL connection: `pageInfo { hasNextPage endCursor }` (GitHub);
* `link_pages` — a REST list with a `Link: <…>; rel="next"` header (GitHub);
* `offset_pages` — `startAt` + `maxResults` against `total` / `isLast` (Jira Server search,
  changelogs, comments);
* `token_pages` — `nextPageToken` until `isLast` (Jira Cloud `search/jql`).

The caller brings the request (`fetch`), which already runs under the HTTP policy; stop iterating
to stop paging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from connectors._http import next_link
from connectors.errors import TransientError, UnexpectedAnswer

Page = Mapping[str, Any]


class PagingLoop(TransientError):
    """The server handed out a page cursor, `next` link, token or offset it had already given."""


def cursor_pages(
    fetch: Callable[[str | None], Page | None],
    what: str,
    *,
    service: str = "GitHub",
    first: Page | None = None,
) -> Iterator[Page]:
    """The pages of a GraphQL connection: `first` when it was read already (nested in a larger
    answer), else `fetch(None)`; then `fetch(endCursor)` while `hasNextPage`. `fetch` returning
    None ends the connection (what it belonged to is gone)."""
    seen: set[str] = set()
    page = first if first is not None else fetch(None)
    while page is not None:
        yield page
        info = page["pageInfo"]
        if not info["hasNextPage"]:
            return
        cursor = info.get("endCursor")
        if not cursor or cursor in seen:
            raise PagingLoop(f"{service} sent the same page cursor twice for {what}")
        seen.add(cursor)
        page = fetch(cursor)


def link_pages(
    fetch: Callable[[str, Mapping[str, Any]], tuple[Mapping[str, str], Any]],
    path: str,
    params: Mapping[str, Any],
    *,
    check_link: Callable[[str], None],
    service: str = "GitHub",
) -> Iterator[Any]:
    """The bodies of a REST list: `fetch(path, params)`, then `fetch(next, {})` for each
    `Link: rel="next"` (lower-case header names); `check_link` refuses a link to another server."""
    url, query = path, dict(params)
    followed: set[str] = set()
    while True:
        headers, body = fetch(url, query)
        yield body
        following = next_link(headers.get("link"))
        if following is None:
            return
        if following in followed:
            raise PagingLoop(f"{service} sent the same next page twice for GET {path}; stopped paging")
        check_link(following)
        followed.add(following)
        url, query = following, {}


def offset_pages(
    fetch: Callable[[int], Page], entries: str, what: str, *, service: str = "Jira"
) -> Iterator[Page]:
    """The pages of an offset-paged list: `fetch(startAt)` from 0, each next offset the page's
    `startAt` plus its `entries`; ends at an empty page, `isLast`, or `total` reached. `what`
    completes "answered startAt=N …" (`for DS`, `of rest/api/3/issue/DS-1/comment`)."""
    start = 0
    while True:
        page = fetch(start)
        yield page
        values = page[entries]
        following = int(page.get("startAt", start)) + len(values)
        total = page.get("total")
        if not values or page.get("isLast") is True or (total is not None and following >= int(total)):
            return
        if following <= start:
            raise PagingLoop(f"{service} answered startAt={start} {what} with an earlier page")
        start = following


def token_pages(
    fetch: Callable[[str | None], Page], what: str, *, answered: str, service: str = "Jira"
) -> Iterator[Page]:
    """The pages of a token-paged list: `fetch(None)`, then `fetch(nextPageToken)` until `isLast`
    (or no token). A page that says more follow but names no token is UnexpectedAnswer."""
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch(token)
        following = page.get("nextPageToken")
        last = page.get("isLast")
        if last is False and not following:
            raise UnexpectedAnswer(f"{answered} with a page that says more follow but names no nextPageToken")
        yield page
        if last is True or not following:
            return
        if following in seen:
            raise PagingLoop(f"{service} sent the same nextPageToken twice for {what}")
        seen.add(following)
        token = str(following)
