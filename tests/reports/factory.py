"""Hand-built TeamWeeks for the report tests: the metrics are not needed to draw a page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from core.config import Person, Team
from core.weeks import Week
from metrics.result import (
    CategoryDecisions,
    CategoryEscalations,
    ChecklistLight,
    Coding,
    Decisions,
    EscalationItem,
    Escalations,
    PendingRequest,
    Reviews,
    TeamWeek,
    WaitingPR,
)

ZONE_NAME = "Asia/Tbilisi"
WEEK = Week.parse("2026-W47", ZoneInfo(ZONE_NAME))
HOSTS = frozenset({"github.com", "acme.atlassian.net"})
SYNCED = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)

UTC_TIME = pl.Datetime("us", "UTC")
SESSIONS_SCHEMA = pl.Schema(
    {
        "day": pl.Date(),
        "start": UTC_TIME,
        "end": UTC_TIME,
        "commits": pl.Int64(),
        "hours": pl.Float64(),
    }
)
WAITING_SCHEMA = pl.Schema(
    {
        "repo": pl.String(),
        "number": pl.Int64(),
        "title": pl.String(),
        "url": pl.String(),
        "requested_at": UTC_TIME,
        "age_hours": pl.Float64(),
    }
)
PENDING_SCHEMA = pl.Schema(
    {
        "key": pl.String(),
        "summary": pl.String(),
        "url": pl.String(),
        "category": pl.String(),
        "requested_at": UTC_TIME,
        "age_hours": pl.Float64(),
    }
)
UNMAPPED_SCHEMA = pl.Schema({"source": pl.String(), "identity": pl.String(), "events": pl.Int64()})
ANSWERED_SCHEMA = pl.Schema(
    {
        "key": pl.String(),
        "summary": pl.String(),
        "url": pl.String(),
        "category": pl.String(),
        "requested_at": UTC_TIME,
        "answered_at": UTC_TIME,
        "wait_hours": pl.Float64(),
    }
)
ISSUES_SCHEMA = pl.Schema(
    {"key": pl.String(), "summary": pl.String(), "url": pl.String(), "category": pl.String()}
)
ISSUE_SUMMARIES = {
    "DS-1": ("Pricing model for 2027", "strategic"),
    "DS-2": ("Retention targets with marketing", "strategic"),
    "DS-11": ("Fix the nightly feature job", "tactical"),
    "DS-12": ("Tune the churn threshold", "tactical"),
    "DS-13": ("Wait for the billing export", "tactical"),
}


def jira_url(key: str) -> str:
    return f"https://acme.atlassian.net/browse/{key}"


def checklist(
    coding: str, reviews: str, tactical: str, strategic: str, decisions: str
) -> list[dict[str, Any]]:
    colours = {
        "coding": coding,
        "reviews": reviews,
        "tactical_ownership": tactical,
        "strategic_involvement": strategic,
        "decisions": decisions,
    }
    return [
        {
            "item": item,
            "colour": colour,
            "next_step": None if colour in ("green", "grey") else f"Act on {item}.",
            "too_few": False,
        }
        for item, colour in colours.items()
    ]


def busy_summary(name: str, size: int) -> dict[str, Any]:
    """A week with something in every section; numbers follow SPEC §5 (team of 3: target 40 %)."""
    return {
        "team": name,
        "team_size": size,
        # 18.5 h of 40 h = 0.4625 -> yellow (target 40 %, red from 60 %)
        "coding": {
            "hours": 18.5,
            "share": 0.4625,
            "target": 0.4,
            "colour": "yellow",
            "reports": size,
            "expected_hours": 40.0,
        },
        "reviews": {
            "manager_review_share": 0.6,
            "manager_pickup_hours": 30.25,
            "team_pickup_hours": 4.5,
            "waiting_on_manager": [
                {"repo": "acme/churn-model", "number": 42, "age_hours": 70.0},
                {"repo": "acme/churn-model", "number": 43, "age_hours": 5.0},
            ],
            "top_reviewer_share": 0.55,
            "colour": "red",
        },
        "escalations": {
            "strategic": {
                "active": 2,
                "escalated": 1,
                "escalation_rate": 0.5,
                "manager_involved": 1,
                "reasons": {"stakeholder-misalignment": 1},
                "items": [
                    {
                        "key": "DS-2",
                        "at": "2026-11-17T06:00:00Z",
                        "kind": "mention",
                        "by": "mei",
                        "reasons": ["stakeholder-misalignment"],
                    },
                ],
            },
            "implementation": {
                "active": 4,
                "escalated": 1,
                "escalation_rate": 0.25,
                "manager_involved": 2,
                "reasons": {"unresolved-technical-debate": 1},
                "items": [
                    {
                        "key": "DS-7",
                        "at": "2026-11-19T12:00:00Z",
                        "kind": "status",
                        "by": "lev",
                        "reasons": ["unresolved-technical-debate"],
                    },
                ],
            },
            "tactical": {
                "active": 10,
                "escalated": 3,
                "escalation_rate": 0.3,
                "manager_involved": 5,
                "reasons": {"unspecified": 2, "dependency": 1},
                # oldest first is DS-12 (Mon), DS-11 (Tue), DS-13 (Wed)
                "items": [
                    {
                        "key": "DS-12",
                        "at": "2026-11-16T06:00:00Z",
                        "kind": "assign",
                        "by": "jo@contractor.example",
                        "reasons": ["unspecified"],
                    },
                    {
                        "key": "DS-11",
                        "at": "2026-11-17T09:30:00Z",
                        "kind": "label",
                        "by": "mei",
                        "reasons": ["unspecified"],
                    },
                    {
                        "key": "DS-13",
                        "at": "2026-11-18T11:00:00Z",
                        "kind": "mention",
                        "by": "lev",
                        "reasons": ["dependency"],
                    },
                ],
            },
            "strategic_without_manager": ["DS-1"],
        },
        "decisions": {
            "strategic": {
                "requested": 1,
                "answered": 1,
                "median_hours": 6.0,
                "p90_hours": 6.0,
                "pending": [],
                "stale": {"count": 0, "oldest_age_hours": None},
            },
            "implementation": {
                "requested": 1,
                "answered": 0,
                "median_hours": None,
                "p90_hours": None,
                "pending": [{"key": "DS-7", "age_hours": 80.0}],
                "stale": {"count": 0, "oldest_age_hours": None},
            },
            "tactical": {
                "requested": 3,
                "answered": 3,
                "median_hours": 10.0,
                "p90_hours": 30.0,
                "pending": [],
                "stale": {"count": 1, "oldest_age_hours": 800.0},
            },
            "colour": "red",
        },
        "checklist": checklist("yellow", "red", "red", "yellow", "red"),
    }


def grey_summary(name: str, size: int) -> dict[str, Any]:
    """A week with no data at all: every number null, every colour grey (the coding target
    follows the team size: 40 % up to 6 reports)."""
    category: dict[str, Any] = {
        "active": 0,
        "escalated": 0,
        "escalation_rate": None,
        "manager_involved": 0,
        "reasons": {},
        "items": [],
    }
    decision: dict[str, Any] = {
        "requested": 0,
        "answered": 0,
        "median_hours": None,
        "p90_hours": None,
        "pending": [],
        "stale": {"count": 0, "oldest_age_hours": None},
    }
    return {
        "team": name,
        "team_size": size,
        "coding": {
            "hours": None,
            "share": None,
            "target": 0.4,
            "colour": "grey",
            "reports": size,
            "expected_hours": None,
        },
        "reviews": {
            "manager_review_share": None,
            "manager_pickup_hours": None,
            "team_pickup_hours": None,
            "waiting_on_manager": [],
            "top_reviewer_share": None,
            "colour": "grey",
        },
        "escalations": {
            **{c: dict(category) for c in ("strategic", "implementation", "tactical")},
            "strategic_without_manager": [],
        },
        "decisions": {
            **{c: dict(decision) for c in ("strategic", "implementation", "tactical")},
            "colour": "grey",
        },
        "checklist": checklist("grey", "grey", "grey", "grey", "grey"),
    }


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC instant in WEEK: `day` 0 = local Monday (Tbilisi is UTC+4)."""
    return WEEK.start + timedelta(days=day, hours=hour, minutes=minute)


