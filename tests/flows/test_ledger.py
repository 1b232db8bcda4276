"""No double sends (SPEC §7): every delivery is recorded in out/<week>/deliveries.json; a second
run of the week sends only what was not delivered, `--resend` sends again; a run killed after 3
of 5 teams, run again, delivers the other 2 once each."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from core.store import StoreError
from flows.cli import app
from flows.ledger import DELIVERED, Ledger
from tests.flows.test_delivery import email_section, free_port
from tests.flows.workspace import ADDRESSES, TEAM_A, TEAM_B, WEEK, write_workspace

ROOT = Path(__file__).resolve().parents[2]
MORE_TEAMS = ("Pricing", "Search", "Ads")


@dataclass
class Inbox:
    """Accepts messages; when `kill_at` is set, kills `pid` instead of accepting that message."""

    received: list[tuple[list[str], str]] = field(default_factory=list)
    kill_at: int | None = None
    pid: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.kill_at is not None and len(self.received) + 1 == self.kill_at and self.pid:
            os.kill(self.pid, signal.SIGKILL)  # the run dies in the middle of this send
            return "451 try again later"
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        subject = str(message["Subject"])
        self.received.append((list(envelope.rcpt_tos), subject))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def test_the_ledger_counts_only_deliveries(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / WEEK)
    assert not ledger.delivered("team", TEAM_A, "email")
    ledger.record("team", TEAM_A, "email", ["nino@acme.example"], "failed: recipient refused (550)")
    assert not ledger.delivered("team", TEAM_A, "email")
    ledger.record("team", TEAM_A, "email", ["nino@acme.example"], DELIVERED)
    assert ledger.delivered("team", TEAM_A, "email")
    assert not ledger.delivered("team", TEAM_A, "slack") and not ledger.delivered("digest", TEAM_A, "email")
    document = json.loads((tmp_path / WEEK / "deliveries.json").read_text("utf-8"))
    assert document["week"] == WEEK
    assert [
        (e["kind"], e["name"], e["channel"], e["recipients"], e["result"]) for e in document["deliveries"]
    ] == [
        ("team", TEAM_A, "email", ["nino@acme.example"], "failed: recipient refused (550)"),
        ("team", TEAM_A, "email", ["nino@acme.example"], "delivered"),
    ]
    (tmp_path / WEEK / "deliveries.json").write_text("{not json", "utf-8")
    with pytest.raises(StoreError, match=r"deliveries\.json is damaged"):
        ledger.delivered("team", TEAM_A, "email")


DIGEST = '[[digests]]\nname = "Data org"\nemail_to = ["director@acme.example"]\n'


@pytest.mark.usefixtures("prefect_harness")
def test_a_second_run_sends_nothing_and_resend_sends_again(tmp_path: Path, inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    config = write_workspace(tmp_path, extra=email_section(port) + DIGEST)
    run = ["run", "--config", str(config), "--offline", "--week", WEEK]
    first = CliRunner().invoke(app, run)
    assert (first.exit_code, first.stderr) == (0, ""), first.stdout
    # One message per team and one for the digest, each to its own recipients.
    assert sorted(r for rcpt, _ in box.received for r in rcpt) == sorted(
        [*ADDRESSES[TEAM_A], *ADDRESSES[TEAM_B], "director@acme.example"]
    )
    digest = [subject for rcpt, subject in box.received if rcpt == ["director@acme.example"]]
    assert len(digest) == 1 and "Data org" in digest[0]

    second = CliRunner().invoke(app, run)
    assert second.exit_code == 0 and len(box.received) == 3  # nothing sent twice
    entries = json.loads((tmp_path / "out" / WEEK / "deliveries.json").read_text("utf-8"))["deliveries"]
    assert len(entries) == 3  # skipped deliveries are not attempts

    third = CliRunner().invoke(app, [*run, "--resend"])
    assert third.exit_code == 0 and len(box.received) == 6
    entries = json.loads((tmp_path / "out" / WEEK / "deliveries.json").read_text("utf-8"))["deliveries"]
    assert [(e["kind"], e["result"]) for e in entries].count(("team", "delivered")) == 4
    assert [(e["kind"], e["name"]) for e in entries].count(("digest", "Data org")) == 2


def five_team_workspace(folder: Path, port: int) -> Path:
    """The workspace with three more teams (five in all) and one delivery at a time."""
    config = write_workspace(folder, extra=email_section(port) + "[runner]\nmax_workers = 1\n")
    more = "".join(
        f'\n[[teams]]\nname = "{name}"\nmanager = "nino"\nemail_to = ["{name.lower()}@acme.example"]\n'
        for name in MORE_TEAMS
    )
    config.write_text(config.read_text("utf-8") + more, "utf-8")
    return config


def radar(config: Path, api_url: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PREFECT_API_URL": api_url}
    command = [sys.executable, "-m", "flows.cli", "run", "--config", str(config), "--offline", "--week", WEEK]
    return subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_killed_after_three_teams_delivers_the_other_two_once(
    tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    from prefect.settings import PREFECT_API_URL

    box, port = inbox
    config = five_team_workspace(tmp_path, port)
    api_url = str(PREFECT_API_URL.value())

    box.kill_at = 4
    crashed = radar(config, api_url)
    box.pid = crashed.pid
    crashed.communicate(timeout=240)
    assert crashed.returncode == -signal.SIGKILL
    assert len(box.received) == 3
    ledger = Ledger(tmp_path / "out" / WEEK)
    delivered_first = {e.name for e in ledger.entries() if e.result == DELIVERED}
    assert len(delivered_first) == 3

    box.kill_at = None
    rerun = radar(config, api_url)
    out, err = rerun.communicate(timeout=240)
    assert rerun.returncode == 0, (out.decode()[-2000:], err.decode())
    everyone = [*ADDRESSES[TEAM_A], *ADDRESSES[TEAM_B], *(f"{n.lower()}@acme.example" for n in MORE_TEAMS)]
    received = sorted(r for rcpt, _ in box.received for r in rcpt)
    assert received == sorted(everyone)  # all five teams, each exactly once
    delivered = [e.name for e in ledger.entries() if e.result == DELIVERED]
    assert sorted(delivered) == sorted([TEAM_A, TEAM_B, *MORE_TEAMS])
    assert not set(delivered[3:]) & delivered_first  # the rerun sent only the other two
