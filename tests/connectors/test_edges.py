"""Edges of the connectors that the sync scenarios do not reach: what an unexpected REST page is
called, the library helpers of a Jira client, and the transport's dead-host breaker on both
schemes and at the end of its cooldown, and the adapter under PyGithub's connections."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
import requests
import responses
from github.Requester import HTTPSRequestsConnectionClass

from connectors.errors import UnexpectedAnswer
from connectors.github import GithubClient
from connectors.jira import JiraClient
from connectors.transport import (
    BREAKERS,
    HostBreakers,
    HostUnreachable,
    github_connection_classes,
    guard_session,
)
from tests.connectors.github_fake import NOW, TOKEN, FakeGithub, standard_repo

REPO = "acme/churn-model"
REFUSED = ConnectionRefusedError(111, "Connection refused")


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"nothing here should wait ({seconds} s)")


# -- GitHub -----------------------------------------------------------------------------------------


def test_an_unexpected_rest_page_is_named_by_its_path_without_the_query(rsps: responses.RequestsMock) -> None:
    """A list page of the wrong shape names the endpoint it came from, not the query string the
    path was given with."""
    fake = FakeGithub()
    fake.repos[REPO] = standard_repo(1)
    fake.install(rsps)
    # a 200 answer that is an object, not the JSON array of a list page
    fake.fault("/pulls", (200, {"Content-Type": "application/json"}, '{"message": "Sign in"}'))
    client = GithubClient("https://api.github.com", TOKEN, sleep=no_sleep, now=lambda: NOW)
    with pytest.raises(UnexpectedAnswer) as caught:
        next(client.rest_pages(f"/repos/{REPO}/pulls?state=all&sort=updated"))
    assert str(caught.value).startswith(
        f"GitHub answered GET /repos/{REPO}/pulls with a page of an unexpected shape ("
    )
    (sent,) = fake.log  # one request, not retried; the query went to GitHub, not into the message
    assert sent.startswith(f"GET /repos/{REPO}/pulls?") and "state=all" in sent


# -- Jira -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavor", "url", "user", "api"),
    [
        ("cloud", "https://acme.atlassian.net", "radar@acme.example", "3"),
        ("server", "https://jira.acme.example", None, "2"),
    ],
)
def test_a_jira_clients_library_helpers_use_its_flavours_api(
    rsps: responses.RequestsMock, flavor: str, url: str, user: str | None, api: str
) -> None:
    """The `jira` library object of a client speaks the flavour's REST API version: v3 on Cloud
    (comment bodies in Atlassian Document Format), v2 on Server and Data Center."""
    rsps.get(f"{url}/rest/api/{api}/myself", json={"name": "radar", "active": True})
    rsps.get(f"{url}/rest/api/{api}/user", json={"name": "nino.b", "accountId": "5b10", "self": url})
    client = JiraClient(url, "cloud" if flavor == "cloud" else "server", user, "jira-edge-token")
    assert client.jira.myself() == {"name": "radar", "active": True}
    # a user is looked up by account id on Cloud, by username on Server
    client.jira.user("nino")
    lookup = "accountId" if flavor == "cloud" else "username"
    assert [call.request.url for call in rsps.calls] == [
        f"{url}/rest/api/{api}/myself",
        f"{url}/rest/api/{api}/user?{lookup}=nino",
    ]


# -- the transport ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "port"), [("https", 443), ("http", 80)])
def test_a_guarded_session_sends_both_schemes_through_the_breaker(
    rsps: responses.RequestsMock, scheme: str, port: int
) -> None:
    """Both schemes of a guarded session go through the guarded adapter: a host given up on is
    refused before anything is sent, whatever the scheme."""
    breakers = HostBreakers(threshold=1)
    assert breakers.failed(f"{scheme}://jira.acme.example:{port}", "Jira", REFUSED) is not None
    rsps.get(f"{scheme}://jira.acme.example/rest/api/2/myself", json={})
    session = guard_session(requests.Session(), "Jira", breakers=breakers)
    with pytest.raises(HostUnreachable, match=rf"^Jira host {scheme}://jira\.acme\.example:{port} "):
        session.get(f"{scheme}://jira.acme.example/rest/api/2/myself")
    assert len(rsps.calls) == 0


def test_a_host_given_up_on_is_tried_again_once_its_cooldown_is_over() -> None:
    """A host stays given up on for `cooldown` seconds after it was opened, and not a moment longer."""
    now = [100.0]
    breakers = HostBreakers(threshold=1, cooldown=900.0, clock=lambda: now[0])
    origin = "https://ghe.acme.example:443"
    assert isinstance(breakers.failed(origin, "GitHub", REFUSED), HostUnreachable)  # opened at 100 s
    now[0] = 999.5  # 899.5 s later: still cooling down
    with pytest.raises(HostUnreachable, match="1 connection failures in a row, last: connection refused"):
        breakers.check(origin, "GitHub")
    now[0] = 1000.0  # 900 s later: one more try is let through
    breakers.check(origin, "GitHub")


def test_a_github_connection_counts_on_the_breakers_it_was_made_for(rsps: responses.RequestsMock) -> None:
    """The connection classes made for a set of breakers send through those breakers, not the
    process's shared ones: a host given up on there is refused before anything is sent."""
    breakers = HostBreakers(threshold=1)
    assert breakers.failed("https://ghe.acme.example:443", "GitHub", REFUSED) is not None
    rsps.get("https://ghe.acme.example:443/api/v3/rate_limit", json={})
    connection = github_connection_classes(breakers)["https"]("ghe.acme.example")
    connection.request("GET", "/api/v3/rate_limit", None, {})
    with pytest.raises(HostUnreachable, match=r"^GitHub host https://ghe\.acme\.example:443 is unreachable "):
        connection.getresponse()
    assert len(rsps.calls) == 0
    BREAKERS.check("https://ghe.acme.example:443", "GitHub")  # the shared breakers know nothing of it