def evidence(
    title: str = "Speed up feature joins", summary: str = "Which retention window?"
) -> dict[str, pl.DataFrame]:
    sessions = pl.DataFrame(
        {
            "day": [date(2026, 11, 16), date(2026, 11, 18)],
            "start": [_at(0, 9), _at(2, 14)],
            "end": [_at(0, 12, 30), _at(2, 15)],
            "commits": [6, 2],
            "hours": [4.0, 1.5],
        },
        schema=SESSIONS_SCHEMA,
    )
    waiting = pl.DataFrame(
        {
            "repo": ["acme/churn-model", "acme/churn-model"],
            "number": [42, 43],
            "title": [title, "Bump polars"],
            "url": [
                "https://github.com/acme/churn-model/pull/42",
                "https://github.com/acme/churn-model/pull/43",
            ],
            "requested_at": [_at(4, 2), _at(6, 15)],
            "age_hours": [70.0, 5.0],
        },
        schema=WAITING_SCHEMA,
    )
    pending = pl.DataFrame(
        {
            "key": ["DS-7"],
            "summary": [summary],
            "url": ["https://acme.atlassian.net/browse/DS-7"],
            "category": ["implementation"],
            "requested_at": [_at(3, 16)],
            "age_hours": [80.0],
        },
        schema=PENDING_SCHEMA,
    )
    unmapped = pl.DataFrame(
        {"source": ["github"], "identity": ["old-laptop-login"], "events": [3]}, schema=UNMAPPED_SCHEMA
    )
    # answered in the week, longest wait first: DS-11 30 h, DS-12 10 h, DS-2 6 h, DS-13 2 h
    answered = pl.DataFrame(
        {
            "key": ["DS-11", "DS-12", "DS-2", "DS-13"],
            "summary": [ISSUE_SUMMARIES[k][0] for k in ("DS-11", "DS-12", "DS-2", "DS-13")],
            "url": [jira_url(k) for k in ("DS-11", "DS-12", "DS-2", "DS-13")],
            "category": ["tactical", "tactical", "strategic", "tactical"],
            "requested_at": [_at(1, 9, 30), _at(0, 10), _at(1, 10), _at(2, 15)],
            "answered_at": [_at(2, 15, 30), _at(0, 20), _at(1, 16), _at(2, 17)],
            "wait_hours": [30.0, 10.0, 6.0, 2.0],
        },
        schema=ANSWERED_SCHEMA,
    )
    issues = pl.DataFrame(
        {
            "key": list(ISSUE_SUMMARIES),
            "summary": [v[0] for v in ISSUE_SUMMARIES.values()],
            "url": [jira_url(k) for k in ISSUE_SUMMARIES],
            "category": [v[1] for v in ISSUE_SUMMARIES.values()],
        },
        schema=ISSUES_SCHEMA,
    )
    stale = pl.DataFrame(
        {
            "key": ["DS-3"],
            "summary": ["Old question about the data contract"],
            "url": [jira_url("DS-3")],
            "category": ["tactical"],
            "requested_at": [_at(0, 0) - timedelta(hours=800)],
            "age_hours": [800.0],
        },
        schema=PENDING_SCHEMA,
    )
    return {
        "sessions": sessions,
        "waiting": waiting,
        "pending": pending,
        "unmapped": unmapped,
        "answered": answered,
        "issues": issues,
        "stale": stale,
    }


