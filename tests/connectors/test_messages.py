"""The whole message of every way a request to Jira or GitHub can fail, word for word.

A message is what a user reads in the terminal, the flow's log or the failure email; it names the
service and site, what was asked and what to do. The sync scenarios check the kind of each error;
here each failure is made once against one client and its message compared whole, so a changed
word, a dropped part or a wrong value in it fails a test."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from connectors.errors import (
    AuthError,
    NotFound,
    PermissionDenied,
    RateLimitExhausted,
    SourceError,
    TransientError,
    UnexpectedAnswer,
    WrongFlavor,
)
from connectors.github import (
    EmptyRepository,
    GithubClient,
    GraphqlUnavailable,
    ProbeTarget,
    RawPage,
    github_client,
    graphql_pages,
    probe_repositories,
)
from connectors.jira import TIMEOUT_SECONDS, JiraClient, jira_client
from connectors.paging import PagingLoop
from core.config import parse_config
from tests.connectors.github_fake import TOKEN, FakeGithub, Pull, Repo, Review, person_commit, standard_repo

CLOUD = "https://acme.atlassian.net"
SERVER = "https://jira.acme.example:8443"
SEARCH = "rest/api/3/search/jql"
SERVER_SEARCH = "rest/api/2/search"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def cloud(**options: Any) -> JiraClient:
    """A Cloud client that tries each request once (the retries are the policy's tests)."""
    return JiraClient(
        CLOUD,
        "cloud",
        "radar@acme.example",
        "msg-jira-token",
        sleep=lambda s: None,
        now=lambda: NOW,
        **{"max_attempts": 1, **options},
    )


def server(**options: Any) -> JiraClient:
    return JiraClient(
        SERVER,
        "server",
        None,
        "msg-jira-pat",
        sleep=lambda s: None,
        now=lambda: NOW,
        **{"max_attempts": 1, **options},
    )


def timeout_of(call: Any) -> Any:
    """The timeout the client gave requests for one call (`responses` keeps the send's arguments)."""
    return call.request.req_kwargs["timeout"]


def failure(call: Any) -> BaseException:
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


# -- Jira: answers that are refusals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind", "message"),
    [
        (401, {}, {}, AuthError, f"Jira rejected the credentials for {CLOUD}"),
        (
            403,
            {},
            {"X-Seraph-LoginReason": "AUTHENTICATION_DENIED"},
            AuthError,
            f"Jira at {CLOUD} locked the login (CAPTCHA); sign in once in a browser, then retry",
        ),
        (403, {}, {}, PermissionDenied, f"Jira at {CLOUD} refused access to project DS (403)"),
        (
            403,
            {},
            {"X-Seraph-LoginReason": "OK"},
            PermissionDenied,
            f"Jira at {CLOUD} refused access to project DS (403)",
        ),
        (
            400,
            {"errorMessages": ["The value 'DS' does not exist for the field 'project'."]},
            {},
            NotFound,
            "project DS does not exist or is not visible",
        ),
        (
            400,
            {"errorMessages": ["Error in the JQL Query: ds is reserved"]},
            {},
            NotFound,
            "project DS does not exist or is not visible",
        ),
        (
            400,
            {"errorMessages": ["Error in the JQL Query"], "errors": {"jql": "unbalanced  quotes"}},
            {},
            SourceError,
            f"Jira at {CLOUD} rejected the search for project DS: Error in the JQL Query unbalanced quotes",
        ),
        (
            404,
            {},
            {},
            WrongFlavor,
            f"Jira at {CLOUD} has no /{SEARCH} (Jira Server or Data Center?); "
            'set flavor = "server" under [jira]',
        ),
        (
            418,
            {"message": "I'm a teapot"},
            {},
            SourceError,
            f"Jira at {CLOUD} answered 418 to {SEARCH}: I'm a teapot",
        ),
        (418, "<html>no</html>", {}, SourceError, f"Jira at {CLOUD} answered 418 to {SEARCH}"),
        (418, ["a list"], {}, SourceError, f"Jira at {CLOUD} answered 418 to {SEARCH}"),
    ],
)
def test_a_refused_cloud_search_says_why_whole(
    rsps: responses.RequestsMock,
    status: int,
    body: Any,
    headers: dict[str, str],
    kind: type[Exception],
    message: str,
) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    rsps.get(f"{CLOUD}/{SEARCH}", status=status, body=text, headers=headers)
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert type(error) is kind
    assert str(error) == message
    assert len(rsps.calls) == 1  # a refusal is not asked again


def test_a_refusal_outside_a_project_search_names_the_path(rsps: responses.RequestsMock) -> None:
    path = "rest/api/3/issue/DS-1/comment"
    rsps.get(f"{CLOUD}/{path}", status=403)
    error = failure(lambda: cloud().comments("DS-1"))
    assert type(error) is PermissionDenied
    assert str(error) == f"Jira at {CLOUD} refused access to {path} (403)"
    rsps.replace(responses.GET, f"{CLOUD}/{path}", status=404)
    error = failure(lambda: cloud().comments("DS-1"))
    assert type(error) is NotFound
    assert str(error) == f"Jira at {CLOUD} has no {path} (404)"
    rsps.replace(responses.GET, f"{CLOUD}/{path}", status=400, json={"errorMessages": ["Bad project"]})
    error = failure(lambda: cloud().comments("DS-1"))  # a 400 outside a search is not "no project"
    assert type(error) is SourceError
    assert str(error) == f"Jira at {CLOUD} answered 400 to {path}: Bad project"


