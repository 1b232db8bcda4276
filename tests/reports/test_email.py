"""The weekly message's subject can never carry a second header; the text part is a summary."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from reports.email import lights_in_words, one_line, weekly_message
from reports.render import PageContext, team_page
from tests.reports.factory import TeamWeekFactory, checklist, empty_evidence, grey_summary


def test_subject_counts_the_lights(team_week: TeamWeekFactory) -> None:
    message = weekly_message(team_week(), "<html></html>")
    # busy week: coding yellow, reviews red, tactical red, strategic yellow, decisions red
    assert message.subject == "Delegation radar — Churn & Retention — week 2026-W47: 3 red, 2 yellow"


def test_subject_all_green_and_no_data(team_week: TeamWeekFactory) -> None:
    tw = team_week()
    green = {**tw.to_json(), "checklist": checklist("green", "green", "green", "green", "grey")}
    message = weekly_message(team_week(summary=green), "")
    assert message.subject.endswith("week 2026-W47: all green")  # a grey light is no red or yellow
    assert "[Green] Coding share within the target" in message.text
    grey = team_week(summary=grey_summary("Churn & Retention", 3), frames=empty_evidence())
    assert weekly_message(grey, "").subject.endswith("week 2026-W47: no data")


@pytest.mark.parametrize(
    ("colours", "words"),
    [
        (["red", "red", "yellow", "green", "grey"], "2 red, 1 yellow"),
        (["yellow", "green"], "1 yellow"),
        (["red"], "1 red"),
        (["green", "grey"], "all green"),
        (["grey", "grey"], "no data"),
        ([], "no data"),
    ],
)
def test_lights_in_words(colours: list[str], words: str) -> None:
    assert lights_in_words(colours) == words


HOSTILE_NAMES = [
    "Ops\r\nBcc: x@evil.example",
    "Ops\nBcc: x@evil.example",
    "Ops\rBcc: x@evil.example",
    "Ops\n",
    "Ops\u2028Bcc: x@evil.example",
    "Ops\u2029Bcc: x@evil.example",
    "Ops\x85Bcc: x@evil.example",
    "Ops\x0bBcc:\x0cx@evil.example",
    "Ops\x00Bcc: x@evil.example",
    "=?utf-8?q?Ops=0D=0ABcc:_x@evil.example?=",
    "Ops%0D%0ABcc: x@evil.example",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_subject_cannot_inject_a_header(team_week: TeamWeekFactory, name: str) -> None:
    subject = weekly_message(team_week(name=name), "<p>page</p>").subject
    assert subject == one_line(subject)
    assert not any(ch in subject for ch in "\r\n\x85\x0b\x0c\x00\u2028\u2029")
    assert subject.startswith("Delegation radar — ") and "Ops" in subject
    # The whole way through the mail library: one Subject header, no Bcc, the To we set.
    mail = EmailMessage(policy=SMTP)
    mail["From"] = "Radar <radar@acme.example>"
    mail["To"] = "nino@acme.example"
    mail["Subject"] = subject
    mail.set_content("text")
    parsed = message_from_bytes(mail.as_bytes(), policy=SMTP)
    assert len(parsed.get_all("Subject") or []) == 1
    assert parsed.get_all("Bcc") is None
    assert parsed.get_all("To") == ["nino@acme.example"]
    assert str(parsed["Subject"]) == subject


def test_one_line_collapses_runs_of_space() -> None:
    assert one_line("  a \r\n\t b\u2028 ") == "a b"
    assert one_line(None) == ""


def test_text_part_lists_steps_and_links_only_to_allowed_hosts(team_week: TeamWeekFactory) -> None:
    tw = team_week()
    text = weekly_message(tw, "", allowed_hosts={"github.com"}).text
    assert "[Red] Reviews not waiting on you" in text
    assert "Next step: Act on reviews." in text
    assert "<https://github.com/acme/churn-model/pull/42>" in text
    assert "acme.atlassian.net" not in text  # Jira host not allowed here: the key without a link
    assert "DS-7 (implementation) Which retention window?" in text
    assert "46 % (18.5 h)" in text  # 18.5 h / 40 h = 0.4625


def test_text_part_of_a_grey_week(team_week: TeamWeekFactory) -> None:
    tw = team_week(summary=grey_summary("Solo", 1), frames=empty_evidence(), name="Solo", size=1)
    text = weekly_message(tw, "").text
    assert "[No data] Coding share within the target" in text
    assert "Coding share: no data" in text
    assert "Next step" not in text


def test_message_carries_the_page(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week()
    html = team_page(tw, [tw], context)
    assert weekly_message(tw, html).html == html