def empty_evidence() -> dict[str, pl.DataFrame]:
    return {
        "sessions": pl.DataFrame(schema=SESSIONS_SCHEMA),
        "waiting": pl.DataFrame(schema=WAITING_SCHEMA),
        "pending": pl.DataFrame(schema=PENDING_SCHEMA),
        "unmapped": pl.DataFrame(schema=UNMAPPED_SCHEMA),
        "answered": pl.DataFrame(schema=ANSWERED_SCHEMA),
        "issues": pl.DataFrame(schema=ISSUES_SCHEMA),
        "stale": pl.DataFrame(schema=PENDING_SCHEMA),
    }


def _escalations(category: dict[str, Any]) -> CategoryEscalations:
    return CategoryEscalations(
        active=category["active"],
        escalated=category["escalated"],
        escalation_rate=category["escalation_rate"],
        manager_involved=category["manager_involved"],
        reasons=dict(category["reasons"]),
        items=tuple(
            EscalationItem(
                key=i["key"],
                at=datetime.fromisoformat(i["at"]),
                kind=i["kind"],
                by=i["by"],
                reasons=tuple(i["reasons"]),
            )
            for i in category["items"]
        ),
    )


def _decisions(category: dict[str, Any]) -> CategoryDecisions:
    return CategoryDecisions(
        requested=category["requested"],
        answered=category["answered"],
        median_hours=category["median_hours"],
        p90_hours=category["p90_hours"],
        pending=tuple(PendingRequest(p["key"], p["age_hours"]) for p in category["pending"]),
        stale_count=category["stale"]["count"],
        stale_oldest_age_hours=category["stale"]["oldest_age_hours"],
    )


