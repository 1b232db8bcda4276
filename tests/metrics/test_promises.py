"""Promises of the README that show only on the page or at an edge of a definition: the unmapped
identities note, bots left out of Jira too, the implementation flag, the manager's share of merged
PRs, and the instants where "before" and "at or after" meet. Each number worked out by hand."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from core.config import Config
from core.weeks import Week
from metrics.weekly import metrics_document, team_weeks
from reports.render import PageContext, link_hosts, team_page
from tests.metrics.builders import WEEK, config, frame
from tests.metrics.test_coding import commit
from tests.metrics.test_escalations_decisions import comment, event, issue
from tests.metrics.test_reviews import pr, request, review


def computed(tables: dict[str, Any], cfg: Config | None = None) -> tuple[dict[str, Any], str]:
    """The week's metrics.json team entry and the team page, through the real metrics."""
    cfg = cfg or config()
    week = Week.parse(WEEK, cfg.zone)
    results = team_weeks(tables, cfg, week)
    context = PageContext(
        timezone="UTC",
        freshness={},
        allowed_hosts=link_hosts(cfg),
        generated_at=datetime(2026, 11, 23, 8, tzinfo=UTC),
        readme_url="definitions.html",
    )
    (team,) = metrics_document(week, results)["teams"]
    return team, team_page(results[0], results, context)


def unmapped_lines(html: str) -> list[str]:
    """The lines of the page's unmapped-identities note (empty when the page has none)."""
    if 'id="unmapped"' not in html:
        return []
    note = html.split('id="unmapped"', 1)[1].split("</div>", 1)[0]
    return [" ".join(line.split()) for line in re.findall(r"<li>(.*?)</li>", note, re.S)]


# -- unmapped identities and bots -----------------------------------------------------------------


def test_unmapped_identities_are_listed_and_bots_are_not() -> None:
    tables = {
        "pull_requests": frame(
            "pull_requests",
            [
                pr(1, "stranger-gh", created="2026-11-17 09:00"),
                pr(2, "dependabot[bot]", created="2026-11-17 09:00"),  # a bot by its login
                pr(3, "m1-gh", created="2026-11-17 09:00"),
            ],
        ),
        "reviews": frame(
            "reviews",
            [
                review(11, 3, "ghost-gh", "2026-11-18 10:00"),
                review(12, 1, "ghost-gh", "2026-11-19 10:00"),
                review(13, 3, "ci-robot", "2026-11-19 11:00"),  # a bot by the config's list
            ],
        ),
        "commits": frame(
            "commits",
            [
                commit("c1", "2026-11-17 10:00", author=None, email="laptop@home.example"),
                commit("c2", "2026-11-17 11:00", author="m1-gh"),
            ],
        ),
        "issues": frame("issues", [issue("DS-1")]),
        "issue_events": frame(
            "issue_events",
            [
                event("DS-1", "101", "priority", "2026-11-17 09:00", "acc-m1", "Low", "High"),
                event("DS-1", "102", "priority", "2026-11-17 10:00", "ci-robot", "High", "Low"),
            ],
        ),
        "comments": frame("comments", [comment("DS-1", "c1", "acc-unknown", "2026-11-18 12:00")]),
    }
    _, html = computed(tables)
    # ghost-gh: 2 reviews; the e-mail, stranger-gh and acc-unknown: one event each. Most events
    # first, then GitHub before Jira, then by name. Neither bot, nor anyone in [[people]].
    assert unmapped_lines(html) == [
        "GitHub login: ghost-gh (2 events)",
        "commit e-mail: laptop@home.example (1 event)",
        "GitHub login: stranger-gh (1 event)",
        "Jira account: acc-unknown (1 event)",
    ]
    assert "4 identities had activity" in html


def test_a_jira_bot_counts_nowhere() -> None:
    tables = {
        "issues": frame("issues", [issue("DS-1"), issue("DS-2", issue_type="Epic"), issue("DS-3")]),
        "issue_events": frame(
            "issue_events",
            [
                # the bot escalates DS-1 by label, asks for a decision on DS-2, assigns DS-3 to mia
                event("DS-1", "101", "labels", "2026-11-17 10:00", "ci-robot", "", "escalation"),
                event("DS-2", "201", "status", "2026-11-18 09:00", "ci-robot", "Open", "Needs Decision"),
                event("DS-3", "301", "assignee", "2026-11-18 10:00", "ci-robot", "acc-m1", "acc-mia"),
                # a person's change: DS-1 is active this week because of m1, not of the bot
                event("DS-1", "102", "priority", "2026-11-19 09:00", "acc-m1", "Low", "High"),
            ],
        ),
        # and mentions mia in a comment on DS-3
        "comments": frame("comments", [comment("DS-3", "c1", "ci-robot", "2026-11-19 12:00", ["acc-mia"])]),
    }
    team, html = computed(tables)
    escalations = team["escalations"]
    # Only m1's change makes an issue active: DS-1, tactical. Nothing escalated, nothing asked.
    assert [
        (c, escalations[c]["active"], escalations[c]["escalated"]) for c in ("tactical", "strategic")
    ] == [
        ("tactical", 1, 0),
        ("strategic", 0, 0),
    ]
    assert [team["decisions"][c]["requested"] for c in ("tactical", "strategic", "implementation")] == [
        0,
        0,
        0,
    ]
    assert unmapped_lines(html) == []  # the bot is no unmapped person either


# -- the implementation flag ------------------------------------------------------------------------

FLAG = "implementation decisions keep coming back to you"


