"""Hosts at the socket level, over real loopback sockets (no `responses` here):

* the address actually connected to: a host name that resolves to a metadata or link-local
  address is refused before anything is sent (a resolver stub stands in for DNS), for GitHub,
  Jira and SMTP alike, while a private or loopback server stays reachable;
* a dead host (every connection refused): the first repo gives up on it after a few refusals, the
  others fail at once naming the host, and nothing of it is a transient error Prefect retries.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import SourceError, TransientError
from connectors.github import GithubClient
from connectors.jira import JiraClient
from connectors.transport import BREAKERS, ForbiddenAddress, HostBreakers, HostUnreachable
from core.config import parse_config
from flows.delivery import DeliveryError, email_credentials, send
from tests.reliability.helpers import REPO, GithubRun

REAL_GETADDRINFO = socket.getaddrinfo
NAME = "ghe.acme.example"  # a fine name in the config: only its answer from DNS is bad


class Loopback:
    """A plain-HTTP server on 127.0.0.1 answering every GET with `[]` (an empty list page) or an
    empty Jira search page, recording each request's path and Authorization header."""

    def __init__(self) -> None:
        seen: list[tuple[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.path, self.headers.get("Authorization", "")))
                if outer.drop > 0:  # read the request, then hang up without an answer
                    outer.drop -= 1
                    self.close_connection = True
                    return
                body = (
                    b"[]"
                    if "/rest/api/" not in self.path
                    else json.dumps({"issues": [], "isLast": True}).encode()
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.seen = seen
        self.drop = 0
        outer = self
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def fresh_breakers() -> Iterator[None]:
    BREAKERS.reset()
    yield
    BREAKERS.reset()


def resolve(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> list[str]:
    """Make NAME resolve to `addresses` (the resolver stub); other names resolve as usual.
    Returns the list of names looked up."""
    asked: list[str] = []

    def stub(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(str(host))
        if host != NAME:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", stub)
    return asked


def github(port: int) -> GithubClient:
    return GithubClient(f"http://{NAME}:{port}", "ghp_token_for_the_loopback_0000", sleep=lambda s: None)


def jira(port: int) -> JiraClient:
    return JiraClient(
        f"http://{NAME}:{port}", "cloud", "radar@acme.example", "jira-loopback-token", sleep=lambda s: None
    )


# -- the address actually connected to --------------------------------------------------------------

FORBIDDEN = [
    ["169.254.169.254"],  # the metadata service of AWS, GCP and Azure
    ["fd00:ec2::254"],  # AWS's over IPv6
    ["100.100.100.200"],  # Alibaba Cloud's
    ["::ffff:169.254.169.254"],  # IPv4-mapped
    ["fe80::1"],  # link-local IPv6
    ["127.0.0.1", "169.254.169.254"],  # one good and one bad answer: refused all the same
]


@pytest.mark.parametrize("addresses", FORBIDDEN, ids=lambda a: "+".join(a))
@pytest.mark.parametrize("service", ["github", "jira"])
def test_a_host_name_resolving_to_a_metadata_address_is_refused_before_sending(
    monkeypatch: pytest.MonkeyPatch, loopback: Loopback, service: str, addresses: list[str]
) -> None:
    asked = resolve(monkeypatch, *addresses)
    with pytest.raises(ForbiddenAddress, match=rf"host {NAME} resolves to .*nothing is sent there"):
        if service == "github":
            github(loopback.port).rest_get(f"/repos/{REPO}/pulls")
        else:
            list(jira(loopback.port).search_pages('project = "DS"', "DS"))
    assert NAME in asked  # the check read the resolver's answer, not the URL text
    assert loopback.seen == []  # the loopback server, one of the answers, got nothing either
    assert not isinstance(ForbiddenAddress("x"), TransientError)  # never retried


@pytest.mark.parametrize("service", ["github", "jira"])
def test_a_host_name_resolving_to_a_private_address_is_reached(
    monkeypatch: pytest.MonkeyPatch, loopback: Loopback, service: str
) -> None:
    resolve(monkeypatch, "127.0.0.1")
    if service == "github":
        assert github(loopback.port).rest_get(f"/repos/{REPO}/pulls")[1] == []
    else:
        assert list(jira(loopback.port).search_pages('project = "DS"', "DS")) == [
            {"issues": [], "isLast": True}
        ]
    assert len(loopback.seen) == 1 and loopback.seen[0][1]  # sent, with its credentials


def test_an_smtp_host_resolving_to_a_metadata_address_gets_no_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from email.message import EmailMessage

    resolve(monkeypatch, "169.254.169.254")
    connected: list[Any] = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    config = parse_config(
        {
            "email": {
                "smtp_host": NAME,
                "smtp_port": 2525,
                "security": "none",
                "from": "Radar <radar@acme.example>",
            }
        }
    )
    assert config.email is not None
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "radar@acme.example", "nino@acme.example", "week"
    with pytest.raises(DeliveryError, match=r"SMTP host ghe\.acme\.example resolves to 169\.254\.169\.254"):
        send(message, email_credentials(config.email), "Churn")
    assert connected == []


# -- a dead host ------------------------------------------------------------------------------------


def refused_port() -> int:
    """A loopback port nothing listens on: every connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_github_host_is_given_up_after_three_refusals_then_fails_every_repo_at_once(
    tmp_path: Path,
) -> None:
    port = refused_port()
    run = GithubRun(
        tmp_path,
        "graphql",
        repos=[REPO, "acme/feature-store"],
        base_url=f"http://127.0.0.1:{port}",
        allow_insecure=True,
    )
    with pytest.raises(HostUnreachable) as first:
        run(REPO)
    message = str(first.value)
    assert (
        f"GitHub host http://127.0.0.1:{port} is unreachable" in message and "connection refused" in message
    )
    assert len(run.sleeps) == 2  # two backoffs between the three refused tries, then no fourth try
    assert not isinstance(first.value, TransientError)  # Prefect does not retry the task either

    run.sleeps.clear()
    with pytest.raises(HostUnreachable, match=f"127.0.0.1:{port}"):
        run("acme/feature-store")
    assert run.sleeps == []  # no try, no wait: before, 5 tries and two task retries per repo
    assert run.cursor(REPO) is None and run.cursor("acme/feature-store") is None


def test_a_dead_jira_host_is_given_up_too_and_names_the_host() -> None:
    port = refused_port()
    sleeps: list[float] = []
    client = JiraClient(
        f"http://127.0.0.1:{port}", "server", None, "jira-dead-host-token", sleep=sleeps.append
    )
    with pytest.raises(HostUnreachable, match=rf"Jira host http://127\.0\.0\.1:{port} is unreachable"):
        list(client.search_pages('project = "DS"', "DS"))
    assert len(sleeps) == 2 and client.requests == 3
    with pytest.raises(HostUnreachable):
        client.get_json("rest/api/2/issue/DS-1")
    assert client.requests == 4 and len(sleeps) == 2  # counted, but never sent


def test_a_live_host_that_drops_connections_is_not_given_up(loopback: Loopback) -> None:
    loopback.drop = 5  # five answers cut off (the connection closes after the request)
    sleeps: list[float] = []
    client = GithubClient(
        f"http://127.0.0.1:{loopback.port}", "ghp_token_for_the_loopback_0000", sleep=sleeps.append
    )
    client.max_retries = 6
    assert client.rest_get(f"/repos/{REPO}/pulls")[1] == []  # a live host's hiccups are retried as before
    assert len(sleeps) == 5 and len(loopback.seen) == 6


def test_the_breaker_lets_one_request_try_again_after_its_cooldown_and_closes_on_success() -> None:
    now = [0.0]
    breakers = HostBreakers(threshold=2, cooldown=60, clock=lambda: now[0])
    refused = ConnectionRefusedError(111, "Connection refused")
    origin = "https://ghe.acme.example:443"
    assert breakers.failed(origin, "GitHub", refused) is None
    opened = breakers.failed(origin, "GitHub", refused)
    assert isinstance(opened, HostUnreachable) and "connection refused" in str(opened)
    with pytest.raises(HostUnreachable):
        breakers.check(origin, "GitHub")
    breakers.check("https://other.acme.example:443", "GitHub")  # other hosts are not affected
    now[0] = 61.0
    breakers.check(origin, "GitHub")  # one more try after the cooldown
    assert isinstance(breakers.failed(origin, "GitHub", refused), HostUnreachable)  # which fails: open again
    now[0] = 200.0
    breakers.check(origin, "GitHub")
    breakers.succeeded(origin)
    assert breakers.failed(origin, "GitHub", refused) is None  # closed: counting from zero


def test_sync_retry_budget_comes_from_the_config(tmp_path: Path) -> None:
    from flows.sync_flow import sync_repo, with_retry_budget

    config = parse_config(
        {"runner": {"sync_retries": 3, "sync_retry_delay_seconds": [5]}, "github": {"max_retries": 1}}
    )
    task = with_retry_budget(sync_repo, config)
    assert task.retries == 3 and task.retry_delay_seconds == [5.0, 5.0, 5.0]
    assert with_retry_budget(sync_repo, parse_config({"runner": {"sync_retries": 0}})).retries == 0
    with pytest.raises(SourceError):
        raise HostUnreachable("x")
