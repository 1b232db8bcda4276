"""No secret reaches anything we write: run the flows, failure paths included, with sentinel
tokens, then grep every file written (store, state, pages, .eml, logs, PREFECT_HOME, the Prefect
API database with its logs and artifacts) for the sentinel."""

from __future__ import annotations

import base64
import logging
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import PREFECT_HOME
from tests.flows.test_delivery import Mailbox, free_port
from tests.flows.workspace import WEEK, write_workspace

SENTINEL = "sentinel-5e1f0a9c"
SECRETS = {
    "GITHUB_TOKEN": f"ghp_{SENTINEL}_github",
    "JIRA_USER": f"{SENTINEL}_user@acme.example",
    "JIRA_TOKEN": f"{SENTINEL}_jira",
    "SMTP_USER": f"{SENTINEL}_smtp_user",
    "SMTP_PASSWORD": f"{SENTINEL}_smtp_password",
}


class Refuse401(BaseHTTPRequestHandler):
    """GitHub and Jira stand-in: every request is refused with 401; records what was sent."""

    seen: ClassVar[list[str]] = []

    def _refuse(self) -> None:
        Refuse401.seen.append(self.headers.get("Authorization", ""))
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b'{"message": "Bad credentials"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def refusing_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse401)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    """An SMTP server that offers AUTH without TLS and refuses every login."""

    def authenticator(*args: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    port = free_port()
    controller = Controller(
        Mailbox(), hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Every log record of ours, Prefect's and the HTTP libraries', at DEBUG, into one file."""
    path = tmp_path / "all.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    names = ["", "prefect", "prefect.flow_runs", "prefect.task_runs", "urllib3", "jira", "github", "httpx"]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
        handler.close()


def forms(secret: str) -> list[bytes]:
    return [secret.encode(), base64.b64encode(secret.encode())]


def hits(folders: list[Path], needles: list[bytes]) -> list[str]:
    found = []
    for folder in folders:
        for path in [folder] if folder.is_file() else folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [f"{path}: {needle!r}" for needle in needles if needle in data]
    return found


def test_no_secret_in_anything_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefect_harness: str,
    refusing_api: str,
    refusing_smtp: int,
    log_file: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    Refuse401.seen.clear()
    github = (
        f'[github]\nbase_url = "{refusing_api}"\nallow_insecure = true\n'
        'repos = ["acme/churn", "acme/features"]\n'
    )
    jira = (
        f'[jira]\nurl = "{refusing_api}"\nallow_insecure = true\nuser = "env:JIRA_USER"\nprojects = ["DS"]\n'
    )
    smtp = (
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {refusing_smtp}\nsecurity = "none"\n'
        'username = "env:SMTP_USER"\npassword = "env:SMTP_PASSWORD"\nfrom = "Radar <radar@acme.example>"\n'
    )
    with_email = write_workspace(tmp_path / "with-email", extra=smtp, github=github, jira=jira)
    without_email = write_workspace(tmp_path / "without-email", github=github, jira=jira)
    outputs = []
    for args in (
        ["sync", "--config", str(with_email)],  # 401 from GitHub and Jira
        ["run", "--config", str(with_email), "--week", WEEK],  # sync fails, SMTP login refused
        ["run", "--config", str(without_email), "--week", WEEK],  # sync fails, .eml files written
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        outputs.append(result.stdout + result.stderr)
    # The sentinels really were used: the stand-in API received the GitHub token.
    assert any(SECRETS["GITHUB_TOKEN"] in header for header in Refuse401.seen)
    assert "github acme/churn" in outputs[0] and "jira DS" in outputs[0]
    assert "SMTP login refused" in outputs[1]
    assert list((tmp_path / "without-email" / "out" / WEEK).glob("*.eml"))

    captured = capfd.readouterr()
    (tmp_path / "console.txt").write_text("\n".join([*outputs, captured.out, captured.err]), "utf-8")
    needles = [form for secret in SECRETS.values() for form in forms(secret)] + [SENTINEL.encode()]
    written = [tmp_path, Path(PREFECT_HOME), Path(prefect_harness).parent, Path(os.environ["PREFECT_HOME"])]
    # The grep is not vacuous: the log file and the API database hold the runs' failure lines.
    assert b"github acme/features" in log_file.read_bytes()
    assert hits([Path(prefect_harness).parent], [b"github acme/features"])
    assert hits(written, needles) == []
