"""The weekly email as mail clients get it (SPEC §7), through a real SMTP server on loopback:
parsed back, its HTML part is a 640 px table layout with inline styles only, PNG charts carried as
cid: images with alt text that states the numbers, no SVG, script, form or remote load, no
file:// link; the plain text has the five lights, next steps and waiting lists; the page is
attached; the whole message is under 300 KB. Then the HTML part, its <style> removed, is shown
in the real Chromium at 600 px with all five lights visible (screenshots in out/screenshots/)."""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from core.state import SyncState
from core.store import Store
from flows.cli import app
from reports.render import CHECKLIST_TITLES
from tests.flows.test_delivery import email_section, free_port
from tests.flows.workspace import TEAM_A, TEAM_B, WEEK, at, write_workspace
from tests.reports.browser import chromium, chromium_path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
MAX_BYTES = 300 * 1024
SLUGS = {TEAM_A: "churn-retention", TEAM_B: "feature-store"}


@dataclass
class RawMailbox:
    """Keeps every accepted message as the bytes that came over the wire."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted"


@dataclass(frozen=True)
class Sent:
    raw: bytes
    message: EmailMessage
    folder: Path


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory, prefect_harness: str) -> Iterator[dict[str, Sent]]:
    """`radar run --offline` of the two-team workspace against a real SMTP server; team -> mail."""
    mailbox, port = RawMailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        folder = tmp_path_factory.mktemp("mail")
        config = write_workspace(folder, extra=email_section(port))
        state = SyncState(Store(folder / "data"))
        for source, name in (("github", "acme/churn"), ("github", "acme/features"), ("jira", "DS")):
            state.set_cursor(source, name, at(6, 12))  # every source synced: the lights are measured
        result = CliRunner().invoke(app, ["run", "--config", str(config), "--offline", "--week", WEEK])
        assert (result.exit_code, result.stderr) == (0, ""), result.stdout
    finally:
        controller.stop()
    by_team = {}
    for _, raw in mailbox.received:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        team = TEAM_A if TEAM_A in str(message["Subject"]) else TEAM_B
        by_team[team] = Sent(raw, message, folder / "out" / WEEK)  # type: ignore[arg-type]
    assert set(by_team) == {TEAM_A, TEAM_B}
    yield by_team


def structure(part: EmailMessage) -> Any:
    """The MIME tree as nested (content type, children) tuples."""
    if part.is_multipart():
        return (part.get_content_type(), [structure(p) for p in part.iter_parts()])  # type: ignore[arg-type]
    return part.get_content_type()


def mail_parts(message: EmailMessage) -> tuple[str, str, EmailMessage, list[EmailMessage], EmailMessage]:
    body, attachment = message.iter_parts()
    text, related = body.iter_parts()  # type: ignore[attr-defined]
    html, *images = related.iter_parts()  # type: ignore[attr-defined]
    plain = text.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
    return plain, html.get_content(), related, images, attachment  # type: ignore[return-value]


@pytest.mark.parametrize("team", [TEAM_A, TEAM_B])
def test_the_message_is_multipart_related_with_cid_charts(sent: dict[str, Sent], team: str) -> None:
    message = sent[team].message
    assert structure(message) == (
        "multipart/mixed",
        [
            ("multipart/alternative", [
                "text/plain",
                ("multipart/related", ["text/html", "image/png", "image/png", "image/png"]),
            ]),
            "text/html",
        ],
    )  # fmt: skip
    assert len(sent[team].raw) < MAX_BYTES
    _, html, _, images, attachment = mail_parts(message)
    # Every cid: in the HTML resolves to an image part, and every image part is used.
    cids = {str(image["Content-ID"]).strip("<>") for image in images}
    referenced = re.findall(r'src="cid:([^"]+)"', html)
    assert sorted(referenced) == sorted(cids) and len(cids) == 3
    for image in images:
        assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")  # type: ignore[union-attr]
        assert image.get_content_disposition() == "inline"
    # The page itself is attached, byte for byte the file written beside metrics.json.
    assert attachment.get_filename() == f"{SLUGS[team]}.html"
    assert attachment.get_content_disposition() == "attachment"
    page = (sent[team].folder / f"{SLUGS[team]}.html").read_text("utf-8")
    assert attachment.get_content().replace("\r\n", "\n") == page


@pytest.mark.parametrize("team", [TEAM_A, TEAM_B])
def test_the_html_part_is_what_mail_clients_show(sent: dict[str, Sent], team: str) -> None:
    _, html, _, _, _ = mail_parts(sent[team].message)
    lowered = html.lower()
    for forbidden in ("<svg", "<script", "<form", "<style", "<link", "<iframe", "url(", "@import"):
        assert forbidden not in lowered, forbidden
    assert "file://" not in sent[team].raw.decode("ascii", "replace").lower()
    # Nothing loaded from anywhere: every src is a cid: image.
    assert all(src.startswith("cid:") for src in re.findall(r'\ssrc="([^"]*)"', html))
    # Table layout no wider than 640 px.
    widths = [int(w) for w in re.findall(r'\swidth="(\d+)"', html)]
    assert widths and max(widths) <= 640
    assert "max-width: 640px" in html
    # Styles are inline: the lights carry their colours in style= attributes.
    lights = re.findall(r'<td[^>]*data-light="(\w+)"[^>]*>', html)
    assert len(lights) == 5
    assert all("background-color:" in cell for cell in re.findall(r"<td[^>]*data-light=[^>]*>", html))
    # Alt text states each number.
    alts = re.findall(r'<img[^>]*\salt="([^"]*)"', html)
    assert len(alts) == 3 and all(re.search(r"\d", alt) or "no data" in alt for alt in alts)


def test_alt_text_states_the_numbers_of_metrics_json(sent: dict[str, Sent]) -> None:
    metrics = json.loads((sent[TEAM_A].folder / "metrics.json").read_text("utf-8"))
    coding = metrics["teams"][0]["coding"]
    reviews = metrics["teams"][0]["reviews"]
    _, html, _, _, _ = mail_parts(sent[TEAM_A].message)
    alts = re.findall(r'<img[^>]*\salt="([^"]*)"', html)
    share = f"{round(coding['share'] * 100)} %"
    assert alts[0] == f"Coding share: {share}, target below {round(coding['target'] * 100)} %"
    assert alts[1].endswith(share)  # the last week of the sparkline is this one
    you = "no data" if reviews["manager_pickup_hours"] is None else f"{reviews['manager_pickup_hours']:.1f} h"
    assert f"You: {you}" in alts[2]


@pytest.mark.parametrize("team", [TEAM_A, TEAM_B])
def test_the_plain_text_has_lights_next_steps_and_waiting_lists(sent: dict[str, Sent], team: str) -> None:
    text, _, _, _, _ = mail_parts(sent[team].message)
    metrics = json.loads((sent[team].folder / "metrics.json").read_text("utf-8"))
    entry = next(t for t in metrics["teams"] if t["team"] == team)
    words = {"green": "Green", "yellow": "Yellow", "red": "Red", "grey": "No data"}
    for light in entry["checklist"]:
        line = f"[{words[light['colour']]}] {CHECKLIST_TITLES[light['item']]}"
        assert line in text
    steps = text.count("Next step:")
    assert steps == sum(light["colour"] in ("red", "yellow") for light in entry["checklist"])
    for waiting in entry["reviews"]["waiting_on_manager"]:
        assert f"{waiting['repo']}#{waiting['number']}" in text
    for category in ("strategic", "implementation", "tactical"):
        for pending in entry["decisions"].get(category, {}).get("pending", []):
            assert pending["key"] in text
    assert "How the numbers are computed" in text and "definitions.html" in text


def test_the_workspace_exercises_the_waiting_lists(sent: dict[str, Sent]) -> None:
    """The scenario is not vacuous: Churn & Retention has a PR waiting on its manager."""
    text, html, _, _, _ = mail_parts(sent[TEAM_A].message)
    assert "Pull requests waiting on your review\n  acme/churn#" in text
    assert 'href="https://github.com/acme/churn/pull/' in html


def test_definitions_page_is_beside_the_pages(sent: dict[str, Sent]) -> None:
    folder = sent[TEAM_A].folder
    definitions = (folder / "definitions.html").read_text("utf-8")
    assert 'id="how-the-numbers-are-computed"' in definitions
    page = (folder / "churn-retention.html").read_text("utf-8")
    assert 'href="definitions.html#how-the-numbers-are-computed"' in page and "file://" not in page


@pytest.mark.parametrize("team", [TEAM_A, TEAM_B])
def test_the_mail_renders_at_600px_without_its_stylesheet(
    sent: dict[str, Sent], team: str, tmp_path: Path
) -> None:
    executable = chromium_path()
    if executable is None:
        pytest.fail("Chromium is needed: run `make browser` (apt-get install chromium)")
    _, html, _, images, _ = mail_parts(sent[team].message)
    # As a mail client does: cid: images from the message parts; any <style> gone.
    for image in images:
        name = str(image["Content-ID"]).strip("<>")
        (tmp_path / f"{name}.png").write_bytes(image.get_content())  # type: ignore[arg-type]
        html = html.replace(f"cid:{name}", f"{name}.png")
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S | re.I)
    path = tmp_path / "mail.html"
    path.write_text(html, "utf-8")
    with chromium(executable) as browser:
        report = browser.load(path.as_uri(), 600, scripts=False)
        # Only the page and its own images were loaded: nothing from the network.
        assert all(url.startswith(tmp_path.as_uri()) for url in report.requests), report.requests
        assert browser.evaluate("document.documentElement.scrollWidth") <= 600
        lights = browser.evaluate(
            """[...document.querySelectorAll('[data-light]')].map(td => {
                 const r = td.getBoundingClientRect(), s = getComputedStyle(td);
                 return {text: td.innerText.trim(), left: r.left, right: r.right,
                         height: r.height, background: s.backgroundColor,
                         visible: s.visibility === 'visible' && s.display !== 'none'};
               })"""
        )
        assert len(lights) == 5
        for light in lights:
            assert light["visible"] and light["height"] > 10 and 0 <= light["left"] < light["right"] <= 600
            assert light["text"].split(" ", 1)[1] in ("Green", "Yellow", "Red", "No data")
            assert light["background"] not in ("rgba(0, 0, 0, 0)", "transparent")
        images_shown = browser.evaluate(
            "[...document.images].map(i => i.complete && i.naturalWidth > 0"
            " && i.getBoundingClientRect().right <= 600)"
        )
        assert images_shown == [True, True, True]
        browser.screenshot(SCREENSHOTS / f"mail-{SLUGS[team]}-600.png", 600)
