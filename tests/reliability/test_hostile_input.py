"""Hostile input the report and config tests do not already cover (see README.md): base URLs that
reach a metadata service in disguise, redirects and links to another host (for PyGithub and for
the jira library's session), secrets in every log line at DEBUG level and in every file the
connectors write, and Jira issues with fields we do not know."""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.errors import SourceError
from connectors.jira import JiraClient
from connectors.normalize_jira import normalize_issue
from core.config import ConfigError, load_config
from core.schemas import SCHEMAS
from tests.connectors.github_fake import standard_repo
from tests.connectors.test_jira_sync import CLOUD_URL, FakeJira, Run, dataset
from tests.reliability.helpers import REPO, GithubRun, ScriptedGithub, reply

EVIL = "https://evil.example"


# -- base URLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254",
        "file:///etc/passwd",
        "https://api.github.com.evil.example",
        "https://2852039166",  # 169.254.169.254 as one number
        "https://0xa9fea9fe",  # ... in hex
        "https://0251.0376.0251.0376",  # ... in octal
        "https://169.254.43518",  # ... in the short a.b.c form
        "https://169.254.169.254.",  # trailing dot
        "https://[::ffff:169.254.169.254]",  # IPv4-mapped IPv6
        "https://[fd00:ec2::254]",  # AWS metadata over IPv6
        "https://100.100.100.200",  # Alibaba Cloud metadata
        "https://metadata.google.internal.",
        "https://0.0.0.0",
        "https://169.254.169.254%2f.example",
    ],
)
@pytest.mark.parametrize("section", ["github", "jira"])
def test_unsafe_base_url_is_rejected_when_the_config_loads(
    tmp_path: Path, rsps: responses.RequestsMock, url: str, section: str
) -> None:
    key = "base_url" if section == "github" else "url"
    path = tmp_path / "radar.toml"
    path.write_text(f'[{section}]\n{key} = "{url}"\nallow_insecure = true\n', "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [p.split(":")[0] for p in caught.value.problems] == [f"{section}.{key}"]
    assert len(rsps.calls) == 0  # rejected before any request


@pytest.mark.parametrize(
    "url", ["https://ghe.acme.example/api/v3", "https://10.0.0.5/api/v3", "https://jira_prod.acme.example"]
)
def test_private_servers_stay_allowed(tmp_path: Path, url: str) -> None:
    path = tmp_path / "radar.toml"
    path.write_text(f'[github]\nbase_url = "{url}"\n', "utf-8")
    assert load_config(path).github.base_url == url  # type: ignore[union-attr]


# -- redirects ----------------------------------------------------------------------------------------


def evil_host(rsps: responses.RequestsMock) -> list[dict[str, str]]:
    """Records the headers of every request that reaches the other host."""
    seen: list[dict[str, str]] = []

    def record(request: Any) -> tuple[int, dict[str, str], str]:
        seen.append(dict(request.headers))
        return 200, {"Content-Type": "application/json"}, "[]"

    for method in (responses.GET, responses.POST):
        rsps.add_callback(method, responses.matchers.re.compile(rf"{EVIL}/.*"), callback=record)
    return seen


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("api", ["graphql", "rest"])
def test_github_redirect_to_another_host_sends_nothing_there(
    tmp_path: Path, rsps: responses.RequestsMock, api: str, status: int
) -> None:
    seen = evil_host(rsps)
    fake = ScriptedGithub()
    fake.repos[REPO] = standard_repo(3)
    fake.install(rsps)
    fake.reply_at[1] = reply(status, "", {"Location": f"{EVIL}/repos/{REPO}/pulls"})
    run = GithubRun(tmp_path, api)
    with pytest.raises(SourceError):  # refused or unreadable: never a success on someone else's data
        run()
    assert seen == []
    assert run.cursor() is None


def jira_client(token: str = "jira-secret-token") -> JiraClient:
    return JiraClient(CLOUD_URL, "cloud", "radar@acme.example", token, sleep=lambda s: None)


def test_jira_redirect_to_another_host_is_refused_before_anything_is_sent(
    rsps: responses.RequestsMock,
) -> None:
    seen = evil_host(rsps)
    rsps.add(
        responses.GET, f"{CLOUD_URL}/rest/api/3/search/jql", status=302, headers={"Location": f"{EVIL}/x"}
    )
    with pytest.raises(SourceError) as refused:
        list(jira_client().search_pages('project = "DS"', "DS"))
    assert str(refused.value) == (
        f"Jira at {CLOUD_URL} redirected to https://evil.example; not followed "
        "(credentials stay with the configured site). Set [jira] url to the site's real address."
    )
    assert seen == []


def test_jira_redirect_within_the_site_is_followed_with_credentials(rsps: responses.RequestsMock) -> None:
    moved = f"{CLOUD_URL}/jira/rest/api/3/search/jql"
    rsps.add(responses.GET, f"{CLOUD_URL}/rest/api/3/search/jql", status=301, headers={"Location": moved})
    rsps.add(responses.GET, moved, json={"issues": [], "isLast": True})
    assert list(jira_client().search_pages('project = "DS"', "DS")) == [{"issues": [], "isLast": True}]
    assert rsps.calls[1].request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("read", "path"),
    [
        (lambda c: c.changelog("DS-1"), "/rest/api/3/issue/DS-1/changelog"),
        (lambda c: c.comments("DS-1"), "/rest/api/3/issue/DS-1/comment"),
    ],
)
def test_every_jira_read_refuses_a_redirect_to_another_host(
    rsps: responses.RequestsMock, read: Callable[[JiraClient], Any], path: str
) -> None:
    """Not only the search: the changelog and comment pages go through the same refusal."""
    seen = evil_host(rsps)
    rsps.add(responses.GET, f"{CLOUD_URL}{path}", status=302, headers={"Location": f"{EVIL}/x"})
    with pytest.raises(SourceError, match=r"redirected to https://evil\.example; not followed"):
        read(jira_client())
    assert seen == []


