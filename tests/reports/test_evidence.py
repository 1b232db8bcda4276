"""The evidence under every light, on a hand-built week (tests/reports/factory.py): each list,
each per-reason next step, what each checklist step refers to, and the 10-item bound."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import polars as pl

from reports.reasons import REASONS, UNSPECIFIED, reason_of
from reports.render import PageContext, bounded, team_page
from tests.reports.factory import PENDING_SCHEMA, TeamWeekFactory, busy_summary, evidence, jira_url


class Sections(HTMLParser):
    """The text and links inside each element with an id (nested ids each get their own)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.links: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("br", "meta", "img", "input"):
            return
        self._open.append((tag, found.get("id")))
        if tag == "a":
            for _, ident in self._open:
                if ident:
                    self.links.setdefault(ident, []).append(found.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, ident in self._open:
            if ident:
                self.text[ident] = self.text.get(ident, "") + data


def rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-key="([^"]+)"', body)


def test_every_escalation_is_listed_oldest_first_with_how_who_and_why(
    team_week: TeamWeekFactory, context: PageContext
) -> None:
    html = team_page(team_week(), [], context)
    # the five items of the factory week, by time: DS-12 Mon 06:00Z, DS-2 Tue 06:00Z,
    # DS-11 Tue 09:30Z, DS-13 Wed 11:00Z, DS-7 Thu 12:00Z
    assert rows(html, "escalations-table") == ["DS-12", "DS-2", "DS-11", "DS-13", "DS-7"]
    first = html.split('<tr data-key="DS-12">', 1)[1].split("</tr>", 1)[0]
    assert 'href="https://acme.atlassian.net/browse/DS-12"' in first
    assert "Tune the churn threshold" in first and ">Tactical<" in first
    assert "assigned to you" in first and "jo@contractor.example" in first
    assert "Mon 16 Nov 2026, 10:00" in first  # 06:00 UTC is 10:00 in Tbilisi
    assert "Outside the agreed reasons to escalate" in first
    ds7 = html.split('<tr data-key="DS-7">', 1)[1].split("</tr>", 1)[0]
    assert "moved into a decision status" in ds7 and "A technical disagreement" in ds7


def test_one_next_step_per_reason_naming_its_issues(team_week: TeamWeekFactory, context: PageContext) -> None:
    html = team_page(team_week(), [], context)
    listed = re.findall(r'<li data-reason="([^"]+)">(.*?)</li>', html, re.S)
    # unspecified holds DS-12 and DS-11 (2 issues) and comes first; then 1 each, by plain title
    assert [name for name, _ in listed] == [
        UNSPECIFIED,
        "unresolved-technical-debate",
        "dependency",
        "stakeholder-misalignment",
    ]
    by_name = dict(listed)
    for name, body in listed:
        assert REASONS[name].next_step.replace("'", "&#39;") in body
    assert re.findall(r">(DS-\d+)</a>", by_name[UNSPECIFIED]) == ["DS-12", "DS-11"]
    assert "(2 issues:" in by_name[UNSPECIFIED]
    assert re.findall(r">(DS-\d+)</a>", by_name["dependency"]) == ["DS-13"]


def test_the_six_scenarios_and_unspecified_each_have_their_own_step() -> None:
    names = {
        "stakeholder-misalignment",
        "resource-timeline-risk",
        "dependency",
        "unexplained-model-behaviour",
        "unresolved-technical-debate",
        "scope-change",
        UNSPECIFIED,
    }
    assert set(REASONS) == names
    assert len({r.next_step for r in REASONS.values()}) == 7
    assert len({r.title for r in REASONS.values()}) == 7
    other = reason_of("vendor_outage")
    assert other.title == "Vendor outage" and other.next_step not in {r.next_step for r in REASONS.values()}


def test_strategic_answered_and_stale_lists(team_week: TeamWeekFactory, context: PageContext) -> None:
    sections = Sections(team_page(team_week(), [], context))
    assert (
        "DS-1" in sections.text["strategic-list"]
        and "Pricing model for 2027" in sections.text["strategic-list"]
    )
    assert sections.links["strategic-list"] == [jira_url("DS-1")]
    html = team_page(team_week(), [], context)
    # answered this week, longest wait first: DS-11 30 h, DS-12 10 h, DS-2 6 h, DS-13 2 h
    assert rows(html, "answered-table") == ["DS-11", "DS-12", "DS-2", "DS-13"]
    answered = html.split('id="answered-table"', 1)[1].split("</table>", 1)[0]
    assert [w for w in re.findall(r'data-label="Waited">([^<]+)<', answered)] == [
        "30 h",
        "10 h",
        "6 h",
        "2 h",
    ]
    # stale: 800 h = 33.3 days, under "answer or close them", linked
    assert "Stale requests: answer or close them" in html
    assert "DS-3" in sections.text["stale-list"] and "33.3 days" in sections.text["stale-list"]
    assert sections.links["stale-list"] == [jira_url("DS-3")]


