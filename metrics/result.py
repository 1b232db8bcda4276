"""What the metrics hand to the reports: one team's week, signal by signal, with its evidence.

Each signal is a frozen dataclass with the numbers of SPEC §5 as fields, the evidence frames the
page lists beside them, and a `to_json()` that writes its part of the team's `metrics.json`
entry (SPEC §6). `TeamWeek.to_json()` is that entry; nothing else writes metrics.json.

Evidence frames (one team, one week; times UTC):
  sessions: day (Date, local), start, end, commits (Int64), hours (Float64)
  waiting:  repo, number, title, url, requested_at, age_hours
  pending:  key, summary, url, category, requested_at, age_hours
  stale:    like pending: issues whose oldest open request is older than stale_after_days
  answered: key, summary, url, category, requested_at, answered_at, wait_hours: the decision
            requests answered in the week, longest wait first
  issues:   key, summary, url, category: the team issues the week's escalation items and
            `strategic_without_manager` name (so the page can title and link them)
  unmapped: source ("github" | "jira"), identity, events (Int64)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from core.config import Person, Team
from core.weeks import Week
from metrics.escalations import CATEGORIES


def iso_time(value: datetime) -> str:
    """A UTC instant as metrics.json writes times: `2026-11-16T08:06:00Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, eq=False)
class Coding:
    """SPEC §5.1: the manager's coding share (across every team they manage), and the sessions."""

    hours: float | None
    share: float | None
    target: float
    colour: str
    reports: int
    expected_hours: float | None
    sessions: pl.DataFrame
    # Beside the contract numbers, on the page only:
    manager_merged_pr_share: float | None = None
    manager_commit_share: float | None = None
    managed_teams: int = 1  # coding is the manager's across all of these teams

    def to_json(self) -> dict[str, Any]:
        return {
            "hours": self.hours,
            "share": self.share,
            "target": self.target,
            "colour": self.colour,
            "reports": self.reports,
            "expected_hours": self.expected_hours,
        }


@dataclass(frozen=True)
class WaitingPR:
    """A pull request waiting on the manager's review at week end."""

    repo: str
    number: int
    age_hours: float

    def to_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "number": self.number, "age_hours": self.age_hours}


@dataclass(frozen=True, eq=False)
class Reviews:
    """SPEC §5.2: the review bottleneck; `waiting` is the evidence of `waiting_on_manager`."""

    manager_review_share: float | None
    manager_pickup_hours: float | None
    team_pickup_hours: float | None
    waiting_on_manager: tuple[WaitingPR, ...]
    top_reviewer_share: float | None
    colour: str
    merged: int  # the review share's denominator: team PRs merged in the week, not the manager's
    waiting: pl.DataFrame

    def to_json(self) -> dict[str, Any]:
        return {
            "manager_review_share": self.manager_review_share,
            "manager_pickup_hours": self.manager_pickup_hours,
            "team_pickup_hours": self.team_pickup_hours,
            "waiting_on_manager": [w.to_json() for w in self.waiting_on_manager],
            "top_reviewer_share": self.top_reviewer_share,
            "colour": self.colour,
        }


@dataclass(frozen=True)
class EscalationItem:
    """One escalation in the week (SPEC §5.3 evidence); `by` is a person id or a raw identity."""

    key: str
    at: datetime
    kind: str  # label | assign | status | mention
    by: str | None
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "at": iso_time(self.at),
            "kind": self.kind,
            "by": self.by,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class CategoryEscalations:
    """SPEC §5.3 for one delegation category."""

    active: int
    escalated: int
    escalation_rate: float | None
    manager_involved: int
    reasons: dict[str, int]  # reason -> escalated issues
    items: tuple[EscalationItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "escalated": self.escalated,
            "escalation_rate": self.escalation_rate,
            "manager_involved": self.manager_involved,
            "reasons": dict(self.reasons),
            "items": [item.to_json() for item in self.items],
        }


@dataclass(frozen=True, eq=False)
class Escalations:
    """SPEC §5.3 per category, the strategic issues active without the manager, and `issues`
    (summary, link, category of every issue these name)."""

    strategic: CategoryEscalations
    implementation: CategoryEscalations
    tactical: CategoryEscalations
    strategic_without_manager: tuple[str, ...]
    issues: pl.DataFrame

    def category(self, name: str) -> CategoryEscalations:
        found: CategoryEscalations = getattr(self, name)
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: self.category(name).to_json() for name in CATEGORIES},
            "strategic_without_manager": list(self.strategic_without_manager),
        }


@dataclass(frozen=True)
class PendingRequest:
    """An issue with a decision request open at `as_of`: its oldest open request's age."""

    key: str
    age_hours: float

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "age_hours": self.age_hours}


@dataclass(frozen=True)
class CategoryDecisions:
    """SPEC §5.4 for one delegation category."""

    requested: int
    answered: int
    median_hours: float | None
    p90_hours: float | None
    pending: tuple[PendingRequest, ...]  # oldest first, stale ones excluded
    stale_count: int
    stale_oldest_age_hours: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "answered": self.answered,
            "median_hours": self.median_hours,
            "p90_hours": self.p90_hours,
            "pending": [p.to_json() for p in self.pending],
            "stale": {"count": self.stale_count, "oldest_age_hours": self.stale_oldest_age_hours},
        }


@dataclass(frozen=True, eq=False)
class Decisions:
    """SPEC §5.4 per category and its colour; the frames are the evidence over every category."""

    strategic: CategoryDecisions
    implementation: CategoryDecisions
    tactical: CategoryDecisions
    colour: str
    pending: pl.DataFrame
    stale: pl.DataFrame
    answered: pl.DataFrame

    def category(self, name: str) -> CategoryDecisions:
        found: CategoryDecisions = getattr(self, name)
        return found

    def to_json(self) -> dict[str, Any]:
        return {**{name: self.category(name).to_json() for name in CATEGORIES}, "colour": self.colour}


@dataclass(frozen=True)
class ChecklistLight:
    """One light of the Friday checklist (SPEC §5.5). `reason` says why a light is grey when its
    source's data is incomplete (reports/health.py); it is shown, never written to metrics.json."""

    item: str
    colour: str
    next_step: str | None
    too_few: bool = False
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "colour": self.colour,
            "next_step": self.next_step,
            "too_few": self.too_few,
        }


@dataclass(frozen=True, eq=False)
class TeamWeek:
    """One team's week: the four signals, the checklist, the warnings and the unmapped identities."""

    team: Team
    manager: Person
    week: Week
    team_size: int
    coding: Coding
    reviews: Reviews
    escalations: Escalations
    decisions: Decisions
    checklist: tuple[ChecklistLight, ...]
    unmapped: pl.DataFrame
    flags: tuple[str, ...] = ()  # the warnings of SPEC §5.3 in words

    def light(self, item: str) -> ChecklistLight:
        """The checklist light named `item`."""
        return next(light for light in self.checklist if light.item == item)

    def colours(self) -> dict[str, str]:
        """Checklist item -> colour, in checklist order."""
        return {light.item: light.colour for light in self.checklist}

    def to_json(self) -> dict[str, Any]:
        """The team's entry of metrics.json (SPEC §6), in the SPEC's key order."""
        return {
            "team": self.team.name,
            "team_size": self.team_size,
            "coding": self.coding.to_json(),
            "reviews": self.reviews.to_json(),
            "escalations": self.escalations.to_json(),
            "decisions": self.decisions.to_json(),
            "checklist": [light.to_json() for light in self.checklist],
        }