def test_a_jira_redirect_loop_within_the_site_ends_in_an_error(rsps: responses.RequestsMock) -> None:
    here = f"{CLOUD_URL}/rest/api/3/search/jql"
    rsps.add(responses.GET, here, status=301, headers={"Location": here})
    with pytest.raises(SourceError, match="redirected more than"):
        list(jira_client().search_pages('project = "DS"', "DS"))
    assert 2 <= len(rsps.calls) <= 20  # followed a few times, then given up on: no endless loop


# -- secrets in logs and files ----------------------------------------------------------------------


SENTINEL = "sentinel-7d41c3"
GITHUB_TOKEN = f"ghp_{SENTINEL}"
JIRA_TOKEN = f"jira-{SENTINEL}"
JIRA_USER = "radar@acme.example"


def forms(secret: str) -> list[str]:
    """A secret as it could leak: plain, and inside a Basic authorization header."""
    basic = base64.b64encode(f"{JIRA_USER}:{secret}".encode()).decode()
    return [secret, basic, basic[:-2] if basic.endswith("==") else basic]


def leaks(text: str) -> list[str]:
    return [form for secret in (GITHUB_TOKEN, JIRA_TOKEN) for form in forms(secret) if form in text]


def describe(error: BaseException | None) -> str:
    text = ""
    while error is not None:
        text += f"{error!s}\n{error!r}\n"
        error = error.__cause__ or error.__context__
    return text


def test_no_secret_in_debug_logs_errors_or_files(
    tmp_path: Path, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    for name in (None, "github", "jira", "urllib3", "connectors", "flows"):  # PyGithub's sits at INFO
        caplog.set_level(logging.DEBUG, logger=name)
    errors: list[str] = []

    fake = ScriptedGithub()
    fake.repos[REPO] = standard_repo(4)
    fake.install(rsps)
    github = GithubRun(tmp_path, "rest")

    def attempt(run: Any, *args: Any) -> None:
        try:
            run(*args)
        except Exception as error:  # the failure paths are the point here
            errors.append(describe(error))

    from tests.connectors import github_fake

    original = github_fake.TOKEN
    github_fake.TOKEN = GITHUB_TOKEN  # the fake accepts the sentinel as the real token
    try:
        attempt(lambda: github(token=GITHUB_TOKEN))  # success
        attempt(lambda: github(token=GITHUB_TOKEN + "x"))  # 401
        fake.reply_at[len(fake.log) + 1] = reply(403, {"message": "Resource not accessible by integration"})
        attempt(lambda: github(token=GITHUB_TOKEN))
        for n in range(1, 6):
            fake.reply_at[len(fake.log) + n] = reply(
                502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"}
            )
        attempt(lambda: github(token=GITHUB_TOKEN))
    finally:
        github_fake.TOKEN = original

    jira = Run(tmp_path / "jira", "cloud", FakeJira("cloud", dataset("cloud")), rsps)

    def jira_sync() -> None:
        from sync.jira import sync_jira_project

        sync_jira_project(
            jira.config,
            "DS",
            jira.store,
            jira.state,
            JIRA_USER,
            JIRA_TOKEN,
            now=lambda: jira.now,
            sleep=lambda s: None,
        )

    attempt(jira_sync)  # success
    for status in (401, 403, 500, 500, 500, 500, 500, 500):
        jira.fake.fail("/search/jql", status, body='{"errorMessages": ["no"]}')
    attempt(jira_sync)
    attempt(jira_sync)
    attempt(jira_sync)

    assert len(errors) >= 5  # the failure paths did fail
    assert github.store.read("pull_requests").height == 4 and jira.store.read("issues").height == 3
    assert any(r.name.startswith("github") for r in caplog.records)  # PyGithub's DEBUG lines were on
    assert leaks(caplog.text) == []
    assert leaks("\n".join(errors)) == []
    for folder in (github.store.root, jira.store.root):
        for path in (p for p in folder.rglob("*") if p.is_file()):
            assert leaks(path.read_bytes().decode("latin-1")) == [], path


# -- data we do not know ------------------------------------------------------------------------------


def test_unknown_jira_fields_and_changelog_items_do_not_break_the_issue() -> None:
    issue = copy.deepcopy(dataset("cloud")[0])
    issue["fields"]["customfield_10042"] = {"value": "Gold", "child": {"value": "x"}}
    issue["fields"]["priority"] = None
    issue["fields"]["issuetype"] = {"name": "Spike", "hierarchyLevel": 7}
    issue["changelog"]["histories"].append(
        {
            "id": "777",
            "author": None,
            "created": "2026-11-03T09:30:00.000+0545",  # Nepal's quarter-hour offset
            "items": [
                {"field": "Sprint", "fieldtype": "custom", "from": None, "to": "12", "toString": "S12"}
            ],
        }
    )
    rows = normalize_issue(issue, CLOUD_URL)
    assert rows.issues[0]["issue_type"] == "Spike"
    sprint = [row for row in rows.issue_events if row["event_id"] == "777"]
    assert [row["field"] for row in sprint] == ["sprint"]
    assert sprint[0]["at"].isoformat() == "2026-11-03T03:45:00+00:00"
    # plain values only, one per column of the issues table: no nested dict from the unknown fields
    assert set(rows.issues[0]) == set(SCHEMAS["issues"])
    assert {type(v).__name__ for v in rows.issues[0].values()} <= {"str", "list", "datetime", "NoneType"}
