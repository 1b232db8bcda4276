"""The normalisers against every recorded page shape with fields nulled, dropped or reordered: each
normalises, or fails with the project's own error (a SourceError naming what it could not read),
never a KeyError or TypeError from deep inside."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import SourceError
from connectors.normalize_github import graphql_commit, graphql_pull_request, rest_commit, rest_pull_request
from connectors.normalize_jira import normalize_issue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = "acme/churn-model"
SITE = "https://acme.atlassian.net"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def graphql_page(answer: dict[str, Any]) -> None:
    repository = answer["data"]["repository"]
    for node in repository["pullRequests"]["nodes"]:
        graphql_pull_request(REPO, node)
    for node in repository["defaultBranchRef"]["target"]["history"]["nodes"]:
        graphql_commit(REPO, node, None)


# name -> (the recorded payload, the normaliser call over the part of it that a test edits)
READERS: dict[str, tuple[Callable[[], Any], Callable[[Any], object]]] = {
    "graphql pull request": (
        lambda: load("github/graphql_pull_requests_page.json")["data"]["repository"]["pullRequests"]["nodes"][
            0
        ],
        lambda node: graphql_pull_request(REPO, node),
    ),
    "graphql branch commit": (
        lambda: load("github/graphql_pull_requests_page.json")["data"]["repository"]["defaultBranchRef"][
            "target"
        ]["history"]["nodes"][0],
        lambda node: graphql_commit(REPO, node, None),
    ),
    "rest pull request": (
        lambda: load("github/pull_3370_dependabot.json"),
        lambda pull: rest_pull_request(REPO, pull, [], [], []),
    ),
    "rest pull list items": (
        lambda: load("github/pulls_state_all_items_subset.json"),
        lambda pulls: [rest_pull_request(REPO, pull, [], [], []) for pull in pulls],
    ),
    "rest reviews": (
        lambda: load("github/pull_538_reviews.json") + load("github/pull_88_reviews_user_null.json"),
        lambda reviews: rest_pull_request(REPO, {"number": 538}, reviews, [], []),
    ),
    "rest review request events": (
        lambda: [
            load("github/issue_event_review_requested.json"),
            load("github/issue_event_review_request_removed.json"),
        ],
        lambda events: rest_pull_request(REPO, {"number": 31}, [], events, []),
    ),
    "rest commits": (
        lambda: load("github/pull_31_commits.json") + load("github/pull_172_commits_author_null.json"),
        lambda commits: [rest_commit(REPO, item, 31) for item in commits],
    ),
    "jira cloud issue": (
        lambda: load("jira/cloud_ds_issues.json")[0],
        lambda issue: normalize_issue(issue, SITE),
    ),
    "jira server issue": (
        lambda: load("jira/server_ds_issues.json")[0],
        lambda issue: normalize_issue(issue, SITE),
    ),
    "jira issue with changelog": (
        lambda: load("jira/devlake_cloud_issues_expand_changelog.json")[0],
        lambda issue: normalize_issue(issue, SITE),
    ),
    "jira search page": (
        lambda: load("jira/perceval_server_search_page1.json")["issues"][0],
        lambda issue: normalize_issue(issue, SITE),
    ),
    "jira changelog page": (
        lambda: load("jira/devlake_cloud_issue_13954_changelog_values.json")[:5],
        lambda histories: normalize_issue({"key": "DS-1", "fields": {}}, SITE, histories=histories),
    ),
    "jira comment page": (
        lambda: (
            load("jira/perceval_cloud_comments_page1.json")["comments"]
            + load("jira/atlassian_issue_comment_GET_200.json")["comments"]
        ),
        lambda comments: normalize_issue({"key": "DS-1", "fields": {}}, SITE, comments=comments),
    ),
}


def places(payload: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value that an edit can touch: each key of each object, each list item."""
    found: list[tuple[Any, ...]] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            found.append((*path, key))
            found += places(value, (*path, key))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            found.append((*path, index))
            found += places(value, (*path, index))
    return found


def edit(payload: Any, path: tuple[Any, ...], how: str) -> None:
    """Null the value at `path`, drop it, or reverse the order of the keys of the object holding it."""
    *parents, last = path
    holder = payload
    for part in parents:
        holder = holder[part]
    if how == "null":
        holder[last] = None
    elif how == "drop":
        del holder[last]
    elif isinstance(holder, dict):
        items = list(holder.items())
        holder.clear()
        holder.update(reversed(items))


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(sorted(READERS)))
    payload = READERS[name][0]()
    for _ in range(draw(st.integers(1, 3))):
        spots = places(payload)
        if not spots:
            break
        edit(payload, draw(st.sampled_from(spots)), draw(st.sampled_from(["null", "drop", "reorder"])))
    return name, payload


@pytest.mark.parametrize("name", sorted(READERS))
def test_every_recorded_shape_normalises_as_it_is(name: str) -> None:
    load_payload, read = READERS[name]
    assert read(load_payload()) is not None


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited())
def test_an_edited_page_normalises_or_fails_with_a_source_error(case: tuple[str, Any]) -> None:
    name, payload = case
    read = READERS[name][1]
    try:
        read(copy.deepcopy(payload))
    except SourceError as error:
        assert str(error)  # a clear line, not an empty message
