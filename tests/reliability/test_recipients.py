"""Recipients: every `email_to` entry is checked by email-validator when the config loads (an
encoded word that a mail library would decode into a second address, a trailing line break, a
display name, two addresses in one), and a message goes, on a real SMTP server, to exactly the
checked list given to `send` — never to what a parser reads back out of the To header."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from core.config import ConfigError, load_config, parse_config
from flows.delivery import DeliveryError, build_message, email_credentials, send
from reports.email import WeeklyMessage
from tests.flows.test_delivery import Mailbox, free_port

ENCODED_WORD = "=?utf-8?q?attacker=40evil.example=2C?=nino@acme.example"


@pytest.mark.parametrize(
    "address",
    [
        ENCODED_WORD,  # before: accepted; a mail library decoded it into attacker@evil.example, …
        "=?utf-8?b?YXR0YWNrZXJAZXZpbC5leGFtcGxl?=@acme.example",
        "nino@acme.example\n",  # before: accepted (the regex's `$` matches before a final newline)
        "nino@acme.example\r\nBcc: x@evil.example",
        "Nino <nino@acme.example>",
        "nino@acme.example, x@evil.example",
        '"nino"@acme.example',
        "nino@[127.0.0.1]",
        "nino@localhost",
        "",
    ],
)
def test_an_address_that_is_not_one_plain_mailbox_is_a_config_error(tmp_path: Path, address: str) -> None:
    path = tmp_path / "radar.toml"
    escaped = address.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    path.write_text(
        f'[[people]]\nid = "nino"\n\n[[teams]]\nname = "Churn"\nmanager = "nino"\nemail_to = ["{escaped}"]\n',
        "utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [p.split(":")[0] for p in caught.value.problems] == ["teams[0].email_to[0]"]


def test_plain_addresses_load_normalised() -> None:
    config = parse_config(
        {
            "people": [{"id": "n"}],
            "teams": [{"name": "T", "manager": "n", "email_to": ["Nino.B@Acme.Example"]}],
        }
    )
    assert config.teams[0].email_to == ["Nino.B@acme.example"]


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


def credentials(port: int) -> Any:
    config = parse_config(
        {
            "email": {
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "security": "none",
                "from": "Radar <radar@acme.example>",
            }
        }
    )
    assert config.email is not None
    return email_credentials(config.email)


CONTENT = WeeklyMessage("Delegation radar — Churn — week 2026-W10: all green", "<p>page</p>", "text")


def test_the_envelope_holds_exactly_the_checked_list(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    message = build_message(CONTENT, "Radar <radar@acme.example>", ["nino@acme.example"], "churn.html")
    # A To header that a parser would read as two addresses: the envelope follows the list given.
    del message["To"]
    message["To"] = "nino@acme.example, attacker@evil.example"
    send(message, credentials(port), "Churn", ["nino@acme.example"])
    ((sender, recipients, received),) = mailbox.received
    assert sender == "radar@acme.example"
    assert recipients == ["nino@acme.example"]
    assert received["Subject"].startswith("Delegation radar — Churn")


def test_an_encoded_word_recipient_is_refused_before_any_connection(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    with pytest.raises(ValueError, match="encoded header word"):
        build_message(CONTENT, "Radar <radar@acme.example>", [ENCODED_WORD], "churn.html")
    # Even handed straight to send (a caller that skipped the config): refused, nothing sent.
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"], message["Subject"] = "radar@acme.example", "week"
    message.set_content("x")
    with pytest.raises(DeliveryError, match="encoded header word"):
        send(message, credentials(port), "Churn", [ENCODED_WORD])
    assert mailbox.received == []
