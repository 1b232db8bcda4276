"""Every GraphQL query the GitHub connector sends is valid against GitHub's published schema."""

from __future__ import annotations

import pytest
from graphql import parse, validate
from graphql.validation import NoDeprecatedCustomRule, specified_rules

from connectors import github_queries
from tests.connectors.github_fake import github_schema


@pytest.mark.parametrize("name", sorted(github_queries.ALL_QUERIES))
def test_query_is_valid_against_github_schema(name: str) -> None:
    errors = validate(github_schema(), parse(github_queries.ALL_QUERIES[name]), [*specified_rules])
    assert errors == []


@pytest.mark.parametrize("name", sorted(github_queries.ALL_QUERIES))
def test_query_uses_no_deprecated_field(name: str) -> None:
    # e.g. PullRequestReview.databaseId is deprecated for fullDatabaseId (64-bit ids).
    errors = validate(github_schema(), parse(github_queries.ALL_QUERIES[name]), [NoDeprecatedCustomRule])
    assert errors == []


def test_schema_check_catches_a_wrong_field() -> None:
    broken = github_queries.PULL_REQUESTS_PAGE.replace("messageHeadline", "messageHeadlne")
    errors = validate(github_schema(), parse(broken), [*specified_rules])
    assert any("messageHeadlne" in error.message for error in errors)


def test_every_pull_request_connection_has_a_follow_up_query() -> None:
    for connection in ("labels", "reviews", "timelineItems", "commits"):
        assert f"{connection}(first:" in github_queries.PULL_REQUESTS_PAGE
        assert connection in github_queries.PULL_REQUEST_CONNECTION_PAGE
