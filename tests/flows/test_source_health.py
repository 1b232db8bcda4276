"""A fresh install whose tokens are refused mails no team "all green": the sync reports its
failure per source, and each team's lights fed by a failed or never-synced source are grey with
the reason, in the subject, the text part and the page (SPEC §7, never a false all-clear)."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from core.state import SyncState
from core.store import Store
from flows.cli import app
from tests.flows.test_delivery import Mailbox, email_section, free_port
from tests.flows.test_secrets import Refuse401
from tests.flows.workspace import TEAM_A, TEAM_B, WEEK, at, write_workspace


@pytest.fixture
def mail_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a loopback port, recording every message."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def refusing_api() -> Iterator[str]:
    """GitHub and Jira stand-in on loopback that answers every request 401."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse401)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def parts(message: object) -> dict[str, str]:
    """content type -> text of every text part of a parsed message (attachments included)."""
    found: dict[str, str] = {}
    for part in message.walk():  # type: ignore[attr-defined]
        if part.get_content_maintype() == "text" and part.get_content_disposition() != "attachment":
            found.setdefault(part.get_content_type(), part.get_content())
    return found


@pytest.mark.usefixtures("prefect_harness")
def test_refused_tokens_on_a_fresh_install_mail_no_all_clear(
    tmp_path: Path, refusing_api: str, mail_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox, port = mail_server
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_refused")
    monkeypatch.setenv("JIRA_TOKEN", "jira-token-refused")
    github = (
        f'[github]\nbase_url = "{refusing_api}"\nallow_insecure = true\n'
        'repos = ["acme/churn", "acme/features"]\n'
    )
    jira = f'[jira]\nurl = "{refusing_api}"\nallow_insecure = true\nprojects = ["DS"]\n'
    config = write_workspace(tmp_path, extra=email_section(port), github=github, jira=jira)
    shutil.rmtree(tmp_path / "data")  # a fresh install: nothing in the store, no sync state

    result = CliRunner().invoke(app, ["run", "--config", str(config), "--week", WEEK])
    assert result.exit_code == 1
    assert "github acme/churn" in result.stderr and "jira DS" in result.stderr

    subjects = {str(m["Subject"]) for _, _, m in mailbox.received}
    assert len(subjects) == 2
    for subject in subjects:
        assert "all green" not in subject and subject.endswith(": data incomplete")
    by_team = {TEAM_A if TEAM_A in str(m["Subject"]) else TEAM_B: m for _, _, m in mailbox.received}
    text = parts(by_team[TEAM_A])["text/plain"]
    assert "GitHub sync failed: acme/churn:" in text and "Jira sync failed: DS:" in text
    # Feature Store reads no Jira (jira_projects = []): only its GitHub repo is named.
    text_b = parts(by_team[TEAM_B])["text/plain"]
    assert "GitHub sync failed: acme/features:" in text_b and "Jira" not in text_b
    # metrics.json stays the metrics' truth; the page shows the grey lights and why.
    page = (tmp_path / "out" / WEEK / "churn-retention.html").read_text("utf-8")
    assert "Not judged:</strong> GitHub sync failed: acme/churn:" in page
    metrics = json.loads((tmp_path / "out" / WEEK / "metrics.json").read_text("utf-8"))
    # An empty store measures a 0 % coding share (green): the metrics say so, the page does not.
    measured = {i["item"]: i["colour"] for i in metrics["teams"][0]["checklist"]}
    assert measured["coding"] == "green" and "reason" not in metrics["teams"][0]["checklist"][0]


@pytest.mark.usefixtures("prefect_harness")
def test_offline_run_of_a_never_synced_store_says_so(
    tmp_path: Path, mail_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = mail_server
    config = write_workspace(tmp_path, extra=email_section(port))  # data, but no sync state at all
    state = SyncState(Store(tmp_path / "data"))
    state.set_cursor("github", "acme/churn", at(6, 12))
    state.set_cursor("github", "acme/features", at(6, 12))  # Jira DS never synced
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--offline", "--week", WEEK])
    assert (result.exit_code, result.stderr) == (0, ""), result.stdout
    by_team = {TEAM_A if TEAM_A in str(m["Subject"]) else TEAM_B: m for _, _, m in mailbox.received}
    assert str(by_team[TEAM_A]["Subject"]).split(": ", 1)[1].startswith("data incomplete")
    assert "no data synced yet (Jira DS)" in parts(by_team[TEAM_A])["text/plain"]
    # Feature Store reads only GitHub, which synced: its subject is the plain count of lights.
    assert "data incomplete" not in str(by_team[TEAM_B]["Subject"])
