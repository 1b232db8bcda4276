"""The weekly message's plain-text part, line by line, and what the message carries beside it.

The mail clients that show no HTML show this text; the expected lines are written from the
factory's busy week (tests/reports/factory.py): coding 18.5 h of 40 h = 0.4625, target 0.4;
review share 0.6; pickup 30.25 h (you) and 4.5 h (team); two pull requests waiting 70 h and 5 h;
DS-7 waiting 80 h.
"""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from reports.email import one_line, subject_words, weekly_message, weekly_subject, weekly_text
from reports.health import mark_incomplete
from reports.mail import DEFINITIONS, InlineImage, MailBody
from tests.reports.factory import HOSTS, grey_summary, make_team_week

HEAD = [
    "Delegation radar — Churn & Retention — week 2026-W47",
    "Manager: Nino B. · team size 3",
    # 2026-W47: Monday 16 November to Sunday 22 November
    "Mon 16 Nov 2026 – Sun 22 Nov 2026",
    "",
]
NUMBERS = [
    "",
    # 0.4625 -> 46 %; 18.5 -> "18.5 h"; 0.4 -> 40 %
    "Coding share: 46 % (18.5 h), target below 40 %",
    # 0.6 -> 60 %; 30.25 with one decimal (half to even, as Python formats) -> 30.2 h
    "Your review share: 60 %; pickup: you 30.2 h, team 4.5 h",
]
TAIL = [
    "",
    "How the numbers are computed",
    *[f"  {term}: {text}" for term, text in DEFINITIONS],
    "",
    "The full report is attached; every definition is in definitions.html beside the report pages.",
]


def test_the_busy_week_in_plain_text_with_links_to_the_known_hosts() -> None:
    expected = [
        *HEAD,
        "Friday checklist",
        "  [Yellow] Coding share within the target",
        "      Next step: Act on coding.",
        "  [Red] Reviews not waiting on you",
        "      Next step: Act on reviews.",
        "  [Red] The team owns tactical decisions",
        "      Next step: Act on tactical_ownership.",
        "  [Yellow] You are in the strategic work",
        "      Next step: Act on strategic_involvement.",
        "  [Red] Decisions answered quickly",
        "      Next step: Act on decisions.",
        *NUMBERS,
        "",
        "Pull requests waiting on your review",
        "  acme/churn-model#42 Speed up feature joins — waiting 70.0 h "
        "<https://github.com/acme/churn-model/pull/42>",
        "  acme/churn-model#43 Bump polars — waiting 5.0 h <https://github.com/acme/churn-model/pull/43>",
        "",
        "Decisions waiting on you",
        "  DS-7 (implementation) Which retention window? — waiting 80.0 h "
        "<https://acme.atlassian.net/browse/DS-7>",
        *TAIL,
    ]
    assert weekly_text(make_team_week(), HOSTS).split("\n") == [*expected, ""]


def test_no_link_to_a_host_that_is_not_configured() -> None:
    text = weekly_text(make_team_week(), allowed_hosts={"github.com"})
    assert (
        "  acme/churn-model#43 Bump polars — waiting 5.0 h <https://github.com/acme/churn-model/pull/43>\n"
        in text
    )
    assert "  DS-7 (implementation) Which retention window? — waiting 80.0 h\n" in text
    assert "atlassian" not in text


def test_a_source_that_failed_greys_its_lights_and_says_why() -> None:
    # Jira failed: its three lights (tactical, strategic, decisions) grey, with the reason and no
    # next step; GitHub's two keep their colour and step.
    reason = "Jira sync failed: DS: 502"
    week = mark_incomplete(make_team_week(), {"jira": reason})
    lines = weekly_text(week, HOSTS).split("\n")
    assert lines[4:19] == [
        f"Data incomplete: {reason}",
        "",
        "Friday checklist",
        "  [Yellow] Coding share within the target",
        "      Next step: Act on coding.",
        "  [Red] Reviews not waiting on you",
        "      Next step: Act on reviews.",
        "  [No data] The team owns tactical decisions",
        f"      Not judged: {reason}",
        "  [No data] You are in the strategic work",
        f"      Not judged: {reason}",
        "  [No data] Decisions answered quickly",
        f"      Not judged: {reason}",
        "",
        "Coding share: 46 % (18.5 h), target below 40 %",
    ]


