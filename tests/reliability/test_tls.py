"""Both clients verify the server's certificate against the CA bundle of `REQUESTS_CA_BUNDLE`: a
server whose certificate that bundle does not vouch for gets no request (and no token), and the
error says where the bundle comes from. Against a real loopback HTTPS server (tests/e2e/server.py)
with a throwaway CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.errors import SourceError
from connectors.github import GithubClient
from connectors.jira import JiraClient
from tests.e2e.server import Request, Service
from tests.e2e.tls import Certificates, make_certificates


def answer(request: Request) -> tuple[int, dict[str, str], str]:
    body = "[]" if request.path.startswith("/repos/") else '{"issues": [], "startAt": 0, "total": 0}'
    return 200, {"Content-Type": "application/json"}, body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Certificates]]:
    certs = make_certificates(tmp_path_factory.mktemp("tls"))
    service = Service("tls", certs)
    service.reset(answer)
    yield service, certs
    service.close()


@pytest.fixture
def untrusting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A CA bundle that does not hold the throwaway CA (the system's, as on a user's machine)."""
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    other = make_certificates(tmp_path / "other")  # some other CA: not the server's
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other.ca))


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"a refused certificate is not retried ({seconds} s)")


@pytest.mark.usefixtures("untrusting")
def test_github_refuses_a_server_its_bundle_does_not_vouch_for(server: tuple[Service, Certificates]) -> None:
    service, _ = server
    service.lines.clear()
    client = GithubClient(service.url, "tls-github-token", sleep=no_sleep)
    with pytest.raises(SourceError) as caught:
        client.rest_get("/repos/acme/app/pulls")
    assert str(caught.value) == (
        f"TLS verification failed for {service.url}; point REQUESTS_CA_BUNDLE at the server's CA bundle"
    )
    assert service.lines == []  # the handshake failed: no request, no token


@pytest.mark.usefixtures("untrusting")
def test_jira_refuses_a_server_its_bundle_does_not_vouch_for(server: tuple[Service, Certificates]) -> None:
    service, _ = server
    service.lines.clear()
    client = JiraClient(service.url, "server", None, "tls-jira-token", sleep=no_sleep)
    with pytest.raises(SourceError) as caught:
        list(client.search_pages('project = "DS"', "DS"))
    assert str(caught.value) == (
        f"TLS verification failed for {service.url}; point REQUESTS_CA_BUNDLE at the server's CA bundle"
    )
    assert service.lines == []


def test_both_clients_talk_to_a_server_their_bundle_vouches_for(
    server: tuple[Service, Certificates], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, certs = server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certs.ca))
    service.lines.clear()
    _, pulls = GithubClient(service.url, "tls-github-token", sleep=no_sleep).rest_get("/repos/acme/app/pulls")
    pages = list(
        JiraClient(service.url, "server", None, "tls-jira-token").search_pages('project = "DS"', "DS")
    )
    assert (pulls, pages) == ([], [{"issues": [], "startAt": 0, "total": 0}])
    assert [line.split("?")[0] for line in service.lines] == [
        "GET /repos/acme/app/pulls",
        "GET /rest/api/2/search",
    ]
