"""The paging helpers on literal pages: what each asks for, when it stops, and the loop it refuses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from connectors.errors import UnexpectedAnswer
from connectors.paging import PagingLoop, cursor_pages, link_pages, offset_pages, token_pages


def whole(message: str) -> str:
    """A `match` pattern for exactly this message (`match` alone finds a part of it)."""
    return f"^{re.escape(message)}$"


def connection(nodes: list[int], cursor: str | None, more: bool) -> dict[str, Any]:
    return {"nodes": nodes, "pageInfo": {"hasNextPage": more, "endCursor": cursor}}


def test_cursor_pages_follow_end_cursors_from_a_page_already_read() -> None:
    pages = {"c1": connection([2], "c2", True), "c2": connection([3], "c3", False)}
    asked: list[str | None] = []

    def fetch(after: str | None) -> Mapping[str, Any]:
        asked.append(after)
        return pages[str(after)]

    read = list(cursor_pages(fetch, "the commits", first=connection([1], "c1", True)))
    assert [node for page in read for node in page["nodes"]] == [1, 2, 3]
    assert asked == ["c1", "c2"]  # the first page came with its parent: not asked for again


def test_cursor_pages_start_without_a_cursor_and_refuse_one_given_twice() -> None:
    asked: list[str | None] = []

    def fetch(after: str | None) -> Mapping[str, Any]:
        asked.append(after)
        return connection([len(asked)], "same", True)

    with pytest.raises(PagingLoop, match=whole("GitHub sent the same page cursor twice for the reviews")):
        list(cursor_pages(fetch, "the reviews"))
    assert asked == [None, "same"]


def test_link_pages_follow_next_links_checked_before_they_are_sent() -> None:
    answers = {
        "/repos/a/b/pulls": ({"link": '<https://api.github.com/x?page=2>; rel="next"'}, [1]),
        "https://api.github.com/x?page=2": ({}, [2]),
    }
    asked: list[tuple[str, dict[str, Any]]] = []
    checked: list[str] = []

    def fetch(url: str, params: Mapping[str, Any]) -> tuple[Mapping[str, str], Any]:
        asked.append((url, dict(params)))
        return answers[url]

    bodies = list(link_pages(fetch, "/repos/a/b/pulls", {"per_page": 100}, check_link=checked.append))
    assert bodies == [[1], [2]]
    # the link carries its own query: the first page's parameters are not sent again
    assert asked == [("/repos/a/b/pulls", {"per_page": 100}), ("https://api.github.com/x?page=2", {})]
    assert checked == ["https://api.github.com/x?page=2"]


def test_link_pages_refuse_a_next_link_given_twice() -> None:
    def fetch(url: str, params: Mapping[str, Any]) -> tuple[Mapping[str, str], Any]:
        return {"link": '<https://api.github.com/x?page=2>; rel="next"'}, []

    with pytest.raises(
        PagingLoop, match=whole("GitHub sent the same next page twice for GET /x; stopped paging")
    ):
        list(link_pages(fetch, "/x", {}, check_link=lambda url: None))


def test_offset_pages_advance_by_what_each_page_holds_until_the_total() -> None:
    asked: list[int] = []

    def fetch(start: int) -> Mapping[str, Any]:
        asked.append(start)
        return {"startAt": start, "total": 5, "values": list(range(start, min(start + 2, 5)))}

    read = [v for page in offset_pages(fetch, "values", "of comments") for v in page["values"]]
    assert read == [0, 1, 2, 3, 4] and asked == [0, 2, 4]  # 2 + 2 + 1 = the total of 5


def test_offset_pages_stop_at_is_last_and_refuse_an_earlier_page() -> None:
    pages = [{"startAt": 0, "isLast": True, "values": [1]}]
    assert list(offset_pages(lambda start: pages[0], "values", "of x")) == pages
    with pytest.raises(PagingLoop, match=whole("Jira answered startAt=1 for DS with an earlier page")):
        list(offset_pages(lambda start: {"startAt": 0, "total": 9, "issues": [1]}, "issues", "for DS"))


def test_token_pages_pass_each_token_on_until_is_last() -> None:
    pages: dict[str | None, Mapping[str, Any]] = {
        None: {"issues": [1], "nextPageToken": "t1"},
        "t1": {"issues": [2], "isLast": True},
    }
    asked: list[str | None] = []

    def fetch(token: str | None) -> Mapping[str, Any]:
        asked.append(token)
        return pages[token]

    assert len(list(token_pages(fetch, "DS", answered="Jira answered search"))) == 2
    assert asked == [None, "t1"]


def test_token_pages_refuse_a_repeated_token_and_a_missing_one() -> None:
    with pytest.raises(PagingLoop, match=whole("Jira sent the same nextPageToken twice for DS")):
        list(token_pages(lambda token: {"issues": [], "nextPageToken": "t"}, "DS", answered="x"))
    with pytest.raises(
        UnexpectedAnswer, match=whole("x with a page that says more follow but names no nextPageToken")
    ):
        list(token_pages(lambda token: {"issues": [], "isLast": False}, "DS", answered="x"))