def test_a_server_config_at_a_cloud_site_says_to_set_the_flavour(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{SERVER}/{SERVER_SEARCH}", status=410)
    error = failure(lambda: list(server().search_pages('project = "DS"', "DS")))
    assert type(error) is WrongFlavor
    assert str(error) == (
        f"Jira at {SERVER} is Jira Cloud (its /{SERVER_SEARCH} is gone, 410); "
        'set flavor = "cloud" under [jira]'
    )


def test_a_410_elsewhere_is_only_an_answer(rsps: responses.RequestsMock) -> None:
    """Only the removed search endpoint means "this is Cloud"; a 410 on a comment page does not."""
    path = "rest/api/2/issue/DS-1/comment"
    rsps.get(f"{SERVER}/{path}", status=410)
    error = failure(lambda: server().comments("DS-1"))
    assert type(error) is SourceError
    assert str(error) == f"Jira at {SERVER} answered 410 to {path}"


# -- Jira: answers worth another try, once the tries are spent --------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (429, f"Jira at {CLOUD} answered 429 to {SEARCH}: rate limit persisted after 1 attempts"),
        (503, f"Jira at {CLOUD} answered 503 to {SEARCH}: overload persisted after 1 attempts"),
        (500, f"Jira at {CLOUD} answered 500 to {SEARCH} after 1 attempts"),
        (502, f"Jira at {CLOUD} answered 502 to {SEARCH} after 1 attempts"),
        (504, f"Jira at {CLOUD} answered 504 to {SEARCH} after 1 attempts"),
    ],
)
def test_a_busy_or_failing_jira_is_named_with_its_answer(
    rsps: responses.RequestsMock, status: int, message: str
) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", status=status, headers={"Retry-After": "1"})
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert type(error) is TransientError
    assert str(error) == message


@pytest.mark.parametrize(
    ("raised", "name"),
    [
        (requests.exceptions.ConnectionError("refused"), "ConnectionError"),
        (requests.exceptions.ReadTimeout("slow"), "ReadTimeout"),
    ],
)
def test_a_jira_that_does_not_answer_is_named_with_what_went_wrong(
    rsps: responses.RequestsMock, raised: Exception, name: str
) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", body=raised)
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert str(error) == f"Jira at {CLOUD} did not answer {SEARCH} ({name}) after 1 attempts"