def pool_and_retry_settings(adapter: Any) -> tuple[int, int, int]:
    """The pools kept, connections per pool and retries of a requests adapter (private fields of
    requests, the ones it pickles)."""
    return adapter._pool_connections, adapter._pool_maxsize, adapter.max_retries.total


def test_a_github_connection_keeps_pygithubs_pool_and_retry_settings() -> None:
    """The guarded adapter replaces the one PyGithub mounts setting for setting: as many pools,
    as many connections per pool and as many retries as PyGithub gave its own adapter."""
    ours = github_connection_classes(HostBreakers())["https"]("ghe.acme.example", retry=2, pool_size=3)
    theirs = HTTPSRequestsConnectionClass("ghe.acme.example", retry=2, pool_size=3)
    # pool_size 3 is both the number of pools kept and the connections per pool (not requests'
    # default 10); retry 2 is the retries of a failed connection
    assert pool_and_retry_settings(theirs.adapter) == (3, 3, 2)
    assert pool_and_retry_settings(ours.adapter) == (3, 3, 2)
    assert ours.session.get_adapter("https://ghe.acme.example/api/v3") is ours.adapter


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (requests.ConnectionError(REFUSED), "connection refused"),
        (
            requests.ConnectionError(OSError("wrapped", socket.gaierror(-2, "Name or service not known"))),
            "host name not resolved",
        ),
        (requests.ConnectTimeout("timed out"), "connect timeout"),
        (requests.ConnectionError("Connection aborted."), "no connection"),
    ],
)
def test_a_host_given_up_on_is_named_with_the_kind_of_its_last_failure(
    error: Exception, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """What went wrong is said in a few words of our own, never the exception's text (it names
    the URL, with a query that may carry more than the host)."""
    breakers = HostBreakers(threshold=1, cooldown=900.0, clock=lambda: 0.0)
    with caplog.at_level(logging.WARNING, logger="connectors.transport"):
        opened = breakers.failed("https://jira.acme.example:443", "Jira", error)
    assert caplog.messages == [
        "Jira host https://jira.acme.example:443: 1 connection failures in a row; "
        "giving up on it for this run"
    ]
    assert str(opened) == (
        f"Jira host https://jira.acme.example:443 is unreachable (1 connection failures in a row, last: "
        f"{reason}); not tried again in this run"
    )


def test_a_host_tried_again_after_its_cooldown_is_given_up_on_at_its_first_failure() -> None:
    """The one try after the cooldown is the last chance: its failure opens the breaker again at
    once, and the message counts the failures in a row as the threshold, not more."""
    now = [0.0]
    breakers = HostBreakers(threshold=3, cooldown=900.0, clock=lambda: now[0])
    origin = "https://ghe.acme.example:443"
    assert [breakers.failed(origin, "GitHub", REFUSED) is None for _ in range(3)] == [True, True, False]
    now[0] = 900.0
    breakers.check(origin, "GitHub")  # cooled down: let through
    opened = breakers.failed(origin, "GitHub", REFUSED)
    assert str(opened) == (
        f"GitHub host {origin} is unreachable (3 connection failures in a row, last: connection refused); "
        "not tried again in this run"
    )
