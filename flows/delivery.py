"""The weekly message as a real email: built here, sent through prefect-email or written as .eml.

One message per team, to that team's `email_to` only. The body is `multipart/alternative`
(plain text, then the HTML page) and the page is attached as `<team-slug>.html`. prefect-email's
own `email_send_message` builds `multipart/mixed` and may send from the string 'None', so the
message is built with the standard library and sent through `EmailServerCredentials.get_server()`.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.transport import ForbiddenAddress, check_peer, checked_addresses
from core.config import Config, EmailSettings, plain_address, resolve_secret
from core.errors import DeliveryFailure
from core.store import atomic_write_bytes
from reports.email import WeeklyMessage, one_line

if TYPE_CHECKING:
    from prefect_email import EmailServerCredentials

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30


class DeliveryError(DeliveryFailure):
    """A team's message could not be delivered to at least one of its recipients."""

    def __init__(self, team: str, addresses: Sequence[str], reason: str, kind: str = "team") -> None:
        self.team = team
        self.addresses = list(addresses)
        self.reason = reason
        self.kind = kind  # "team" or "digest"
        where = ", ".join(self.addresses) or "no recipient"
        super().__init__(f"{kind} {one_line(team)!r}: not delivered to {where} ({one_line(reason)})")


@dataclass(frozen=True)
class Delivery:
    """Where a team's message went: the recipients, or the .eml file written instead."""

    team: str
    recipients: list[str]
    eml_path: Path | None = None


def check_address(address: str) -> str:
    """A recipient must be one bare address (email-validator, `core.config.plain_address`);
    anything that could smuggle a header or a recipient is refused."""
    return plain_address(address)


def build_message(
    message: WeeklyMessage, sender: str, recipients: Sequence[str], attachment_name: str
) -> EmailMessage:
    """multipart/mixed( multipart/alternative( text, multipart/related(html, PNGs) ), the page
    as an attachment ); without images the html part stands alone."""
    email = EmailMessage()
    # The subject is already one line; `one_line` again so no caller can add a header.
    email["Subject"] = one_line(message.subject).replace("=?", "= ?")
    email["From"] = one_line(sender)
    email["To"] = ", ".join(check_address(a) for a in recipients)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=_domain(sender))
    email.set_content(message.text, subtype="plain", charset="utf-8")
    email.add_alternative(message.html, subtype="html", charset="utf-8")
    if message.images:
        html_part = email.get_payload()[1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        for image in message.images:
            html_part.add_related(
                image.png,
                maintype="image",
                subtype="png",
                cid=f"<{image.cid}>",
                filename=image.filename,
                disposition="inline",
            )
    page = message.html if message.page is None else message.page
    email.add_attachment(page, subtype="html", charset="utf-8", filename=attachment_name)
    return email


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def default_sender(config: Config) -> str:
    """The From of a message; without [email] a clearly local sender for the .eml files."""
    if config.email is not None and config.email.from_:
        return config.email.from_
    return "Delegation Radar <radar@localhost>"


def write_eml(email: EmailMessage, path: Path) -> Path:
    """The message as a .eml file any mail client opens (CRLF line ends, as sent)."""
    atomic_write_bytes(path, email.as_bytes(policy=SMTP))
    return path


def email_credentials(settings: EmailSettings) -> EmailServerCredentials:
    """prefect-email credentials from [email]: a saved block, or the keys with secrets resolved
    now, at send time (never stored, never logged)."""
    from prefect_email import EmailServerCredentials

    if settings.credentials_block:
        return EmailServerCredentials.load(settings.credentials_block)  # type: ignore[return-value]
    smtp_type = {"starttls": "STARTTLS", "ssl": "SSL", "none": "INSECURE"}[settings.security]
    login: dict[str, str] = {}
    if settings.username and settings.password:
        login = {"username": resolve_secret(settings.username), "password": resolve_secret(settings.password)}
    return EmailServerCredentials(
        smtp_server=settings.smtp_host or "", smtp_port=settings.smtp_port, smtp_type=smtp_type, **login
    )


def send(
    email: EmailMessage, credentials: EmailServerCredentials, team: str, to: Sequence[str] | None = None
) -> None:
    """Send one message to `to` (checked again here) — the envelope recipients are this list,
    never what a mail library reads back out of the To header; raises DeliveryError naming the
    team and every refused address."""
    if to is None:  # the To header as build_message wrote it from checked addresses
        to = [address for _, address in getaddresses(email.get_all("To") or [])]
    try:
        recipients = [check_address(address) for address in to]
    except ValueError as error:
        raise DeliveryError(team, [one_line(a) for a in to], str(error)) from None
    sender = parseaddr(str(email["From"]))[1]
    host = str(credentials.smtp_server)
    try:
        # The SMTP host may not resolve to a metadata or link-local address (connectors.transport).
        checked_addresses(host, int(credentials.smtp_port or 0), "SMTP")
    except ForbiddenAddress as error:
        raise DeliveryError(team, recipients, str(error)) from None
    except OSError:
        pass  # not resolvable: get_server says so below
    try:
        server = credentials.get_server()
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(team, recipients, f"SMTP login refused ({error.smtp_code})") from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(team, recipients, f"SMTP server unreachable: {type(error).__name__}") from None
    try:
        if server.sock is not None:
            check_peer(server.sock, host, "SMTP")  # the address actually connected to
            server.sock.settimeout(SMTP_TIMEOUT_SECONDS)
        refused = server.send_message(email, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as error:
        raise DeliveryError(team, sorted(error.recipients), _codes(error.recipients)) from None
    except smtplib.SMTPSenderRefused as error:
        raise DeliveryError(team, recipients, f"sender {sender} refused ({error.smtp_code})") from None
    except ForbiddenAddress as error:
        raise DeliveryError(team, recipients, str(error)) from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(team, recipients, f"send failed: {type(error).__name__}") from None
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()
    if refused:
        raise DeliveryError(team, sorted(refused), _codes(refused))


def _codes(refused: dict[str, tuple[int, bytes]]) -> str:
    codes = sorted({str(code) for code, _ in refused.values()})
    return f"recipient refused by the server ({', '.join(codes)})"