def test_both_sources_failed_gives_both_reasons_on_one_line() -> None:
    github, jira = "GitHub sync failed: acme/churn-model: 502", "Jira sync failed: DS: 502"
    week = mark_incomplete(make_team_week(), {"github": github, "jira": jira})
    # in checklist order: the GitHub lights (coding, reviews) come first
    assert weekly_text(week, HOSTS).split("\n")[4] == f"Data incomplete: {github}; {jira}"


def test_a_week_without_data_says_no_data_for_every_number() -> None:
    week = make_team_week(summary=grey_summary("Churn & Retention", 3))
    week = dataclasses.replace(
        week,
        reviews=dataclasses.replace(week.reviews, waiting=week.reviews.waiting.clear()),
        decisions=dataclasses.replace(week.decisions, pending=week.decisions.pending.clear()),
    )
    text = weekly_text(week, HOSTS)
    assert "Coding share: no data (no data), target below 40 %\n" in text
    assert "Your review share: no data; pickup: you no data, team no data\n" in text
    assert "waiting on your review" not in text and "Decisions waiting on you" not in text
    assert text.count("[No data]") == 5 and "Next step" not in text


def test_a_waiting_request_of_unknown_age_says_no_data() -> None:
    week = make_team_week()
    waiting = week.reviews.waiting.with_columns(pl.lit(None, dtype=pl.Float64).alias("age_hours"))
    week = dataclasses.replace(week, reviews=dataclasses.replace(week.reviews, waiting=waiting))
    assert "  acme/churn-model#43 Bump polars — waiting no data\n" in weekly_text(week)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\u200bb", "a b"),  # zero-width space: a format character (Cf)
        ("a\u2028b\u2029c", "a b c"),  # line and paragraph separators (Zl, Zp)
        ("a\x07b", "a b"),  # a control character (Cc)
        ("  a \t\t b  ", "a b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_one_line(raw: object, clean: str) -> None:
    assert one_line(raw) == clean


@pytest.mark.parametrize(
    ("words", "incomplete", "subject"),
    [
        ("2 red, 1 yellow", False, "2 red, 1 yellow"),
        ("2 red, 1 yellow", True, "data incomplete, 2 red, 1 yellow"),
        ("all green", True, "data incomplete"),  # never an all-clear on incomplete data
        ("no data", True, "data incomplete"),
        ("all green", False, "all green"),
    ],
)
def test_subject_words(words: str, incomplete: bool, subject: str) -> None:
    assert subject_words(words, incomplete) == subject


def test_the_subject_of_a_week_with_a_failed_source() -> None:
    week = mark_incomplete(make_team_week(), {"jira": "Jira sync failed"})
    # coding yellow, reviews red; the three Jira lights grey
    assert weekly_subject(week) == (
        "Delegation radar — Churn & Retention — week 2026-W47: data incomplete, 1 red, 1 yellow"
    )


def test_the_message_carries_subject_text_body_images_and_the_page() -> None:
    week = make_team_week()
    image = InlineImage(cid="chart-1", png=b"\x89PNG", alt="Coding", filename="coding.png")
    with_mail = weekly_message(week, "<html>page</html>", HOSTS, MailBody("<html>mail</html>", (image,)))
    assert with_mail.subject == weekly_subject(week)
    assert with_mail.text == weekly_text(week, HOSTS)
    assert (with_mail.html, with_mail.images, with_mail.page) == (
        "<html>mail</html>",
        (image,),
        "<html>page</html>",
    )
    # without a mail version the page itself is the body and nothing is attached beside it
    alone = weekly_message(week, "<html>page</html>", HOSTS)
    assert (alone.html, alone.images, alone.page) == ("<html>page</html>", (), None)
    assert alone.subject == with_mail.subject and alone.text == with_mail.text
    assert "<https://acme.atlassian.net/browse/DS-7>" in alone.text  # the hosts reach the text