@pytest.mark.parametrize(("escalated", "flagged"), [(1, False), (2, True)])
def test_implementation_flag_above_a_quarter_escalated(escalated: int, flagged: bool) -> None:
    keys = ["DS-11", "DS-12", "DS-13", "DS-14"]
    events = [  # m1 works on each of the four implementation issues this week: 4 active
        event(key, f"{n}1", "priority", "2026-11-17 09:00", "acc-m1", "Low", "High")
        for n, key in enumerate(keys, start=1)
    ]
    events += [  # and hands `escalated` of them to mia
        event(key, f"{n}2", "assignee", "2026-11-18 09:00", "acc-m1", "acc-m1", "acc-mia")
        for n, key in enumerate(keys[:escalated], start=1)
    ]
    tables = {
        "issues": frame("issues", [issue(key, labels=["design"]) for key in keys]),
        "issue_events": frame("issue_events", events),
    }
    team, html = computed(tables)
    # 1 of 4 = 25 %: at the 0.25 threshold, not above it; 2 of 4 = 50 %: above.
    assert team["escalations"]["implementation"]["escalation_rate"] == escalated / 4
    assert (FLAG in html) is flagged
    assert "team is not owning tactical decisions" not in html  # no tactical issue moved


# -- the manager's share of merged PRs ----------------------------------------------------------------


def test_the_managers_share_of_merged_team_prs_is_on_the_page() -> None:
    tables = {
        "pull_requests": frame(
            "pull_requests",
            [
                pr(1, "mia-gh", merged="2026-11-17 10:00"),
                pr(2, "m1-gh", merged="2026-11-18 10:00"),
                pr(3, "m2-gh", merged="2026-11-19 10:00"),
                pr(4, "m3-gh", merged="2026-11-20 10:00"),
                pr(5, "mia-gh", merged="2026-11-10 10:00"),  # merged the week before
                pr(6, "mia-gh"),  # open
            ],
        )
    }
    _, html = computed(tables)
    # merged in the week: #1 (mia), #2, #3, #4 -> 1 of 4 = 25 %
    shown = re.findall(r'<div class="value">([^<]*)</div><div class="label">of the team\'s merged PRs', html)
    assert shown == ["25 %"]


# -- edges: "resolved before any answer", "a review at or after the request" -----------------------------


@pytest.mark.parametrize(
    ("resolved", "answered", "median"),
    [
        ("2026-11-18 14:00", 1, 5.0),  # resolved at the instant of mia's answer: answered, after 5 h
        ("2026-11-18 13:59", 0, None),  # a minute before it: closed without an answer
    ],
)
def test_a_request_resolved_before_any_answer_is_not_answered(
    resolved: str, answered: int, median: float | None
) -> None:
    tables = {
        "issues": frame("issues", [issue("DS-2", issue_type="Epic", resolved=resolved)]),
        "issue_events": frame(
            "issue_events",
            [event("DS-2", "201", "status", "2026-11-18 09:00", "acc-m2", "Open", "Needs Decision")],
        ),
        "comments": frame("comments", [comment("DS-2", "c1", "acc-mia", "2026-11-18 14:00")]),
    }
    team, _ = computed(tables)
    strategic = team["decisions"]["strategic"]
    assert (strategic["requested"], strategic["answered"], strategic["median_hours"]) == (1, answered, median)
    assert strategic["pending"] == []  # either way nothing waits any more


def test_a_review_at_the_instant_of_the_request_answers_it() -> None:
    tables = {
        "pull_requests": frame(
            "pull_requests",
            [pr(1, "m1-gh", created="2026-11-16 09:00", merged="2026-11-19 10:00"), pr(2, "m2-gh")],
        ),
        "review_requests": frame(
            "review_requests",
            [request(1, "mia-gh", "2026-11-17 10:00"), request(2, "mia-gh", "2026-11-17 11:00")],
        ),
        "reviews": frame(
            "reviews",
            [review(11, 1, "mia-gh", "2026-11-17 10:00"), review(12, 2, "mia-gh", "2026-11-17 11:00")],
        ),
    }
    team, _ = computed(tables)
    reviews = team["reviews"]
    # both reviews come at the very instant of their request: picked up after 0 h, nothing waits
    assert reviews["manager_pickup_hours"] == 0.0
    assert reviews["waiting_on_manager"] == []


@pytest.mark.parametrize(
    "at_the_same_instant",
    [
        {
            "issue_events": [
                event("DS-2", "202", "status", "2026-11-18 09:00", "acc-m1", "Needs Decision", "Open")
            ]
        },
        {"comments": [comment("DS-2", "c0", "acc-mia", "2026-11-18 09:00")]},
    ],
    ids=["leaves the status", "manager comments"],
)
def test_only_a_later_move_answers_a_request(at_the_same_instant: dict[str, list[dict[str, Any]]]) -> None:
    events = [event("DS-2", "201", "status", "2026-11-18 09:00", "acc-m2", "Open", "Needs Decision")]
    comments = [comment("DS-2", "c1", "acc-mia", "2026-11-18 13:00")]
    tables = {
        "issues": frame("issues", [issue("DS-2", issue_type="Epic")]),
        "issue_events": frame("issue_events", events + at_the_same_instant.get("issue_events", [])),
        "comments": frame("comments", comments + at_the_same_instant.get("comments", [])),
    }
    team, _ = computed(tables)
    strategic = team["decisions"]["strategic"]
    # answered at the first *later* manager move or exit: mia's comment at 13:00, 4 h after 09:00
    assert (strategic["requested"], strategic["answered"], strategic["median_hours"]) == (1, 1, 4.0)
