"""Servers that echo the request's Authorization header into their error text: the token — raw, as
`Bearer …`/`token …`, or as Jira's base64 `user:token` — never reaches an error message, a log
line (ours or a library's, at DEBUG) or a file. Each fake quotes the header it received, so each
test also checks that the echo was there and was cut (`[secret]`)."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.errors import SourceError
from connectors.jira import JiraClient
from core.secrets import REDACTED, ScrubbingFilter, install_log_scrubbing, register_secret, scrub
from tests.connectors.test_jira_sync import CLOUD_URL, SERVER_URL
from tests.reliability.helpers import REPO, GithubRun

SENTINEL = "echo-5f2a91"
GITHUB_TOKEN = f"ghp_{SENTINEL}"
JIRA_TOKEN = f"jira-{SENTINEL}"
JIRA_USER = "radar@acme.example"
GITHUB = re.compile(r"https://api\.github\.com(:443)?/.*")


def forms() -> list[str]:
    """Every way the sentinels could leak: raw (inside `Bearer x`/`token x` too) and base64."""
    basic = base64.b64encode(f"{JIRA_USER}:{JIRA_TOKEN}".encode()).decode()
    return [GITHUB_TOKEN, JIRA_TOKEN, SENTINEL, basic, basic.rstrip("=")]


def leaks(text: str) -> list[str]:
    return [form for form in forms() if form in text]


def chain(error: BaseException | None) -> str:
    text = ""
    while error is not None:
        text += f"{error!s}\n{error!r}\n"
        error = error.__cause__ or error.__context__
    return text


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in (None, "github", "jira", "urllib3", "connectors", "flows"):
        caplog.set_level(logging.DEBUG, logger=name)
    install_log_scrubbing()  # as the sync flow does: caplog's handler is one of the handlers now
    return caplog


def echo(status: int, body: Callable[[str], Any]) -> Callable[[Any], tuple[int, dict[str, str], str]]:
    """A callback answering `status` with `body(<the request's Authorization header>)`."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        return (
            status,
            {"Content-Type": "application/json"},
            json.dumps(body(request.headers["Authorization"])),
        )

    return answer


# -- GitHub ---------------------------------------------------------------------------------------

GITHUB_ECHOES = {
    "graphql error": (
        "graphql",
        200,
        lambda auth: {"errors": [{"type": "BAD", "message": f"Bad header {auth}"}]},
    ),
    "graphql forbidden": (
        "graphql",
        200,
        lambda auth: {
            "data": None,
            "errors": [{"type": "FORBIDDEN", "message": f"{auth} may not read this"}],
        },
    ),
    # Retried as a timeout, so the echo is logged with each retry before the final error.
    "graphql timeout": (
        "graphql",
        200,
        lambda auth: {"errors": [{"message": f"Something went wrong while executing your query ({auth})"}]},
    ),
    "rest 422": ("rest", 422, lambda auth: {"message": f"Validation failed: header {auth} malformed"}),
    "rest 403": ("rest", 403, lambda auth: {"message": f"Resource not accessible by integration ({auth})"}),
    "rest 400": ("rest", 400, lambda auth: {"message": f"Problems parsing {auth}"}),
}


@pytest.mark.parametrize("case", list(GITHUB_ECHOES))
def test_github_echo_of_the_token_is_scrubbed_everywhere(
    tmp_path: Path, rsps: responses.RequestsMock, logs: pytest.LogCaptureFixture, case: str
) -> None:
    api, status, body = GITHUB_ECHOES[case]
    for method in (responses.GET, responses.POST):
        rsps.add_callback(method, GITHUB, callback=echo(status, body))
    run = GithubRun(tmp_path, api)
    with pytest.raises(SourceError) as caught:
        run(REPO, token=GITHUB_TOKEN)
    message = chain(caught.value)
    assert REDACTED in message  # the echo reached the message, cut
    assert "token" in rsps.calls[0].request.headers["Authorization"].lower()  # PyGithub's `token x` form
    assert leaks(message) == []
    assert leaks(logs.text) == []
    for path in run.store.root.rglob("*"):
        assert leaks(path.read_bytes().decode("latin-1")) == [], path


# -- Jira -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavor", "status", "unpadded"),
    [("cloud", 400, False), ("cloud", 405, True), ("server", 405, False), ("server", 400, False)],
)
def test_jira_echo_of_basic_or_bearer_credentials_is_scrubbed(
    rsps: responses.RequestsMock, logs: pytest.LogCaptureFixture, flavor: str, status: int, unpadded: bool
) -> None:
    url = CLOUD_URL if flavor == "cloud" else SERVER_URL
    user = JIRA_USER if flavor == "cloud" else None  # Server: a personal access token as Bearer

    def body(auth: str) -> dict[str, Any]:
        shown = auth.rstrip("=") if unpadded else auth
        return {"errorMessages": [f"Invalid header value '{shown}'"], "errors": {"auth": shown}}

    rsps.add_callback(responses.GET, re.compile(re.escape(url) + "/.*"), callback=echo(status, body))
    client = JiraClient(url, flavor, user, JIRA_TOKEN, sleep=lambda s: None)
    with pytest.raises(SourceError) as caught:
        list(client.search_pages('project = "DS"', "DS"))
    sent = rsps.calls[0].request.headers["Authorization"]
    assert sent.startswith("Basic " if user else "Bearer ")
    message = chain(caught.value)
    assert REDACTED in message and "Invalid header value" in message
    assert leaks(message) == []
    assert leaks(logs.text) == []


# -- the pieces -----------------------------------------------------------------------------------


def test_a_library_log_line_and_a_traceback_are_scrubbed_by_the_filter() -> None:
    register_secret(JIRA_TOKEN, JIRA_USER)
    record = logging.LogRecord("github.Requester", logging.DEBUG, __file__, 1, "sent %s", (JIRA_TOKEN,), None)
    try:
        raise RuntimeError(f"server said Bearer {JIRA_TOKEN}")
    except RuntimeError as error:
        record.exc_info = (RuntimeError, error, error.__traceback__)
    assert ScrubbingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert leaks(formatted) == [] and formatted.count(REDACTED) == 2


def test_every_registered_form_is_scrubbed() -> None:
    register_secret(JIRA_TOKEN, JIRA_USER)
    basic = base64.b64encode(f"{JIRA_USER}:{JIRA_TOKEN}".encode()).decode()
    for text in (JIRA_TOKEN, f"Bearer {JIRA_TOKEN}", f"token {JIRA_TOKEN}", basic, basic.rstrip("=")):
        assert scrub(f"said: {text}.") == f"said: {text.split()[0] + ' ' if ' ' in text else ''}{REDACTED}."
