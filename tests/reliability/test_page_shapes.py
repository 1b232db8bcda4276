"""A 200 answer of the wrong shape (an SSO "please log in" object, a proxy's JSON, `{"data":
null}`) is an error for its source, never an empty last page: nothing of it is stored, the cursor
stays where it was, and the next sync after the outage reads everything. The shapes accept every
recorded page under tests/fixtures/."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.errors import TransientError, UnexpectedAnswer
from connectors.shapes import (
    GithubCommit,
    GithubRestItem,
    JiraChangelogPage,
    JiraCloudSearchPage,
    JiraCommentPage,
    JiraServerSearchPage,
    check,
    check_list,
)
from core.schemas import GITHUB_TABLES
from tests.connectors.github_fake import NOW, standard_repo
from tests.connectors.test_jira_sync import FakeJira, Run, dataset, load
from tests.reliability.helpers import REPO, GithubRun, ScriptedGithub, assert_same_tables, reply

GITHUB_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github"
SSO_PAGE = {"message": "Please sign in through your organisation's single sign-on", "login_url": "/sso"}

# -- Jira --------------------------------------------------------------------------------------------


def bogus_second_search_page(fake: FakeJira, body: Any) -> None:
    """The search request after the first page gets `body` with status 200."""

    first = fake.search_pages

    def before(jira: FakeJira, served: int) -> None:
        if served == first:
            jira.fail("/search", 200, {"Content-Type": "application/json"}, json.dumps(body))

    fake.before_search_page = before


@pytest.mark.parametrize(
    ("flavor", "body"),
    [
        ("cloud", SSO_PAGE),  # before: `page.get("issues") or []` took it as the empty last page
        ("cloud", {"issues": None, "isLast": True}),
        ("cloud", {"issues": [], "isLast": False}),  # "more follow" without a token to follow
        ("cloud", {"issues": [{"id": "1"}], "isLast": True}),  # an issue without key and fields
        ("cloud", []),
        ("server", SSO_PAGE),
        ("server", {"issues": []}),  # no startAt/total: the paging cannot be trusted
        ("server", {"startAt": 2, "maxResults": 2, "total": "3", "issues": []}),
    ],
)
def test_a_search_page_of_the_wrong_shape_fails_and_keeps_the_cursor(
    tmp_path: Path, rsps: Any, flavor: str, body: Any
) -> None:
    run = Run(tmp_path, flavor, FakeJira(flavor, dataset(flavor)), rsps)
    run.sync()
    cursor = run.state.cursor("jira", "DS")
    stored = run.tables()

    run.now = run.now + timedelta(hours=1)
    for issue in run.fake.issues.values():  # every issue changed since: the next sync must read them
        issue["fields"]["summary"] = "changed " + issue["fields"]["summary"]
        issue["fields"]["updated"] = "2026-11-05T08:30:00.000+0000"
    bogus_second_search_page(run.fake, body)
    with pytest.raises(
        UnexpectedAnswer, match=r"answered rest/api/./search.* unexpected shape|names no next"
    ):
        run.sync()
    assert run.state.cursor("jira", "DS") == cursor  # the outage is not skipped over
    assert not isinstance(UnexpectedAnswer("x"), TransientError)

    run.fake.before_search_page = None
    result = run.sync()  # the next sync after the outage reads every changed issue
    assert result.issues == len(run.fake.issues)
    summaries = run.store.read("issues")["summary"].to_list()
    assert all(summary.startswith("changed ") for summary in summaries), summaries
    assert run.tables()["issues"].height == stored["issues"].height


def test_a_changelog_page_of_the_wrong_shape_fails_the_issue(tmp_path: Path, rsps: Any) -> None:
    run = Run(tmp_path, "cloud", FakeJira("cloud", dataset("cloud")), rsps)
    run.fake.embedded_changelog = 1  # every issue with more histories is completed from its endpoint
    run.fake.fail("/changelog", 200, {"Content-Type": "application/json"}, json.dumps({"values": None}))
    with pytest.raises(UnexpectedAnswer, match=r"changelog with a page of an unexpected shape \(values:"):
        run.sync()
    assert run.state.cursor("jira", "DS") is None
    assert run.store.read("issues").height == 0


# -- GitHub -----------------------------------------------------------------------------------------

# The request that reads page 2 of the pull-request list (see test_github_faults.PAGE_REQUEST).
PAGE_2 = {"graphql": 2, "rest": 11}


@pytest.mark.parametrize(
    ("api", "body"),
    [
        ("graphql", {"data": None}),  # no errors either
        ("graphql", SSO_PAGE),
        ("graphql", {"data": {"repository": {"pullRequests": None}}}),
        ("graphql", {"data": {"repository": {"pullRequests": {"nodes": [{"number": "7"}]}}}}),
        ("rest", SSO_PAGE),
        ("rest", [{"number": 3}]),  # a pull request without updated_at
        ("rest", ["not an object"]),
    ],
)
def test_a_github_page_of_the_wrong_shape_fails_and_keeps_the_cursor(
    tmp_path: Path, rsps: responses.RequestsMock, api: str, body: Any
) -> None:
    fake = ScriptedGithub()
    fake.repos[REPO] = standard_repo(7)
    fake.install(rsps)
    clean = GithubRun(tmp_path, api, folder="clean")
    clean()
    fake.log.clear()

    fake.reply_at[PAGE_2[api]] = reply(200, body)
    run = GithubRun(tmp_path, api)
    with pytest.raises(UnexpectedAnswer, match="unexpected shape") as refused:
        run()
    if body is SSO_PAGE:  # names the query (GraphQL) or the endpoint (REST) that got a login page
        named = (
            "GitHub answered GraphQL PullRequestsPage"
            if api == "graphql"
            else f"GitHub answered GET /repos/{REPO}/pulls"
        )
        assert str(refused.value).startswith(named + " with a page of an unexpected shape ("), refused.value
    assert run.cursor() is None
    assert run.sleeps == []  # not retried: another try gets the same login page

    run()  # after the outage
    assert_same_tables(run.store, clean.store, GITHUB_TABLES)


# -- the shapes accept what the services really send ------------------------------------------------


def test_recorded_jira_pages_have_the_checked_shapes() -> None:
    check(load("atlassian_search_jql_GET_200.json"), JiraCloudSearchPage, "search/jql")
    for name in ("perceval_server_search_page1.json", "perceval_server_search_page2.json"):
        check(load(name), JiraServerSearchPage, name)
    for name in ("perceval_cloud_comments_page1.json", "perceval_cloud_comments_page2.json"):
        check(load(name), JiraCommentPage, name)
    check(load("atlassian_issue_comment_GET_200.json"), JiraCommentPage, "comment")
    check({"values": load("devlake_cloud_issue_13954_changelog_values.json")}, JiraChangelogPage, "log")


@pytest.mark.parametrize(
    ("name", "item"),
    [
        ("pull_31_commits.json", GithubCommit),
        ("pull_3370_commits.json", GithubCommit),
        ("pull_172_commits_author_null.json", GithubCommit),
        ("pull_538_reviews.json", GithubRestItem),
        ("pull_88_reviews_user_null.json", GithubRestItem),
    ],
)
def test_recorded_github_pages_have_the_checked_shapes(name: str, item: type[GithubRestItem]) -> None:
    page = json.loads((GITHUB_FIXTURES / name).read_text("utf-8"))
    assert check_list(page, item, name) == page


def test_the_error_names_the_place_but_not_the_server_text() -> None:
    with pytest.raises(UnexpectedAnswer) as caught:
        check({"issues": "ghp_secret_echo"}, JiraCloudSearchPage, "Jira at https://x answered search/jql")
    assert "issues:" in str(caught.value) and "ghp_secret_echo" not in str(caught.value)
    assert NOW  # the fake's clock is the one the runs use
