"""The records the demo builds and the builder's shared state: people, id counters, the weeks."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.weeks import Week
from demo.teams import TEAMS, WEEKS, TeamSpec


@dataclass(frozen=True)
class DemoPerson:
    id: str
    name: str
    login: str
    jira: str
    email: str
    alt_email: str | None = None


@dataclass
class PullRequest:
    repo: str
    key: int  # provisional; renumbered by creation time at the end
    author: str
    title: str
    created_at: datetime
    labels: list[str] = field(default_factory=list)
    draft: bool = False
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class Issue:
    key: int  # provisional
    project: str
    issue_type: str
    summary: str
    labels: list[str]
    components: list[str]
    reporter: str
    created_at: datetime
    assignee: str | None = None
    status: str = "To Do"
    resolved_at: datetime | None = None
    parent: int | None = None
    touched: list[datetime] = field(default_factory=list)


@dataclass
class Request:
    """A planned decision request (escalation) and how it is answered."""

    category: str
    at: datetime
    latency: float | None = None  # hours; None with `carry_to` is answered next week
    carry_to: datetime | None = None
    close_unanswered: bool = False


class DemoBuilder:
    """The rows of every table so far, the people, and the helpers both sources build with."""

    def __init__(self, rng: random.Random, zone: ZoneInfo, weeks: Sequence[Week]) -> None:
        self.rng = rng
        self.zone = zone
        self.weeks = list(weeks)
        self.people: dict[str, DemoPerson] = {}
        self.team_people: dict[str, tuple[DemoPerson, list[DemoPerson]]] = {}
        self.stakeholder_jira = self._account_id()  # a Jira identity that maps to no person
        for spec in TEAMS:
            manager = self._person(*spec.manager)
            members = [self._person(pid, name) for pid, name in spec.members]
            self.team_people[spec.name] = (manager, members)
        self.prs: list[PullRequest] = []
        self.reviews: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.commits: list[dict[str, Any]] = []
        self.issues: list[Issue] = []
        self.events: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self._pr_key = 0
        self._issue_key = 0
        self._history_id = 310_000
        self._comment_id = 52_000
        self._review_id = 2_104_000_000
        self._carry_prs: dict[str, list[tuple[PullRequest, str]]] = {}
        self._carry_requests: dict[str, list[tuple[Issue, Request]]] = {}
        self._pools: dict[str, list[Issue]] = {}

    # -- identities -------------------------------------------------------------------------------

    def _account_id(self) -> str:
        return f"{self.rng.getrandbits(96):024x}"

    def _person(self, person_id: str, name: str) -> DemoPerson:
        surname = name.split()[-1].lower()
        login = f"{person_id}-{surname[0]}"
        alt = None
        if person_id == "nino":  # commits from a laptop whose address GitHub does not know
            alt = "nino.bakradze@laptop.acme.example"
        elif person_id in ("luka", "kofi"):
            alt = f"{person_id}.{surname}@users.noreply.acme.example"
        person = DemoPerson(person_id, name, login, self._account_id(), f"{person_id}@acme.example", alt)
        self.people[person_id] = person
        return person

    def _other(self, members: list[DemoPerson], login: str) -> DemoPerson:
        return self.rng.choice([m for m in members if m.login != login])

    # -- time -------------------------------------------------------------------------------------

    def at(self, week: int, day: int, minutes: float) -> datetime:
        """Local `day` (0 = Monday) of report week `week`, `minutes` after midnight, as UTC."""
        local = datetime.combine(self.weeks[week].monday + timedelta(days=day), time(0), tzinfo=self.zone)
        return (local + timedelta(minutes=minutes)).astimezone(UTC)

    def work_time(
        self, week: int, days: tuple[int, int] = (0, 3), hours: tuple[float, float] = (9, 17)
    ) -> datetime:
        day = self.rng.randint(*days)
        return self.at(week, day, self.rng.uniform(hours[0] * 60, hours[1] * 60) // 1)

    def late(self, week: int) -> datetime:
        """Friday 19:00 local: later activity would spill into the next week."""
        return self.at(week, 4, 19 * 60)

    # -- plan -------------------------------------------------------------------------------------

    def _letter(self, spec: TeamSpec, item: str, week: int) -> str:
        return spec.plan[item][week]

    def _carries(self, spec: TeamSpec, week: int) -> bool:
        """Whether work may stay open into the next week (not into an offsite or past the end)."""
        return week + 1 < WEEKS and week + 1 != spec.offsite_week
