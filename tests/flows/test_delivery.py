"""Email to a real SMTP server (aiosmtpd on a loopback port): one message per team, only to that
team's addresses, multipart/alternative with the page attached; a refused recipient for one team
still lets the others through and ends the run with exit code 1 naming team and address."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from flows.cli import app
from flows.delivery import build_message
from reports.email import WeeklyMessage
from tests.flows.workspace import ADDRESSES, TEAM_A, TEAM_B, WEEK, write_workspace

SENDER = "radar@acme.example"


@dataclass
class Mailbox:
    """Records every accepted message; refuses the addresses in `refuse` at RCPT time."""

    refuse: set[str] = field(default_factory=set)
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def email_section(port: int) -> str:
    return (
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\n'
        f'from = "Delegation Radar <{SENDER}>"\n'
    )


@pytest.mark.usefixtures("prefect_harness")
def test_each_team_gets_its_own_message(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    config = write_workspace(tmp_path, extra=email_section(port))
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--offline", "--week", WEEK])
    assert (result.exit_code, result.stderr) == (0, ""), result.stdout

    by_team = {}
    for sender, recipients, message in mailbox.received:
        assert sender == SENDER
        team = TEAM_A if TEAM_A in str(message["Subject"]) else TEAM_B
        by_team[team] = (recipients, message)
    assert len(mailbox.received) == 2 and set(by_team) == {TEAM_A, TEAM_B}
    for team, slug in ((TEAM_A, "churn-retention"), (TEAM_B, "feature-store")):
        recipients, message = by_team[team]
        # Envelope and header: this team's addresses, nobody else's.
        assert recipients == ADDRESSES[team]
        assert [a.addr_spec for a in message["To"].addresses] == ADDRESSES[team]
        assert message["Cc"] is None and message["Bcc"] is None
        assert str(message["From"]) == f"Delegation Radar <{SENDER}>"
        assert str(message["Subject"]).startswith(f"Delegation radar — {team} — week {WEEK}")
        body, attachment = message.iter_parts()
        text, related = body.iter_parts()
        assert (body.get_content_type(), text.get_content_type(), related.get_content_type()) == (
            "multipart/alternative", "text/plain", "multipart/related",
        )  # fmt: skip
        assert f"week {WEEK}" in text.get_content()
        page = (tmp_path / "out" / WEEK / f"{slug}.html").read_text("utf-8")
        assert attachment.get_content().replace("\r\n", "\n") == page  # the mail body is in test_mail.py
        assert attachment.get_filename() == f"{slug}.html"
        assert attachment.get_content_disposition() == "attachment"
        other = TEAM_B if team == TEAM_A else TEAM_A
        assert not set(ADDRESSES[other]) & set(recipients)
    assert not list((tmp_path / "out" / WEEK).glob("*.eml"))


@pytest.mark.usefixtures("prefect_harness")
def test_a_refused_recipient_does_not_stop_the_other_teams(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    mailbox.refuse = {"lead@acme.example"}  # the second address of Feature Store
    config = write_workspace(tmp_path, extra=email_section(port))
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--offline", "--week", WEEK])
    assert result.exit_code == 1
    assert result.stderr == (
        "radar: team 'Feature Store': not delivered to lead@acme.example "
        "(recipient refused by the server (550))\n"
    )
    delivered = sorted(address for _, recipients, _ in mailbox.received for address in recipients)
    assert delivered == ["nino@acme.example", "tamar@acme.example"]


def test_subject_and_recipients_cannot_smuggle_headers() -> None:
    hostile = WeeklyMessage(
        "Team\r\nBcc: x@evil.example\n\u2028=?utf-8?q?=0D=0ABcc:_y@evil.example?=", "<p>x</p>", "x"
    )
    message = build_message(hostile, "Radar <radar@acme.example>", ["nino@acme.example"], "team.html")
    raw = message.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert len(parsed.get_all("Subject") or []) == 1
    assert parsed["Bcc"] is None and b"\r\nBcc:" not in raw
    assert "\n" not in str(parsed["Subject"]) and "\r" not in str(parsed["Subject"])
    with pytest.raises(ValueError, match="not a plain email address"):
        build_message(
            hostile, "Radar <radar@acme.example>", ["a@acme.example\r\nBcc: x@evil.example"], "t.html"
        )