def from_summary(
    team: Team,
    manager: Person,
    week: Week,
    summary: dict[str, Any],
    frames: dict[str, pl.DataFrame],
    extras: dict[str, Any],
) -> TeamWeek:
    """A TeamWeek whose `to_json()` is `summary` (a metrics.json team entry), with `frames` as
    its evidence and `extras` (manager_merged_pr_share, manager_commit_share, flags,
    managed_teams, merged) beside it."""
    coding, reviews = summary["coding"], summary["reviews"]
    escalations, decisions = summary["escalations"], summary["decisions"]
    return TeamWeek(
        team=team,
        manager=manager,
        week=week,
        team_size=summary["team_size"],
        coding=Coding(
            hours=coding["hours"],
            share=coding["share"],
            target=coding["target"],
            colour=coding["colour"],
            reports=coding["reports"],
            expected_hours=coding["expected_hours"],
            sessions=frames["sessions"],
            manager_merged_pr_share=extras.get("manager_merged_pr_share"),
            manager_commit_share=extras.get("manager_commit_share"),
            managed_teams=extras.get("managed_teams", 1),
        ),
        reviews=Reviews(
            manager_review_share=reviews["manager_review_share"],
            manager_pickup_hours=reviews["manager_pickup_hours"],
            team_pickup_hours=reviews["team_pickup_hours"],
            waiting_on_manager=tuple(
                WaitingPR(w["repo"], w["number"], w["age_hours"]) for w in reviews["waiting_on_manager"]
            ),
            top_reviewer_share=reviews["top_reviewer_share"],
            colour=reviews["colour"],
            merged=extras.get("merged", 5),
            waiting=frames["waiting"],
        ),
        escalations=Escalations(
            strategic=_escalations(escalations["strategic"]),
            implementation=_escalations(escalations["implementation"]),
            tactical=_escalations(escalations["tactical"]),
            strategic_without_manager=tuple(escalations["strategic_without_manager"]),
            issues=frames["issues"],
        ),
        decisions=Decisions(
            strategic=_decisions(decisions["strategic"]),
            implementation=_decisions(decisions["implementation"]),
            tactical=_decisions(decisions["tactical"]),
            colour=decisions["colour"],
            pending=frames["pending"],
            stale=frames["stale"],
            answered=frames["answered"],
        ),
        checklist=tuple(ChecklistLight(**entry) for entry in summary["checklist"]),
        unmapped=frames["unmapped"],
        flags=tuple(extras.get("flags", ())),
    )


TeamWeekFactory = Callable[..., TeamWeek]


def make_team_week(
    name: str = "Churn & Retention",
    *,
    size: int = 3,
    week: Week = WEEK,
    summary: dict[str, Any] | None = None,
    frames: dict[str, pl.DataFrame] | None = None,
    jira_projects: list[str] | None = None,
    manager_name: str = "Nino B.",
    extras: dict[str, Any] | None = None,
) -> TeamWeek:
    members = [f"member-{i}" for i in range(size)]
    team = Team(name=name, manager="nino", members=members, jira_projects=jira_projects)
    manager = Person(id="nino", name=manager_name, github=["nino-b"])
    data = summary if summary is not None else busy_summary(name, size)
    beside = (
        extras
        if extras is not None
        else {
            "manager_merged_pr_share": 0.35,
            "manager_commit_share": 0.28,
            "flags": ["team is not owning tactical decisions"],
        }
    )
    return from_summary(team, manager, week, data, frames if frames is not None else evidence(), beside)
