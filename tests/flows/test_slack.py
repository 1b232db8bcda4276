"""Slack (SPEC §7) through slack_sdk's real WebhookClient against a loopback HTTPS receiver: the
Block Kit summary of a team, 429 and 5xx retried after Retry-After, a refused webhook failing only
that team's Slack delivery (named in the exit line), and the webhook URL never written anywhere."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.state import SyncState
from core.store import Store
from flows.cli import app
from flows.slack import SlackDeliveryError, post_blocks
from tests.flows.slack_receiver import Receiver, serve
from tests.flows.workspace import TEAM_A, TEAM_B, WEEK, at, write_workspace

PAYLOAD = {"text": "hello", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]}


@pytest.fixture(scope="module")
def receiver_and_ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Receiver, Path]]:
    yield from serve(tmp_path_factory.mktemp("slack-tls"))


@pytest.fixture
def receiver(receiver_and_ca: tuple[Receiver, Path], monkeypatch: pytest.MonkeyPatch) -> Receiver:
    """The receiver, trusted by urllib's default TLS context (no verification turned off)."""
    receiver, ca = receiver_and_ca
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    receiver.received.clear()
    return receiver


def test_a_message_is_posted_once(receiver: Receiver) -> None:
    url = receiver.hook("ok")
    post_blocks(url, PAYLOAD, TEAM_A, "env:SLACK_WEBHOOK_URL")
    assert [r.payload for r in receiver.to("ok")] == [PAYLOAD]


def test_429_is_retried_after_retry_after(receiver: Receiver) -> None:
    url = receiver.hook("busy", (429, {"Retry-After": "1"}, "rate_limited"), (200, {}, "ok"))
    start = time.monotonic()
    post_blocks(url, PAYLOAD, TEAM_A, "env:SLACK_WEBHOOK_URL")
    first, second = receiver.to("busy")
    assert second.at - first.at >= 1.0  # waited as long as Retry-After asked
    assert time.monotonic() - start < 10


def test_5xx_is_retried_then_delivered(receiver: Receiver) -> None:
    url = receiver.hook(
        "flaky", (503, {"Retry-After": "0"}, "unavailable"), (500, {"Retry-After": "0"}, "x"), (200, {}, "ok")
    )
    post_blocks(url, PAYLOAD, TEAM_A, "env:SLACK_WEBHOOK_URL")
    assert len(receiver.to("flaky")) == 3


def test_a_server_that_stays_busy_fails_after_bounded_retries(receiver: Receiver) -> None:
    url = receiver.hook("down", (503, {"Retry-After": "0"}, "unavailable"))
    with pytest.raises(SlackDeliveryError, match=r"webhook refused: 503 unavailable"):
        post_blocks(url, PAYLOAD, TEAM_A, "env:SLACK_WEBHOOK_URL")
    assert len(receiver.to("down")) == 4  # the first attempt and 3 retries


def test_a_refused_webhook_names_the_team_not_the_url(receiver: Receiver) -> None:
    url = receiver.hook("gone", (404, {}, "no_service"))
    with pytest.raises(SlackDeliveryError) as caught:
        post_blocks(url, PAYLOAD, TEAM_B, "env:FS_HOOK")
    assert (
        str(caught.value)
        == "team 'Feature Store': Slack not delivered to env:FS_HOOK (webhook refused: 404 no_service)"
    )
    assert len(receiver.to("gone")) == 1  # a refusal is not retried
    with pytest.raises(SlackDeliveryError, match="not an https:// URL"):
        post_blocks("http://127.0.0.1:9/services/x", PAYLOAD, TEAM_B, "env:FS_HOOK")


@pytest.mark.usefixtures("prefect_harness")
def test_a_refused_webhook_fails_only_that_team_and_channel(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    shared = receiver.hook("shared")
    refused = receiver.hook("refused", (403, {}, "invalid_token"))
    monkeypatch.setenv("SLACK_WEBHOOK_URL", shared)
    monkeypatch.setenv("FS_WEBHOOK", refused)
    config = write_workspace(tmp_path, extra='[slack]\nwebhook = "env:SLACK_WEBHOOK_URL"\n')
    text = config.read_text("utf-8").replace(
        "jira_projects = []", 'jira_projects = []\nslack_webhook = "env:FS_WEBHOOK"'
    )
    config.write_text(text, "utf-8")
    state = SyncState(Store(tmp_path / "data"))
    for source, name in (("github", "acme/churn"), ("github", "acme/features"), ("jira", "DS")):
        state.set_cursor(source, name, at(6, 12))

    result = CliRunner().invoke(app, ["run", "--config", str(config), "--offline", "--week", WEEK])
    assert result.exit_code == 1
    assert result.stderr == (
        "radar: team 'Feature Store': Slack not delivered to env:FS_WEBHOOK "
        "(webhook refused: 403 invalid_token)\n"
    )
    # Churn & Retention got its summary on the shared webhook; its email (.eml here) was written too.
    (posted,) = receiver.to("shared")
    assert posted.payload["blocks"][0]["text"]["text"].startswith(f"{TEAM_A} — Week {WEEK}: Mon 2 Mar 2026")
    assert len(receiver.to("refused")) == 1
    assert sorted(p.name for p in (tmp_path / "out" / WEEK).glob("*.eml")) == [
        "churn-retention.eml",
        "feature-store.eml",
    ]
    # The webhook URLs are secrets: in no output, log, ledger or page.
    captured = capfd.readouterr()
    everything = result.stdout + result.stderr + captured.out + captured.err
    everything += "".join(
        p.read_text("utf-8", "replace") for p in (tmp_path / "out").rglob("*") if p.is_file()
    )
    assert "/services/" not in everything and receiver.url not in everything