def test_each_next_step_names_what_it_refers_to(team_week: TeamWeekFactory, context: PageContext) -> None:
    html = team_page(team_week(), [], context)
    refers = dict(re.findall(r'<li data-item="(\w+)">.*?<p class="refers">(.*?)</p>', html, re.S))
    assert set(refers) == {"coding", "reviews", "tactical_ownership", "strategic_involvement", "decisions"}
    # reviews: the PRs waiting on you, oldest first, and the list they come from
    assert re.findall(r">(acme/churn-model#\d+)</a> \(([^)]+)\)", refers["reviews"]) == [
        ("acme/churn-model#42", "waiting 2.9 days"),
        ("acme/churn-model#43", "waiting 5 h"),
    ]
    assert 'href="#waiting"' in refers["reviews"]
    # tactical: the first 3 tactical escalations (oldest first): DS-12, DS-11, DS-13
    assert re.findall(r">(DS-\d+)</a>", refers["tactical_ownership"]) == ["DS-12", "DS-11", "DS-13"]
    assert re.findall(r">(DS-\d+)</a>", refers["strategic_involvement"]) == ["DS-1"]
    assert 'href="#strategic-without-you"' in refers["strategic_involvement"]
    # decisions: the pending DS-7, 80 h = 3.3 days
    assert re.findall(r">(DS-\d+)</a> \(([^)]+)\)", refers["decisions"]) == [("DS-7", "waiting 3.3 days")]
    # coding: the longest sessions first (4.0 h on Monday, 1.5 h on Wednesday)
    assert "Mon 16 Nov 2026 (4.0 h), Wed 18 Nov 2026 (1.5 h)" in " ".join(refers["coding"].split())


def test_long_lists_show_the_oldest_ten_and_how_many_more(
    team_week: TeamWeekFactory, context: PageContext
) -> None:
    frames = evidence()
    # 23 pending decisions, 100 h to 122 h old; the page shows the 10 oldest (122 h .. 113 h)
    keys = [f"DS-{100 + i}" for i in range(23)]
    frames["pending"] = pl.DataFrame(
        {
            "key": keys,
            "summary": ["s"] * 23,
            "url": [jira_url(k) for k in keys],
            "category": ["tactical"] * 23,
            "requested_at": [None] * 23,
            "age_hours": [100.0 + i for i in range(23)],
        },
        schema=PENDING_SCHEMA,
    )
    summary = busy_summary("Churn & Retention", 3)
    items: list[dict[str, Any]] = [
        {
            "key": f"DS-{200 + i}",
            "at": f"2026-11-17T{i:02d}:00:00Z",
            "kind": "label",
            "by": "mei",
            "reasons": [],
        }
        for i in range(14)
    ]
    summary["escalations"]["tactical"]["items"] = items
    html = team_page(team_week(summary=summary, frames=frames), [], context)
    assert rows(html, "pending-table") == [f"DS-{100 + i}" for i in range(22, 12, -1)]
    assert "… and 13 more (metrics.json beside this page lists all 23)." in html
    # escalations: 14 tactical + 1 strategic + 1 implementation = 16; the 10 oldest shown
    listed = rows(html, "escalations-table")
    assert len(listed) == 10 and listed[:3] == ["DS-200", "DS-201", "DS-202"]
    assert "… and 6 more (metrics.json beside this page lists all 16)." in html
    # a reason naming 14 issues names 10 and says how many more
    unspecified = html.split('data-reason="unspecified">', 1)[1].split("</li>", 1)[0]
    assert len(re.findall(r"DS-2\d\d", unspecified)) == 10 and "and 4 more" in unspecified


def test_bounded() -> None:
    assert bounded([{"n": i} for i in range(3)], 10) == {
        "rows": [{"n": 0}, {"n": 1}, {"n": 2}],
        "more": 0,
        "total": 3,
    }
    assert bounded([{"n": i} for i in range(12)], 10)["more"] == 2