def test_malformed_json_from_jira_names_the_path(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", body='{"issues": [', content_type="application/json")
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert str(error) == f"Jira at {CLOUD} answered {SEARCH} with malformed JSON after 1 attempts"


def test_every_jira_request_carries_the_timeout(rsps: responses.RequestsMock) -> None:
    """A site that accepts the connection and never answers cannot hold the sync forever."""
    rsps.get(f"{CLOUD}/{SEARCH}", json={"issues": [], "isLast": True})
    list(cloud().search_pages('project = "DS"', "DS"))
    list(cloud(timeout=7.5).search_pages('project = "DS"', "DS"))
    assert [timeout_of(call) for call in rsps.calls] == [TIMEOUT_SECONDS, 7.5]
    assert TIMEOUT_SECONDS == 60.0


# -- Jira: pages that are not what was asked for ----------------------------------------------------


def test_a_search_page_of_the_wrong_shape_names_the_site_and_endpoint(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", json={"message": "Please sign in"})
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert type(error) is UnexpectedAnswer
    assert str(error) == (
        f"Jira at {CLOUD} answered {SEARCH} with a page of an unexpected shape (issues: field required)"
    )


def test_a_cloud_search_that_repeats_its_token_names_the_project(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", json={"issues": [], "isLast": False, "nextPageToken": "again"})
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert type(error) is PagingLoop
    assert str(error) == f"Jira at {CLOUD} sent the same nextPageToken twice for DS"


def test_a_cloud_page_that_promises_more_without_a_token_names_the_endpoint(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", json={"issues": [], "isLast": False})
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert type(error) is UnexpectedAnswer
    assert str(error) == (
        f"Jira at {CLOUD} answered {SEARCH} with a page that says more follow but names no nextPageToken"
    )


ISSUE = {"key": "DS-1", "fields": {}}


def test_a_server_search_that_goes_back_names_the_site_and_project(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{SERVER}/{SERVER_SEARCH}", json={"issues": [ISSUE], "startAt": 0, "total": 3})
    error = failure(lambda: list(server().search_pages('project = "DS"', "DS")))
    assert type(error) is PagingLoop
    assert str(error) == f"Jira at {SERVER} answered startAt=1 for DS with an earlier page"


def test_a_comment_list_that_goes_back_names_the_site_and_path(rsps: responses.RequestsMock) -> None:
    path = "rest/api/2/issue/DS-1/comment"
    rsps.get(f"{SERVER}/{path}", json={"comments": [{"id": "1"}], "startAt": 0, "total": 3})
    error = failure(lambda: server().comments("DS-1"))
    assert type(error) is PagingLoop
    assert str(error) == f"Jira at {SERVER} answered startAt=1 of {path} with an earlier page"


def test_a_server_changelog_of_the_wrong_shape_names_the_issue(rsps: responses.RequestsMock) -> None:
    path = "rest/api/2/issue/DS-1"
    rsps.get(f"{SERVER}/{path}", json={"key": "DS-1"})
    error = failure(lambda: server().changelog("DS-1"))
    assert type(error) is UnexpectedAnswer
    assert (
        str(error)
        == f"Jira at {SERVER} answered {path} with a page of an unexpected shape (changelog: field required)"
    )


# -- Jira: redirects and set-up ---------------------------------------------------------------------


def test_a_jira_redirecting_in_circles_is_given_up_on(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", status=302, headers={"Location": f"{CLOUD}/{SEARCH}"})
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert type(error) is SourceError
    assert str(error) == f"Jira at {CLOUD} redirected more than 5 times"
    assert len(rsps.calls) == 6  # the request and five redirects followed


def test_a_config_without_a_site_says_which_section_is_missing(tmp_path: Path) -> None:
    config = parse_config({"store": "data"}, tmp_path / "radar.toml")
    with pytest.raises(SourceError) as jira:
        jira_client(config, "radar@acme.example", "t")
    assert str(jira.value) == "the config has no [jira] section"
    with pytest.raises(SourceError) as github:
        github_client(config, "t")
    assert str(github.value) == "the config has no [github] section"


def test_jira_cloud_without_a_user_says_what_to_set() -> None:
    with pytest.raises(AuthError) as caught:
        JiraClient(CLOUD, "cloud", None, "msg-jira-token")
    assert str(caught.value) == (
        f"Jira Cloud at {CLOUD} needs [jira] user (the account's email) with the API token"
    )


# -- GitHub -----------------------------------------------------------------------------------------

API = "https://api.github.com"
PULLS = "/repos/acme/churn-model/pulls"


def at(path: str) -> re.Pattern[str]:
    """A GitHub address as PyGithub sends it (with or without the default port), any query."""
    return re.compile(rf"https://api\.github\.com(:443)?{re.escape(path)}(\?.*)?$")


def github(**options: Any) -> tuple[GithubClient, list[float]]:
    """A client that tries a transient failure once and records its waits."""
    sleeps: list[float] = []
    client = GithubClient(
        API,
        TOKEN,
        sleep=sleeps.append,
        now=lambda: NOW,
        jitter=lambda: 0.0,
        **{"max_retries": 0, **options},
    )
    return client, sleeps


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind", "message"),
    [
        (401, {"message": "Bad credentials"}, {}, AuthError, f"GitHub rejected the token for {API}"),
        (
            403,
            {"message": "Resource not accessible by integration"},
            {"X-Accepted-GitHub-Permissions": "pull_requests=read "},
            PermissionDenied,
            f"GitHub refused GET {PULLS}: Resource not accessible by integration; "
            "the token needs the permission pull_requests=read",
        ),
        (
            403,
            {"message": "  Must have admin rights  "},
            {},
            PermissionDenied,
            f"GitHub refused GET {PULLS}: Must have admin rights; "
            "give the token read access to pull requests and contents of this repo",
        ),
        (
            403,
            {},
            {},
            PermissionDenied,
            f"GitHub refused GET {PULLS}: 403; "
            "give the token read access to pull requests and contents of this repo",
        ),
        (404, {"message": "Not Found"}, {}, NotFound, f"GET {PULLS} not found"),
        (409, {"message": "Git Repository is empty."}, {}, EmptyRepository, "Git Repository is empty."),
        (409, {}, {}, EmptyRepository, "repository is empty"),
        (
            422,
            {"message": "Validation Failed"},
            {},
            SourceError,
            f"GitHub answered 422 to GET {PULLS}: Validation Failed",
        ),
        (418, {}, {}, SourceError, f"GitHub answered 418 to GET {PULLS}: no message"),
    ],
)
def test_a_refused_github_request_says_why_whole(
    rsps: responses.RequestsMock,
    status: int,
    body: Any,
    headers: dict[str, str],
    kind: type[Exception],
    message: str,
) -> None:
    rsps.get(at(PULLS), status=status, json=body, headers=headers)
    client, sleeps = github()
    error = failure(lambda: client.rest_get(PULLS))
    assert type(error) is kind
    assert str(error) == message
    assert len(rsps.calls) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("status", "body", "headers", "message"),
    [
        (502, {}, {}, f"GitHub at {API} answered 502 to GET {PULLS} after 1 attempts"),
        (
            429,
            {"message": "slow down"},
            {"Retry-After": "2"},
            f"GitHub answered 429 to GET {PULLS}: secondary rate limit persisted after 4 attempts",
        ),
        (
            403,
            {"message": "You have exceeded a secondary rate limit."},
            {},
            f"GitHub answered 403 to GET {PULLS}: secondary rate limit persisted after 4 attempts",
        ),
        (
            403,
            {"message": "You have triggered an abuse detection mechanism."},
            {},
            f"GitHub answered 403 to GET {PULLS}: secondary rate limit persisted after 4 attempts",
        ),
        (
            403,
            {"message": "You have made too many requests. Please wait a few minutes before you try again."},
            {},
            f"GitHub answered 403 to GET {PULLS}: secondary rate limit persisted after 4 attempts",
        ),
    ],
)
def test_a_failing_or_throttling_github_is_named_with_its_answer(
    rsps: responses.RequestsMock, status: int, body: Any, headers: dict[str, str], message: str
) -> None:
    rsps.get(at(PULLS), status=status, json=body, headers=headers)
    client, _ = github()
    error = failure(lambda: client.rest_get(f"{PULLS}?per_page=100"))
    assert type(error) is TransientError
    assert str(error) == message  # the query string stays out of the message


@pytest.mark.parametrize(
    ("raised", "message"),
    [
        (requests.exceptions.ConnectionError("refused"), f"did not answer GET {PULLS} (ConnectionError)"),
        (requests.exceptions.ReadTimeout("slow"), f"did not answer GET {PULLS} (ReadTimeout)"),
        (requests.exceptions.ChunkedEncodingError("cut"), f"dropped the connection during GET {PULLS}"),
    ],
)
def test_a_github_that_does_not_answer_is_named_with_what_went_wrong(
    rsps: responses.RequestsMock, raised: Exception, message: str
) -> None:
    rsps.get(at(PULLS), body=raised)
    client, _ = github()
    error = failure(lambda: client.rest_get(PULLS))
    assert type(error) is TransientError
    assert str(error) == f"GitHub at {API} {message} after 1 attempts"


def test_malformed_json_from_github_names_the_request(rsps: responses.RequestsMock) -> None:
    rsps.get(at(PULLS), body='{"number": ', content_type="application/json")
    client, _ = github()
    error = failure(lambda: client.rest_get(PULLS))
    assert str(error) == f"GitHub at {API} sent malformed JSON for GET {PULLS} after 1 attempts"


def test_a_tls_failure_says_where_the_ca_bundle_comes_from(rsps: responses.RequestsMock) -> None:
    rsps.get(at(PULLS), body=requests.exceptions.SSLError("certificate verify failed"))
    client, _ = github()
    error = failure(lambda: client.rest_get(PULLS))
    assert type(error) is SourceError
    assert str(error) == (
        f"TLS verification failed for {API}; point REQUESTS_CA_BUNDLE at the server's CA bundle"
    )


def test_a_redirect_of_a_github_request_is_named_without_its_query(rsps: responses.RequestsMock) -> None:
    rsps.get(at(PULLS), status=307, headers={"Location": "https://elsewhere.example/pulls?token=x"})
    client, _ = github()
    error = failure(lambda: client.rest_get(PULLS))
    assert type(error) is SourceError
    assert str(error) == (
        f"GitHub at {API} redirected GET {PULLS} to https://elsewhere.example/pulls; "
        "not followed (the token stays with the configured server)"
    )


def test_a_next_link_to_another_server_is_named(rsps: responses.RequestsMock) -> None:
    rsps.get(at(PULLS), json=[], headers={"Link": '<https://other.example/p?page=2>; rel="next"'})
    client, _ = github()
    error = failure(lambda: list(client.rest_pages(PULLS)))
    assert type(error) is SourceError
    assert str(error) == (
        f"GitHub's next page for GET {PULLS} points at https://other.example, not {API}; "
        "the token is not sent there"
    )


def test_a_next_link_given_twice_is_named(rsps: responses.RequestsMock) -> None:
    again = f'<{API}{PULLS}?page=2>; rel="next"'
    rsps.get(at(PULLS), json=[], headers={"Link": again})
    client, _ = github()
    error = failure(lambda: list(client.rest_pages(PULLS)))
    assert type(error) is PagingLoop
    assert str(error) == f"GitHub sent the same next page twice for GET {PULLS}; stopped paging"


# -- GitHub GraphQL ---------------------------------------------------------------------------------

GRAPHQL = f"{API}/graphql"
QUERY = "query PullRequestsPage($owner: String!) { viewer { login } }"


@pytest.mark.parametrize(
    ("errors", "kind", "message"),
    [
        (
            [{"type": "NOT_FOUND", "message": "Could not resolve to a Repository"}],
            NotFound,
            "Could not resolve to a Repository",
        ),
        (
            [{"type": "FORBIDDEN", "message": "Resource not accessible"}],
            PermissionDenied,
            "GitHub refused a GraphQL query: Resource not accessible; "
            "give the token read access to pull requests and contents of this repo",
        ),
        (
            [{"message": "Parse error"}, {"message": "b"}, {"message": "c"}],
            SourceError,
            "GitHub GraphQL error: Parse error (and 2 more)",
        ),
        (
            [{"message": "Field 'x' doesn't exist"}],
            SourceError,
            "GitHub GraphQL error: Field 'x' doesn't exist",
        ),
        (["not an object"], SourceError, "GitHub GraphQL error: unknown error"),
    ],
)
def test_a_graphql_error_says_what_github_said(
    rsps: responses.RequestsMock, errors: list[Any], kind: type[Exception], message: str
) -> None:
    rsps.post(at("/graphql"), json={"data": None, "errors": errors})
    client, _ = github()
    error = failure(lambda: client.graphql(QUERY, {}))
    assert type(error) is kind
    assert str(error) == message


@pytest.mark.parametrize(
    "said", ["Something went wrong while executing your query.", "Query Timeout exceeded", "timeout"]
)
def test_a_graphql_timeout_is_tried_again_and_then_named(rsps: responses.RequestsMock, said: str) -> None:
    rsps.post(at("/graphql"), json={"data": None, "errors": [{"message": said}]})
    client, _ = github(max_retries=1)
    error = failure(lambda: client.graphql(QUERY, {}))
    assert type(error) is TransientError
    assert str(error) == f"GitHub GraphQL: {said} after 2 attempts"
    assert len(rsps.calls) == 2


def test_a_graphql_answer_without_data_names_the_query(rsps: responses.RequestsMock) -> None:
    rsps.post(at("/graphql"), json={"data": None})
    client, _ = github()
    error = failure(lambda: client.graphql(QUERY, {}))
    assert type(error) is UnexpectedAnswer
    assert str(error) == (
        "GitHub answered GraphQL PullRequestsPage with a page of an unexpected shape (data: input should be "
        "a valid dictionary)"
    )


@pytest.mark.parametrize("status", [404, 405, 410, 501])
def test_a_server_without_graphql_is_named(rsps: responses.RequestsMock, status: int) -> None:
    rsps.post(at("/graphql"), status=status, json={"message": "Not Found"})
    client, _ = github()
    error = failure(lambda: client.graphql(QUERY, {}))
    assert type(error) is GraphqlUnavailable
    assert str(error) == f"no GraphQL API at {GRAPHQL} ({status})"
    assert client.graphql_available is False


def test_a_graphql_rate_limit_without_a_reset_is_named(rsps: responses.RequestsMock) -> None:
    rsps.post(
        at("/graphql"), json={"data": None, "errors": [{"type": "RATE_LIMITED", "message": "API rate limit"}]}
    )
    client, sleeps = github()
    error = failure(lambda: client.graphql(QUERY, {}))
    assert type(error) is RateLimitExhausted
    assert str(error) == (
        "GitHub rate limit exhausted for GraphQL PullRequestsPage; the server gives no reset time"
    )
    assert sleeps == [60.0, 120.0]  # the secondary backoff, twice, with no jitter drawn


def test_every_github_request_carries_the_timeout(rsps: responses.RequestsMock) -> None:
    rsps.get(at(PULLS), json=[])
    github()[0].rest_get(PULLS)
    github(timeout=5)[0].rest_get(PULLS)
    assert [timeout_of(call) for call in rsps.calls] == [30, 5]


# -- GitHub GraphQL readers: pages that are not what was asked for ----------------------------------

REPO = "acme/churn-model"
DAY = timedelta(days=1)


def read(fake: FakeGithub) -> list[RawPage]:
    client, _ = github()
    return list(
        graphql_pages(
            client, REPO, updated_since=NOW - 30 * DAY, commits_since=NOW - 30 * DAY, known={}, page_size=50
        )
    )


def fake_with(rsps: responses.RequestsMock, repo: Repo) -> FakeGithub:
    fake = FakeGithub()
    fake.repos[REPO] = repo
    fake.install(rsps)
    return fake


def answer(payload: Any) -> tuple[int, dict[str, str], str]:
    """A 200 JSON answer, as the fake serves it."""
    return 200, {"Content-Type": "application/json"}, json.dumps(payload)


def long_branch() -> Repo:
    """No pull requests, 150 branch commits: the history takes a second page (BranchHistoryPage)."""
    hours = [NOW - i * timedelta(hours=1) for i in range(1, 151)]
    return Repo(pulls=[], branch=[person_commit(f"{i:040x}", "nino", at) for i, at in enumerate(hours, 1)])


@pytest.mark.parametrize(
    ("repo", "operation", "payload", "kind", "message"),
    [
        (long_branch, "BranchHistoryPage",
         {"data": {"repository": {"defaultBranchRef": {"target": {"history": {"nodes": []}}}}}},
         UnexpectedAnswer,
         f"GitHub answered the branch history of {REPO} with a page of an unexpected shape "
         "(pageInfo: field required)"),
        (lambda: standard_repo(2), "PullRequestsPage", {"data": {"repository": {"id": "R_1"}}},
         UnexpectedAnswer,
         f"GitHub answered the pull requests of {REPO} with a page of an unexpected shape "
         "(pullRequests: field required)"),
        (lambda: standard_repo(2), "PullRequestsPage", {"data": {"repository": None}},
         NotFound, f"repo {REPO} not found or not visible to this token"),
        (long_branch, "BranchHistoryPage", {"data": {"repository": None}},
         NotFound, f"repo {REPO} not found or not visible to this token"),
    ],
)  # fmt: skip
def test_a_graphql_page_that_is_not_the_repos_names_the_repo(
    rsps: responses.RequestsMock,
    repo: Callable[[], Repo],
    operation: str,
    payload: Any,
    kind: type[Exception],
    message: str,
) -> None:
    """A pull-request or branch-history page of the wrong shape, or a repository gone (null)
    while it is read: the error names the repo and what was being read."""
    fake = fake_with(rsps, repo())
    fake.fault(operation, answer(payload))
    error = failure(lambda: read(fake))
    assert type(error) is kind
    assert str(error) == message


def test_a_nested_page_of_the_wrong_shape_names_the_pull_request(rsps: responses.RequestsMock) -> None:
    created = NOW - 3 * DAY
    pull = Pull(7, "ana", created, NOW - timedelta(hours=1))
    pull.reviews = [
        Review(10_000 + i, "nino", "COMMENTED", created + timedelta(minutes=i)) for i in range(150)
    ]
    fake = fake_with(rsps, Repo(pulls=[pull], branch=[]))
    fake.fault(
        "PullRequestReviewsPage",
        answer({"data": {"repository": {"pullRequest": {"reviews": {"nodes": []}}}}}),
    )
    error = failure(lambda: read(fake))
    assert type(error) is UnexpectedAnswer
    assert str(error) == (
        f"GitHub answered the reviews of pull request #7 of {REPO} with a page of an unexpected shape "
        "(pageInfo: field required)"
    )
    fake.fault("PullRequestReviewsPage", answer({"data": {"repository": {"pullRequest": None}}}))
    error = failure(lambda: read(fake))
    assert type(error) is SourceError
    assert str(error) == f"GitHub returned no reviews for pull request #7 of {REPO}"


# -- a transient answer that says when to come back -------------------------------------------------


def test_a_jira_answer_cut_off_with_a_retry_after_is_asked_again_when_it_says(
    rsps: responses.RequestsMock,
) -> None:
    """The headers of an unreadable answer still count: a `Retry-After` there is the wait."""
    rsps.get(f"{CLOUD}/{SEARCH}", body='{"issues": [', headers={"Retry-After": "3"})
    rsps.get(f"{CLOUD}/{SEARCH}", json={"issues": [], "isLast": True})
    sleeps: list[float] = []
    client = JiraClient(
        CLOUD, "cloud", "radar@acme.example", "msg-jira-token", sleep=sleeps.append, now=lambda: NOW
    )
    assert list(client.search_pages('project = "DS"', "DS")) == [{"issues": [], "isLast": True}]
    assert sleeps == [3.0]


def test_a_graphql_timeout_with_a_retry_after_is_asked_again_when_it_says(
    rsps: responses.RequestsMock,
) -> None:
    rsps.post(
        at("/graphql"),
        json={"data": None, "errors": [{"message": "Something went wrong while executing your query."}]},
        headers={"Retry-After": "7"},
    )
    rsps.post(at("/graphql"), json={"data": {"viewer": {"login": "radar"}}})
    client, sleeps = github(max_retries=1)
    assert client.graphql(QUERY, {}) == {"viewer": {"login": "radar"}}
    assert sleeps == [7.0]  # told, with no jitter drawn (the backoff would be 1 s)


def test_a_wrong_shape_is_described_without_quoting_what_the_server_sent(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", json={"issues": "<b>Sign in at evil.example</b>", "isLast": 1})
    error = failure(lambda: list(cloud().search_pages('project = "DS"', "DS")))
    assert str(error) == (
        f"Jira at {CLOUD} answered {SEARCH} with a page of an unexpected shape "
        "(issues: input should be a valid list; 1 more)"
    )


def test_a_retry_after_given_as_a_date_waits_until_then(rsps: responses.RequestsMock) -> None:
    """HTTP allows `Retry-After` as a date (RFC 9110 §10.2.3); the wait is from now until then."""
    rsps.get(f"{CLOUD}/{SEARCH}", status=503, headers={"Retry-After": "Mon, 02 Mar 2026 12:00:30 GMT"})
    rsps.get(f"{CLOUD}/{SEARCH}", status=429, headers={"Retry-After": "Mon, 02 Mar 2026 11:59:00 GMT"})
    rsps.get(f"{CLOUD}/{SEARCH}", json={"issues": [], "isLast": True})
    sleeps: list[float] = []
    client = JiraClient(
        CLOUD, "cloud", "radar@acme.example", "msg-jira-token", sleep=sleeps.append, now=lambda: NOW
    )
    list(client.search_pages('project = "DS"', "DS"))
    assert sleeps == [30.0, 0.0]  # 12:00:30 - 12:00:00; a date already past waits nothing


# -- the documented defaults (README, "Configuration"): retries and the longest wait -----------------


def test_a_github_client_retries_a_failing_request_four_times_by_default(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(at(PULLS), status=502)
    sleeps: list[float] = []
    client = GithubClient(API, TOKEN, sleep=sleeps.append, now=lambda: NOW, jitter=lambda: 0.0)
    error = failure(lambda: client.rest_get(PULLS))
    assert str(error) == f"GitHub at {API} answered 502 to GET {PULLS} after 5 attempts"
    assert sleeps == [1.0, 2.0, 4.0, 8.0]  # 2, 4, 8, 16 s at the low end of their jitter


def test_a_jira_client_retries_five_times_by_default_for_failures_and_limits_alike(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", status=429, headers={"Retry-After": "1"})
    sleeps: list[float] = []
    client = JiraClient(
        CLOUD, "cloud", "radar@acme.example", "msg-jira-token", sleep=sleeps.append, now=lambda: NOW
    )
    error = failure(lambda: list(client.search_pages('project = "DS"', "DS")))
    assert str(error) == f"Jira at {CLOUD} answered 429 to {SEARCH}: rate limit persisted after 6 attempts"
    assert sleeps == [1.0] * 5


@pytest.mark.parametrize(("told", "waits"), [("900", True), ("901", False)])
def test_either_client_waits_at_most_fifteen_minutes_by_default(
    rsps: responses.RequestsMock, told: str, waits: bool
) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", status=429, headers={"Retry-After": told})
    rsps.get(f"{CLOUD}/{SEARCH}", json={"issues": [], "isLast": True})
    rsps.get(at(PULLS), status=429, json={"message": "slow down"}, headers={"Retry-After": told})
    rsps.get(at(PULLS), json=[])
    sleeps: list[float] = []
    jira = JiraClient(
        CLOUD, "cloud", "radar@acme.example", "msg-jira-token", sleep=sleeps.append, now=lambda: NOW
    )
    hub = GithubClient(API, TOKEN, sleep=sleeps.append, now=lambda: NOW, jitter=lambda: 0.0)
    if waits:
        list(jira.search_pages('project = "DS"', "DS"))
        hub.rest_get(PULLS)
        assert sleeps == [900.0, 900.0]
        return
    for service, call in (
        ("Jira", lambda: list(jira.search_pages('project = "DS"', "DS"))),
        ("GitHub", lambda: hub.rest_get(PULLS)),
    ):
        error = failure(call)
        assert type(error) is RateLimitExhausted
        site = CLOUD if service == "Jira" else API
        assert str(error) == (
            f"{service} at {site} asks for a 901 s pause, more than max_rate_limit_wait_seconds (900 s) "
            "allows; the next sync resumes from the cursor"
        )
    assert sleeps == []


# -- GraphQL's smaller page after a gateway timeout --------------------------------------------------


def sizes_sent(rsps: responses.RequestsMock) -> list[Any]:
    return [json.loads(call.request.body or "{}")["variables"].get("pageSize") for call in rsps.calls]


def test_a_graphql_gateway_timeout_halves_the_page_down_to_one(rsps: responses.RequestsMock) -> None:
    """A 502/504 asks again for half as many (rounded down, at least 1); a 500 is retried as it
    was; the smaller size holds for the client's later queries, which may ask for fewer still."""
    for status in (502, 504, 502, 500):
        rsps.post(at("/graphql"), status=status, body="<html>Bad Gateway</html>")
    rsps.post(at("/graphql"), json={"data": {"viewer": {"login": "radar"}}})
    client, _ = github(max_retries=4)
    client.graphql(QUERY, {"pageSize": 5})
    assert sizes_sent(rsps) == [5, 2, 1, 1, 1]
    assert client.graphql_page_size == 1
    client.graphql(QUERY, {"pageSize": 50})
    client.graphql(QUERY, {"pageSize": 0})
    client.graphql(QUERY, {"owner": "acme"})
    assert sizes_sent(rsps)[5:] == [1, 0, None]


def test_a_graphql_server_error_keeps_the_page_size(rsps: responses.RequestsMock) -> None:
    rsps.post(at("/graphql"), status=500, body="oops")
    rsps.post(at("/graphql"), json={"data": {"viewer": {"login": "radar"}}})
    client, _ = github(max_retries=1)
    client.graphql(QUERY, {"pageSize": 8})
    assert sizes_sent(rsps) == [8, 8]
    assert client.graphql_page_size is None


# -- the probe ---------------------------------------------------------------------------------------


def test_a_probe_asks_for_at_most_one_batch_and_nothing_for_no_repo(rsps: responses.RequestsMock) -> None:
    client, _ = github()
    since = NOW - 30 * DAY
    assert probe_repositories(client, []) == {}
    too_many = [ProbeTarget(f"acme/r{i}", since) for i in range(26)]
    with pytest.raises(ValueError) as caught:
        probe_repositories(client, too_many)
    assert str(caught.value) == "at most 25 repos per probe"
    assert len(rsps.calls) == 0


def test_a_probed_repository_of_the_wrong_shape_names_the_repo(rsps: responses.RequestsMock) -> None:
    rsps.post(at("/graphql"), json={"data": {"repo0": {"pullRequests": {"nodes": []}}}})
    client, _ = github()
    error = failure(lambda: probe_repositories(client, [ProbeTarget(REPO, NOW - 30 * DAY)]))
    assert type(error) is UnexpectedAnswer
    assert str(error) == (
        f"GitHub answered the probe of {REPO} with a page of an unexpected shape "
        "(pullRequests.pageInfo: field required)"
    )
    body = json.loads(rsps.calls[0].request.body or "{}")
    assert body["variables"] == {"owner0": "acme", "name0": "churn-model", "since0": "2026-01-31T12:00:00Z"}


# -- what the Jira sub-resource and search requests ask for ------------------------------------------


def test_comments_are_asked_for_oldest_first_a_hundred_a_page(rsps: responses.RequestsMock) -> None:
    path = "rest/api/3/issue/DS-1/comment"
    first = [{"id": str(i)} for i in range(100)]
    rsps.get(f"{CLOUD}/{path}", json={"comments": first, "startAt": 0, "total": 101})
    rsps.get(f"{CLOUD}/{path}", json={"comments": [{"id": "100"}], "startAt": 100, "total": 101})
    assert len(cloud().comments("DS-1")) == 101
    assert [call.request.url for call in rsps.calls] == [
        f"{CLOUD}/{path}?orderBy=created&startAt=0&maxResults=100",
        f"{CLOUD}/{path}?orderBy=created&startAt=100&maxResults=100",
    ]


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (403, {}, PermissionDenied, f"Jira at {SERVER} refused access to project DS (403)"),
        (
            400,
            {"errorMessages": ["The value 'DS' does not exist for the field 'project'."]},
            NotFound,
            "project DS does not exist or is not visible",
        ),
    ],
)
def test_a_refused_server_search_names_the_project(
    rsps: responses.RequestsMock, status: int, body: Any, kind: type[Exception], message: str
) -> None:
    rsps.get(f"{SERVER}/{SERVER_SEARCH}", status=status, json=body)
    error = failure(lambda: list(server().search_pages('project = "DS"', "DS")))
    assert type(error) is kind
    assert str(error) == message


def test_a_github_server_error_with_a_retry_after_is_asked_again_when_it_says(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(at(PULLS), status=503, json={"message": "busy"}, headers={"Retry-After": "5"})
    rsps.get(at(PULLS), json=[])
    client, sleeps = github(max_retries=1)
    client.rest_get(PULLS)
    assert sleeps == [5.0]  # told (the backoff would be 1 s)


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (429, {}, {}),  # a 429 is a secondary limit whatever it says
        (403, {"message": "Forbidden"}, {"Retry-After": "30"}),  # a 403 that says when to come back
    ],
)
def test_a_secondary_limit_is_known_by_its_status_or_its_retry_after(
    rsps: responses.RequestsMock, status: int, body: Any, headers: dict[str, str]
) -> None:
    rsps.get(at(PULLS), status=status, json=body, headers=headers)
    rsps.get(at(PULLS), json=[])
    client, sleeps = github()
    client.rest_get(PULLS)
    assert len(rsps.calls) == 2 and len(sleeps) == 1


# -- a partial GraphQL answer (the probe) ------------------------------------------------------------

GONE = {"type": "NOT_FOUND", "path": ["repo0"], "message": "Could not resolve to a Repository"}
HIDDEN = {"type": "FORBIDDEN", "path": ["repo1"], "message": "Resource not accessible"}


@pytest.mark.parametrize(
    ("partial", "errors", "data", "outcome"),
    [
        (True, [GONE, HIDDEN], {"repo0": None, "repo1": None, "repo2": {"id": "R"}}, "data"),
        (True, [GONE], {"repo0": None}, "data"),
        (False, [GONE], {"repo0": None}, "Could not resolve to a Repository"),
        (True, [{**GONE, "path": None}], {"repo0": None}, "Could not resolve to a Repository"),
        (True, [GONE, {"message": "Parse error"}], {"repo0": None}, "Could not resolve to a Repository"),
        (True, [GONE], None, "Could not resolve to a Repository"),
    ],
)
def test_a_partial_answer_is_taken_only_when_every_error_is_a_repo_left_null(
    rsps: responses.RequestsMock, partial: bool, errors: list[Any], data: Any, outcome: str
) -> None:
    rsps.post(at("/graphql"), json={"data": data, "errors": errors})
    client, _ = github()
    if outcome == "data":
        assert client.graphql(QUERY, {}, partial=partial) == data
        return
    error = failure(lambda: client.graphql(QUERY, {}, partial=partial))
    assert str(error) == outcome


# -- clients made from the config ---------------------------------------------------------------------


def test_a_jira_client_from_the_config_takes_its_site_page_size_and_retries(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    jira = {"url": SERVER + "/", "flavor": "server", "page_size": 7, "max_retries": 1}
    config = parse_config({"store": "data", "jira": jira}, tmp_path / "radar.toml")
    rsps.get(f"{SERVER}/{SERVER_SEARCH}", status=502)
    sleeps: list[float] = []
    client = jira_client(config, None, "msg-jira-pat", sleep=sleeps.append, now=lambda: NOW)
    error = failure(lambda: list(client.search_pages('project = "DS"', "DS")))
    assert str(error) == f"Jira at {SERVER} answered 502 to {SERVER_SEARCH} after 2 attempts"
    assert len(sleeps) == 1
    assert all("maxResults=7" in (call.request.url or "") for call in rsps.calls)
    assert client.flavor == "server"


def test_a_github_client_from_the_config_takes_its_server_patience_and_retries(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    github_settings = {"base_url": API, "max_retries": 1, "max_rate_limit_wait_seconds": 30}
    config = parse_config({"store": "data", "github": github_settings}, tmp_path / "radar.toml")
    said: list[str] = []
    rsps.get(at(PULLS), status=502)
    client = github_client(config, TOKEN, sleep=lambda s: None, now=lambda: NOW, progress=said.append)
    error = failure(lambda: client.rest_get(PULLS))
    assert str(error) == f"GitHub at {API} answered 502 to GET {PULLS} after 2 attempts"
    rsps.replace(responses.GET, at(PULLS), status=429, json={}, headers={"Retry-After": "31"})
    error = failure(lambda: client.rest_get(PULLS))
    assert type(error) is RateLimitExhausted and "(30 s)" in str(error)
    rsps.replace(responses.GET, at(PULLS), status=429, json={}, headers={"Retry-After": "12"})
    rsps.get(at(PULLS), json=[])
    client.rest_get(PULLS)
    # the progress callback reaches the policy: 12 s plus up to GitHub's 20 % of jitter
    assert len(said) == 1
    assert re.fullmatch(
        rf"GitHub answered 429 to GET {PULLS}: secondary rate limit: waiting 1[234] s", said[0]
    )


def test_a_pull_request_list_that_repeats_its_cursor_is_named(rsps: responses.RequestsMock) -> None:
    fake = fake_with(rsps, standard_repo(2))
    page = {
        "data": {
            "repository": {
                "pullRequests": {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "same"}},
                "defaultBranchRef": None,
            }
        }
    }
    fake.fault("PullRequestsPage", answer(page), times=2)
    error = failure(lambda: read(fake))
    assert type(error) is PagingLoop
    assert str(error) == f"GitHub sent the same page cursor twice for the pull requests of {REPO}"


def test_a_page_of_one_that_times_out_does_not_shrink_later_queries(rsps: responses.RequestsMock) -> None:
    """A query that already asks for one item cannot ask for fewer: its gateway timeout leaves
    the client's page size alone, and the next query asks for all it wants."""
    rsps.post(at("/graphql"), status=504, body="<html>Gateway Timeout</html>")
    rsps.post(at("/graphql"), json={"data": {"viewer": {"login": "radar"}}})
    client, _ = github(max_retries=1)
    client.graphql(QUERY, {"pageSize": 1})
    client.graphql(QUERY, {"pageSize": 50})
    assert sizes_sent(rsps) == [1, 1, 50]
    assert client.graphql_page_size is None


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({"status": 502, "body": "<html>Bad Gateway</html>"},
         f"GitHub at {API} answered 502 to GraphQL PullRequestsPage after 1 attempts"),
        ({"body": requests.exceptions.ConnectionError("reset")},
         f"GitHub at {API} did not answer GraphQL PullRequestsPage (ConnectionError) after 1 attempts"),
        ({"body": "{not json", "content_type": "application/json"},
         f"GitHub at {API} sent malformed JSON for GraphQL PullRequestsPage after 1 attempts"),
    ],
)  # fmt: skip
def test_a_failing_graphql_query_is_named_by_its_operation(
    rsps: responses.RequestsMock, reply: dict[str, Any], message: str
) -> None:
    rsps.post(at("/graphql"), **reply)
    client, _ = github()
    error = failure(lambda: client.graphql(QUERY, {}))
    assert type(error) is TransientError
    assert str(error) == message


def test_a_relative_redirect_within_the_site_is_followed(rsps: responses.RequestsMock) -> None:
    """A `Location` without a host (Jira behind a proxy that moved it under /jira) is the same
    site: followed, with the credentials."""
    rsps.get(f"{CLOUD}/{SEARCH}", status=301, headers={"Location": "/jira/rest/api/3/search/jql"})
    rsps.get(f"{CLOUD}/jira/{SEARCH}", json={"issues": [], "isLast": True})
    assert list(cloud().search_pages('project = "DS"', "DS")) == [{"issues": [], "isLast": True}]
    assert rsps.calls[1].request.headers["Authorization"].startswith("Basic ")


def test_a_jira_client_waits_no_longer_than_it_is_told(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{CLOUD}/{SEARCH}", status=429, headers={"Retry-After": "31"})
    error = failure(lambda: list(cloud(max_attempts=6, max_rate_limit_wait=30.0).search_pages("x", "DS")))
    assert type(error) is RateLimitExhausted
    assert str(error) == (
        f"Jira at {CLOUD} asks for a 31 s pause, more than max_rate_limit_wait_seconds (30 s) allows; "
        "the next sync resumes from the cursor"
    )
