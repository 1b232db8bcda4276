"""The digest (SPEC §7): each light's change since last week, each team's streak of weeks with a
red or yellow light, one subject line, and a mail body that mail clients show."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from metrics.result import TeamWeek
from reports.digest import change, digest_rows, digest_slug, digest_subject, digest_text, streak
from reports.health import mark_incomplete
from reports.mail import digest_mail
from reports.render import PageContext
from tests.reports.factory import WEEK, ZONE_NAME, checklist, make_team_week

ALL_GREEN = ("green", "green", "green", "green", "green")


def week_of(name: str, colours: tuple[str, str, str, str, str], back: int = 0) -> TeamWeek:
    tw = make_team_week(name, week=WEEK.previous(ZoneInfo(ZONE_NAME), back))
    return make_team_week(name, week=tw.week, summary={**tw.to_json(), "checklist": checklist(*colours)})


def history(name: str, *weeks: tuple[str, str, str, str, str]) -> list[TeamWeek]:
    """Oldest first, the last one being WEEK."""
    return [week_of(name, colours, len(weeks) - 1 - i) for i, colours in enumerate(weeks)]


def test_change_since_last_week() -> None:
    assert change("red", "yellow") == "worse" and change("yellow", "green") == "worse"
    assert change("green", "red") == "better" and change("yellow", "yellow") == "same"
    assert change("grey", "red") == "not judged" and change("red", "grey") == "not judged"
    assert change("red", None) == "not judged"


def test_streak_counts_weeks_in_a_row_with_red_or_yellow() -> None:
    calm = history("A", ALL_GREEN, ("yellow", *ALL_GREEN[1:]), ("green", "red", "green", "green", "green"))
    assert streak(calm) == 2  # the last two weeks each have a red or yellow light
    assert streak(history("B", ("red", *ALL_GREEN[1:]), ALL_GREEN)) == 0  # this week is calm
    grey = ("grey", "grey", "grey", "grey", "grey")
    assert streak(history("C", ("red", *ALL_GREEN[1:]), grey)) == 0  # no data is not a red week


def test_rows_subject_and_text() -> None:
    histories = {
        "A": history(
            "A", ("green", "red", "green", "yellow", "grey"), ("red", "red", "green", "green", "green")
        ),
        "B": history("B", ALL_GREEN, ALL_GREEN),
    }
    histories["B"][-1] = mark_incomplete(histories["B"][-1], {"jira": "Jira sync failed: DS: 401"})
    rows = digest_rows(histories)
    a, b = rows
    assert [(light["item"], light["change"]) for light in a["lights"]] == [
        ("coding", "worse"),  # green -> red
        ("reviews", "same"),
        ("tactical_ownership", "same"),
        ("strategic_involvement", "better"),  # yellow -> green
        ("decisions", "not judged"),  # grey last week
    ]
    assert (a["streak"], a["streak_words"], b["streak"], b["streak_words"]) == (
        2,
        "2+ weeks in a row",
        0,
        "none",
    )
    assert b["incomplete"] == ["Jira sync failed: DS: 401"]
    assert digest_subject("Data org", "2026-W47", rows) == (
        "Delegation radar — Data org — week 2026-W47: 1 of 2 teams red or yellow; data incomplete for 1"
    )
    text = digest_text("Data org", "2026-W47", rows)
    assert "  [Red] Coding (worse, was green)\n" in text
    assert "  [Green] Strategic (better, was yellow)\n" in text
    assert "  Red or yellow streak: 2+ weeks in a row\n" in text
    assert "  Data incomplete: Jira sync failed: DS: 401\n" in text
    assert digest_slug("Data org / Ärzte") == "digest-data-org-arzte"


def test_digest_mail_is_what_mail_clients_show() -> None:
    histories = {
        "A": history("A", ALL_GREEN, ("red", *ALL_GREEN[1:])),
        "B": history("B", ALL_GREEN, ALL_GREEN),
    }
    context = PageContext(
        timezone=ZONE_NAME, freshness={}, allowed_hosts=(), generated_at=datetime(2026, 11, 27, tzinfo=UTC)
    )
    body = digest_mail("Data org", digest_rows(histories), "2026-W47", context, "digest-data-org.html")
    html = body.html.lower()
    for forbidden in ("<svg", "<script", "<style", "<form", "file://", "http://", "https://"):
        assert forbidden not in html
    assert max(int(w) for w in re.findall(r'\swidth="(\d+)"', body.html)) <= 640
    assert len(re.findall(r"<td[^>]*data-light=", body.html)) == 10  # five lights for each team
    assert "Worse since last week (was green)." in body.html
    assert "red or yellow streak: <strong>1 week</strong>" in body.html
