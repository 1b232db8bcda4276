"""The bundled demo workspace: a config and a full store for three teams over 13 weeks, no network.

Deterministic: one `random.Random(seed)` drives every choice and no clock is read, so the same
seed and week give byte-identical files. Each team follows a week-by-week plan (`TeamSpec.plan`)
of the colour every Friday-checklist item should take, and the data is built to land there:

- Forecasting (4 reports): the manager delegates well; one offsite week has no activity at all.
- Churn & Retention (9 reports): the manager still codes about half the week.
- Data Platform (14 reports): the manager reviews everything; PRs and decisions wait on them.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from core.schemas import PRIMARY_KEYS, SCHEMAS
from core.state import STATE_FILE, SyncState
from core.store import Store
from core.weeks import Week
from metrics.selfcheck import ITEM_KEYS

TIMEZONE = "Europe/Berlin"
WEEKS = 13
DEFAULT_LAST_WEEK = "2026-W47"
GITHUB_API = "https://api.github.com"
GITHUB_WEB = "https://github.com"
JIRA_URL = "https://acme.atlassian.net"
DECISION_STATUS = "Needs Decision"
HANDOVER_LABEL = "handover"
ESCALATION_LABELS = ("escalation", "needs-manager")
REASONS = {
    "stakeholder": "stakeholder-misalignment",
    "timeline-risk": "resource-timeline-risk",
    "blocked-by-other-team": "dependency",
    "model-anomaly": "unexplained-model-behaviour",
    "tech-debate": "unresolved-technical-debate",
    "scope-creep": "scope-change",
}
RELEASE_BOT = "release-bot"
DEPENDABOT = "dependabot[bot]"
CONTRACTOR_LOGIN = "jo-contractor"  # a GitHub identity that maps to no person
CONTRACTOR_EMAIL = "jo@contractor.example"
FORMER_MEMBER = "ghost"  # GitHub's placeholder for a deleted account
ITEMS = ("coding", "reviews", "tactical_ownership", "strategic_involvement", "decisions")
COLOUR_OF = {"g": "green", "y": "yellow", "r": "red", ".": "grey"}

# Two working-day slots for coding sessions, in local minutes since midnight: (earliest start,
# latest last commit). The gap between a morning's last commit and the afternoon's first is over
# the 2 h session gap, so every slot is a session of its own.
SLOTS = ((8 * 60 + 30, 11 * 60 + 45), (14 * 60, 19 * 60))


@dataclass(frozen=True)
class TeamSpec:
    """One demo team: its people, sources, and the colour each checklist item takes each week.

    `plan` maps a checklist item to 13 letters, oldest week first: g(reen), y(ellow), r(ed),
    . (grey).
    """

    name: str
    slug: str
    manager: tuple[str, str]
    members: tuple[tuple[str, str], ...]
    repos: tuple[str, ...]
    project: str
    plan: dict[str, str]
    coding_hours: dict[str, tuple[float, float]]
    manager_pickup_hours: tuple[float, float]
    prs_per_week: tuple[int, int]
    tactical_active: tuple[int, int]
    implementation_active: tuple[int, int]
    strategic: tuple[tuple[str, str, tuple[str, ...]], ...]
    tactical_topics: tuple[str, ...]
    implementation_topics: tuple[str, ...]
    pr_topics: tuple[str, ...]
    offsite_week: int | None = None
    manager_prs: int = 0
    handover_every: int = 0
    # The Friday practice: (category, index of the start week) and (week index, 11 self-check
    # letters in metrics.selfcheck.ITEM_KEYS order: 6 mindset, then 5 technical).
    delegation_plan: tuple[tuple[str, int], ...] = ()
    checkins: tuple[tuple[int, str], ...] = ()


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        name="Forecasting",
        slug="forecasting",
        delegation_plan=(("tactical", 2), ("implementation", 11)),
        checkins=((12, "gggggy" + "ggggg"),),
        manager=("mariam", "Mariam Kapanadze"),
        members=(
            ("tamar", "Tamar Beridze"),
            ("jonas", "Jonas Weber"),
            ("priya", "Priya Raman"),
            ("mateo", "Mateo Silva"),
        ),
        repos=("acme/demand-forecast",),
        project="FC",
        plan={
            "coding": "ggygg.ggggggg",
            "reviews": "ggggg.ygggggg",
            "tactical_ownership": "ggggg.gggyggg",
            "strategic_involvement": "gg.gg.gggg.gg",
            "decisions": "g.g.g.g.gy.gg",
        },
        coding_hours={"g": (6.0, 11.0), "y": (18.0, 22.0)},
        manager_pickup_hours=(0.5, 4.0),
        prs_per_week=(4, 6),
        tactical_active=(5, 8),  # at least min_sample (5): enough to judge
        implementation_active=(0, 2),
        strategic=(
            ("Epic", "Global forecasting model to replace per-store ARIMA", ()),
            ("Story", "Forecast accuracy targets for the 2027 planning cycle", ("strategy",)),
            ("Story", "Move feature pipelines onto the shared feature store", ("architecture",)),
        ),
        tactical_topics=(
            "Backfill missing weather data for the Hamburg stores",
            "Weekly forecast job failed on the holiday calendar join",
            "Update the promotion calendar for Q4",
            "Forecast dashboard shows stale numbers for region North",
            "Re-run the backtest after the price-change fix",
            "Answer the supply team's question about safety stock",
            "Rotate the service account key of the training job",
            "Investigate the spike in MAPE for frozen goods",
        ),
        implementation_topics=(
            "Design the evaluation report for hierarchical forecasts",
            "Plan the migration of training jobs to the new cluster",
            "Choose the loss for intermittent-demand products",
        ),
        pr_topics=(
            "Add holiday regressors to the weekly demand model",
            "Make the backtest window configurable per region",
            "Fix leakage in the rolling-mean features",
            "Cache weather features per store",
            "Reconcile hierarchical forecasts with MinT",
            "Extend the forecast horizon to 16 weeks",
            "Report MAPE by product category",
            "Split the training entry point into steps",
            "Handle stores that opened mid-year",
            "Log feature importances for every run",
        ),
        offsite_week=5,
        manager_prs=1,
    ),
    TeamSpec(
        name="Churn & Retention",
        slug="churn-retention",
        # Says green on coding time (the commits say red) and on team decisions (tactical: yellow).
        delegation_plan=(("tactical", 5),),
        checkins=((10, "ryyygy" + "rryyy"), (11, "yyygyy" + "yyyry"), (12, "gyygyy" + "ygyry")),
        manager=("nino", "Nino Bakradze"),
        members=(
            ("ana", "Ana Kvaratskhelia"),
            ("giorgi", "Giorgi Meladze"),
            ("luka", "Luka Tsiklauri"),
            ("sofia", "Sofia Rossi"),
            ("lena", "Lena Fischer"),
            ("omar", "Omar Haddad"),
            ("mei", "Mei Lin"),
            ("david", "David Cohen"),
            ("elif", "Elif Yilmaz"),
        ),
        repos=("acme/churn-model", "acme/feature-store"),
        project="DS",
        plan={
            "coding": "rryrrrgryrrrr",
            "reviews": "yygyyygyyygyy",
            "tactical_ownership": "yygyryygyyryy",
            "strategic_involvement": "ryrryrrryrryr",
            "decisions": "yyygyryyyyryy",
        },
        coding_hours={"r": (18.0, 23.0), "y": (10.0, 13.0), "g": (2.0, 4.0)},
        manager_pickup_hours=(2.0, 20.0),
        prs_per_week=(9, 12),
        tactical_active=(6, 9),
        implementation_active=(1, 3),
        strategic=(
            ("Epic", "Churn model v3: survival model instead of 90-day classifier", ()),
            ("Story", "Retention strategy with Marketing for 2027", ("strategy",)),
            ("Story", "Real-time scoring architecture for the save-desk", ("architecture",)),
            ("Epic", "Uplift modelling for retention offers", ()),
        ),
        tactical_topics=(
            "Churn scores missing for customers migrated from the old CRM",
            "Nightly scoring job ran twice on Sunday",
            "Marketing asks for the churn list two days earlier",
            "Update the data dictionary for the tenure features",
            "Fix the broken link to the model card",
            "Save-desk export has duplicate customer ids",
            "Re-run scoring for the Austrian market",
            "Investigate the drop in recall for prepaid customers",
            "Dashboard filter for contract type is empty",
        ),
        implementation_topics=(
            "Design the feature set for the survival model",
            "Plan the A/B test for retention offers",
            "Choose the calibration method for churn scores",
            "Modelling: handle customers with missing tenure",
        ),
        pr_topics=(
            "Calibrate churn scores with isotonic regression",
            "Add tenure buckets to the feature set",
            "Fix the SHAP export for batch scoring",
            "Point-in-time join for customer features",
            "Add a TTL to online store entries",
            "Score prepaid customers separately",
            "Speed up the nightly scoring job",
            "Add the contract-type feature",
            "Write the model card for churn v2.4",
            "Handle timezone-naive event timestamps",
            "Backfill the usage features for October",
        ),
        manager_prs=3,
        handover_every=3,
    ),
    TeamSpec(
        name="Data Platform",
        slug="data-platform",
        delegation_plan=(("tactical", 6),),
        checkins=((12, "gyrgyg" + "rrrrr"),),
        manager=("levan", "Levan Gelashvili"),
        members=(
            ("ravi", "Ravi Shankar"),
            ("hannah", "Hannah Schulz"),
            ("tomasz", "Tomasz Nowak"),
            ("ines", "Ines Duarte"),
            ("kofi", "Kofi Mensah"),
            ("yuki", "Yuki Tanaka"),
            ("marco", "Marco Bianchi"),
            ("sara", "Sara Lindqvist"),
            ("felix", "Felix Wagner"),
            ("amara", "Amara Obi"),
            ("nikolai", "Nikolai Petrov"),
            ("chloe", "Chloe Martin"),
            ("diego", "Diego Ramirez"),
            ("zara", "Zara Ahmed"),
        ),
        repos=("acme/ingest-pipelines", "acme/data-platform", "acme/feature-store"),
        project="PLAT",
        plan={
            "coding": "gggyggggygggg",
            "reviews": "rrrryrrrrrrrr",
            "tactical_ownership": "rrryrrrrryrrr",
            "strategic_involvement": "yygyyyygyyyyy",
            "decisions": "rryrrrryrrrrr",
        },
        coding_hours={"g": (1.0, 2.5), "y": (6.0, 9.0)},
        manager_pickup_hours=(8.0, 30.0),
        prs_per_week=(16, 20),
        tactical_active=(10, 14),
        implementation_active=(2, 4),
        strategic=(
            ("Epic", "Lakehouse migration off the legacy warehouse", ()),
            ("Story", "Data platform roadmap for 2027", ("strategy",)),
            ("Story", "Event streaming architecture for the ingest layer", ("architecture",)),
            ("Epic", "Self-service data contracts", ()),
            ("Story", "Cost model for compute per team", ("strategy",)),
        ),
        tactical_topics=(
            "Airflow scheduler restarts every night at 02:00",
            "S3 listing throttled during the nightly ingest",
            "Grant the finance team read access to the orders mart",
            "Kafka consumer lag on the clickstream topic",
            "dbt test failing on orders.status accepted values",
            "Rotate the warehouse service credentials",
            "Disk full on the ingest worker pool",
            "Backfill the payments table for 3 November",
            "Upgrade the Spark base image",
            "Slow query on the customer 360 view",
            "Alert fatigue: tune the freshness alerts",
            "CDC connector dropped the new column on accounts",
            "Document the on-call runbook for late data",
            "Partition the events table by ingest date",
        ),
        implementation_topics=(
            "Design the schema registry rollout",
            "Plan the cut-over of the orders pipeline",
            "Design the retention policy for raw events",
            "Planning: capacity for the Q1 lakehouse load",
        ),
        pr_topics=(
            "Retry S3 listing on throttling",
            "Partition the events table by ingest date",
            "Split the nightly DAG per source",
            "Add freshness checks to the orders mart",
            "Move secrets to the vault provider",
            "Bump the Spark base image",
            "Add a dead-letter queue to the clickstream consumer",
            "Make the backfill job idempotent",
            "Add data contracts for the payments topic",
            "Compact small files in the bronze layer",
            "Add lineage metadata to dbt models",
            "Fix timezone handling in the CDC connector",
        ),
        manager_prs=0,
    ),
)


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


def write_demo_workspace(folder: Path, last_week: Week | None = None, seed: int = 7) -> Path:
    """Write `folder/radar.toml` and the store under `folder/data` for the 13 weeks ending with
    `last_week` (default 2026-W47); returns the config path."""
    zone = ZoneInfo(TIMEZONE)
    last = Week.parse(last_week.label if last_week else DEFAULT_LAST_WEEK, zone)
    weeks = [last.previous(zone, WEEKS - 1 - i) for i in range(WEEKS)]
    demo = _Demo(random.Random(seed), zone, weeks)
    frames = demo.build()

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "radar.toml"
    config_path.write_text(demo.config_toml(), encoding="utf-8")
    store = Store(folder / "data")
    for table, frame in frames.items():
        store.write(table, frame)
    (store.root / STATE_FILE).unlink(missing_ok=True)
    state = SyncState(store)
    synced_at = last.end.isoformat()
    for source, key, cursor in demo.cursors(frames):
        state.set_cursor(source, key, cursor, synced_at=synced_at)
    return config_path


class _Demo:
    """Builds the rows of every table, team by team and week by week."""

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

    # -- build ------------------------------------------------------------------------------------

    def build(self) -> dict[str, pl.DataFrame]:
        for spec in TEAMS:
            self._carry_prs[spec.name] = []
            self._carry_requests[spec.name] = []
            self._strategic_pool(spec)
        for week in range(WEEKS):
            for spec in TEAMS:
                if week == spec.offsite_week:
                    continue
                self._github_week(spec, week)
                self._jira_week(spec, week)
            self._bots_week(week)
        return self._frames()

    def _letter(self, spec: TeamSpec, item: str, week: int) -> str:
        return spec.plan[item][week]

    def _carries(self, spec: TeamSpec, week: int) -> bool:
        """Whether work may stay open into the next week (not into an offsite or past the end)."""
        return week + 1 < WEEKS and week + 1 != spec.offsite_week

    # -- GitHub -----------------------------------------------------------------------------------

    def _new_pr(
        self, repo: str, author: str, title: str, created: datetime, labels: list[str]
    ) -> PullRequest:
        self._pr_key += 1
        pr = PullRequest(repo, self._pr_key, author, title, created, labels)
        self.prs.append(pr)
        return pr

    def _sha(self) -> str:
        return f"{self.rng.getrandbits(160):040x}"

    def _commit(
        self,
        repo: str,
        person: DemoPerson | None,
        authored: datetime,
        message: str,
        pr: PullRequest | None,
        login: str | None = None,
        email: str | None = None,
    ) -> None:
        if person is not None:
            login, email = person.login, person.email
            if person.alt_email and self.rng.random() < 0.3:
                login, email = None, person.alt_email  # matched by author email only
        self.commits.append(
            {
                "repo": repo,
                "sha": self._sha(),
                "author": login,
                "author_email": email,
                "authored_at": authored,
                "committed_at": authored + timedelta(seconds=self.rng.randint(0, 900)),
                "additions": self.rng.randint(2, 240),
                "deletions": self.rng.randint(0, 90),
                "pr_number": pr.key if pr else None,
                "message_first_line": message,
            }
        )

    def _request(
        self, pr: PullRequest, reviewer: str, at: datetime, requester: str, removed: datetime | None = None
    ) -> None:
        self.requests.append(
            {
                "repo": pr.repo,
                "number": pr.key,
                "reviewer": reviewer,
                "requested_at": at,
                "requester": requester,
                "removed_at": removed,
            }
        )

    def _review(self, pr: PullRequest, reviewer: str, at: datetime, state: str = "APPROVED") -> None:
        self._review_id += self.rng.randint(3, 40)
        self.reviews.append(
            {
                "repo": pr.repo,
                "review_id": self._review_id,
                "number": pr.key,
                "reviewer": reviewer,
                "state": state,
                "submitted_at": at,
            }
        )

    def _merge(self, pr: PullRequest, at: datetime) -> None:
        pr.merged_at = pr.closed_at = pr.updated_at = at

    def _github_week(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        manager, members = self.team_people[spec.name]
        review_letter = self._letter(spec, "reviews", week)

        # PRs left open last week: those waiting on the manager get the manager's review first.
        merged_flags: list[bool] = []
        for pr, kind in self._carry_prs[spec.name]:
            start = self.at(week, 0, rng.uniform(9 * 60, 11 * 60) // 1)
            if kind == "waiting":
                self._review(pr, manager.login, start)
                merged_flags.append(True)
            else:
                reviewer = self._other(members, pr.author)
                self._review(pr, reviewer.login, start)
                merged_flags.append(False)
            self._merge(pr, start + timedelta(hours=rng.uniform(0.5, 3)))
        self._carry_prs[spec.name] = []

        # Pull requests opened and merged in the week, some reviewed by the manager.
        count = rng.randint(*spec.prs_per_week)
        total = count + len(merged_flags)
        manager_reviewed = _review_count(review_letter if review_letter != "." else "g", total, rng)
        manager_reviewed = max(0, manager_reviewed - sum(merged_flags))
        if manager_reviewed > count:
            raise ValueError(f"{spec.name} week {week}: cannot reach the planned review share")
        chosen = [True] * manager_reviewed + [False] * (count - manager_reviewed)
        rng.shuffle(chosen)
        for by_manager in chosen:
            self._member_pr(spec, week, by_manager)

        # Open at week end: PRs waiting on the manager, Friday PRs, drafts.
        for day, minutes in self._waiting_plan(spec, week, review_letter):
            self._waiting_pr(spec, week, self.at(week, day, minutes))
        if self._carries(spec, week):
            for _ in range(rng.randint(0, 2)):
                self._friday_pr(spec, week)
        if week % 4 == 1:
            self._draft_pr(spec, week)
        if week % 5 == 3:
            self._abandoned_pr(spec, week)

        self._manager_coding(spec, week)
        for _ in range(rng.randint(0, 2)):
            author = rng.choice(members)
            self._commit(
                rng.choice(spec.repos),
                author,
                self.work_time(week, (0, 4)),
                rng.choice(("Update the README", "Pin dependencies", "Fix typo in the runbook")),
                None,
            )

    def _other(self, members: list[DemoPerson], login: str) -> DemoPerson:
        return self.rng.choice([m for m in members if m.login != login])

    def _pr_commits(self, pr: PullRequest, author: DemoPerson, first: datetime, count: int) -> None:
        for i in range(count):
            when = first + timedelta(minutes=i * self.rng.randint(20, 80))
            message = pr.title if i == 0 else self.rng.choice(("Add tests", "Tidy up", "Handle empty input"))
            self._commit(pr.repo, author, when, message, pr)

    def _member_pr(self, spec: TeamSpec, week: int, by_manager: bool) -> None:
        rng = self.rng
        manager, members = self.team_people[spec.name]
        author = rng.choice(members)
        created = self.work_time(week, (0, 2))
        pr = self._new_pr(rng.choice(spec.repos), author.login, rng.choice(spec.pr_topics), created, [])
        if rng.random() < 0.2:
            pr.labels.append(rng.choice(("bug", "enhancement", "data-quality")))
        first = max(created - timedelta(hours=rng.uniform(1, 20)), self.at(week, 0, 7 * 60))
        self._pr_commits(pr, author, first, rng.randint(1, 4))
        times: list[datetime] = []
        reviewers = rng.sample([m for m in members if m is not author], k=1 if rng.random() < 0.6 else 2)
        swapped: list[DemoPerson] = []
        for reviewer in reviewers:
            requested = created + timedelta(minutes=rng.randint(0, 5))
            others = [m for m in members if m is not author and m not in reviewers and m not in swapped]
            if others and rng.random() < 0.1:  # reviewer swapped: the first request is removed
                swapped.append(rng.choice(others))
                self._request(pr, swapped[-1].login, requested, author.login, requested + timedelta(hours=2))
            self._request(pr, reviewer.login, requested, author.login)
            reviewed = requested + timedelta(hours=rng.uniform(0.5, 18))
            if rng.random() < 0.2:
                self._review(pr, reviewer.login, reviewed, "CHANGES_REQUESTED")
                self._commit(pr.repo, author, reviewed + timedelta(hours=1), "Address review comments", pr)
                reviewed += timedelta(hours=rng.uniform(2, 6))
            self._review(pr, reviewer.login, reviewed)
            times.append(reviewed)
        if rng.random() < 0.15:
            self._request(pr, f"team:{spec.slug}-reviewers", created, author.login)
        if by_manager:
            # The manager reviews; not always because somebody asked.
            asked = rng.random() < (0.6 if spec.slug == "data-platform" else 0.9)
            if asked:
                self._request(pr, manager.login, created, author.login)
            reviewed = created + timedelta(hours=rng.uniform(*spec.manager_pickup_hours))
            state = rng.choice(("APPROVED", "APPROVED", "COMMENTED", "CHANGES_REQUESTED"))
            self._review(pr, manager.login, reviewed, state)
            if state == "CHANGES_REQUESTED":
                reviewed += timedelta(hours=rng.uniform(2, 5))
                self._review(pr, manager.login, reviewed)
            times.append(reviewed)
        elif rng.random() < 0.15:  # asked the manager, then took the request back
            self._request(
                pr, manager.login, created, author.login, created + timedelta(hours=rng.uniform(1, 5))
            )
        self._merge(pr, max(times) + timedelta(hours=rng.uniform(0.3, 3)))

    def _waiting_plan(self, spec: TeamSpec, week: int, letter: str) -> list[tuple[int, float]]:
        """Request times (day, local minutes) of PRs left waiting on the manager at week end."""
        rng = self.rng
        red = [(2, 11 * 60), (3, 14 * 60), (4, 10 * 60)]  # 109 h, 82 h, 62 h before week end
        yellow = (5, 10 * 60 + 30)  # Saturday morning: 37.5 h
        green = (6, 18 * 60)  # Sunday evening: 6 h
        if week + 1 == spec.offsite_week:
            return []
        if letter == "r" and week % 3 != 2:
            return rng.sample(red, k=rng.randint(1, 3))
        if letter == "y" and spec.slug == "forecasting":
            return [yellow]
        if letter == "y" and spec.slug == "churn-retention" and week % 4 == 0:
            return [yellow]
        if letter in "gy" and week % 4 == 2:
            return [green]
        return []

    def _waiting_pr(self, spec: TeamSpec, week: int, requested: datetime) -> None:
        rng = self.rng
        manager, members = self.team_people[spec.name]
        author = rng.choice(members)
        pr = self._new_pr(rng.choice(spec.repos), author.login, rng.choice(spec.pr_topics), requested, [])
        pr.updated_at = requested
        self._pr_commits(pr, author, requested - timedelta(hours=rng.uniform(1, 6)), rng.randint(1, 3))
        self._request(pr, manager.login, requested, author.login)
        if week + 1 < WEEKS:
            self._carry_prs[spec.name].append((pr, "waiting"))

    def _friday_pr(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        _, members = self.team_people[spec.name]
        author = rng.choice(members)
        created = self.at(week, 4, rng.uniform(14 * 60, 17 * 60) // 1)
        pr = self._new_pr(rng.choice(spec.repos), author.login, rng.choice(spec.pr_topics), created, [])
        pr.updated_at = created
        self._pr_commits(pr, author, created - timedelta(hours=rng.uniform(1, 5)), rng.randint(1, 3))
        self._request(pr, self._other(members, author.login).login, created, author.login)
        self._carry_prs[spec.name].append((pr, "friday"))

    def _draft_pr(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        _, members = self.team_people[spec.name]
        author = rng.choice(members)
        created = self.work_time(week, (1, 4))
        title = "WIP: " + rng.choice(spec.pr_topics)
        pr = self._new_pr(rng.choice(spec.repos), author.login, title, created, [])
        pr.draft = True
        pr.updated_at = created
        self._pr_commits(pr, author, created - timedelta(hours=1), rng.randint(1, 3))

    def _abandoned_pr(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        _, members = self.team_people[spec.name]
        author = rng.choice(members)
        created = self.work_time(week, (0, 2))
        pr = self._new_pr(rng.choice(spec.repos), author.login, rng.choice(spec.pr_topics), created, [])
        self._pr_commits(pr, author, created - timedelta(hours=2), 1)
        reviewer = self._other(members, author.login)
        self._request(pr, reviewer.login, created, author.login)
        self._review(pr, reviewer.login, created + timedelta(hours=3), "COMMENTED")
        pr.closed_at = pr.updated_at = created + timedelta(hours=rng.uniform(20, 40))

    def _manager_coding(self, spec: TeamSpec, week: int) -> None:
        """The manager's commits, laid out as sessions that add up to the planned coding hours."""
        rng = self.rng
        manager, members = self.team_people[spec.name]
        letter = self._letter(spec, "coding", week)
        low, high = spec.coding_hours[letter]
        quarters = round(rng.uniform(low, high) * 4)
        slots = _session_slots(quarters, rng)
        free = [s for s in range(10) if s not in [slot for slot, _ in slots]]
        sessions = [self._session(week, slot, length) for slot, length in slots]

        # Group the sessions into the manager's PRs; the rest go straight to the default branch.
        groups: list[list[list[datetime]]] = [[] for _ in range(spec.manager_prs)]
        direct: list[list[datetime]] = []
        for i, session in enumerate(sessions):
            if groups and i % 3 != 2:
                groups[i % len(groups)].append(session)
            else:
                direct.append(session)
        repo = spec.repos[0]
        for group in groups:
            if not group:
                continue
            times = sorted(t for session in group for t in session)
            pr = self._new_pr(
                repo, manager.login, rng.choice(spec.pr_topics), times[0] + timedelta(minutes=10), []
            )
            for when in times:
                self._commit(repo, manager, when, rng.choice(("WIP", "Fix the tests", pr.title)), pr)
            reviewer = rng.choice(members)
            self._request(pr, reviewer.login, pr.created_at, manager.login)
            reviewed = times[-1] + timedelta(hours=rng.uniform(0.5, 2))
            self._review(pr, reviewer.login, reviewed)
            self._merge(pr, reviewed + timedelta(minutes=rng.randint(10, 50)))
        for session in direct:
            for when in session:
                self._commit(
                    repo, manager, when, rng.choice(("Quick fix for the scoring job", "Bump version")), None
                )

        # A handover: the manager starts a PR for a report to finish; it is not coding time.
        if spec.handover_every and week % spec.handover_every == 0 and free:
            taker = rng.choice(members)
            session = self._session(week, free[0], 8)
            pr = self._new_pr(
                repo,
                manager.login,
                f"Hand over the label backfill to {taker.name.split()[0]}",
                session[0] + timedelta(minutes=5),
                [HANDOVER_LABEL],
            )
            for when in session:
                self._commit(repo, manager, when, "Pair on the backfill", pr)
            self._commit(repo, taker, session[-1] + timedelta(hours=3), "Finish the backfill", pr)
            self._request(pr, taker.login, pr.created_at, manager.login)
            reviewed = session[-1] + timedelta(hours=4)
            self._review(pr, taker.login, reviewed)
            self._merge(pr, reviewed + timedelta(minutes=30))

    def _session(self, week: int, slot: int, quarters: int) -> list[datetime]:
        """Commit times of one session in `slot` (day * 2 + morning/afternoon) lasting `quarters`."""
        rng = self.rng
        earliest, latest = SLOTS[slot % 2]
        span = (quarters - 2) * 15  # a session lasts last - first + 30 min
        start = earliest + 15 * rng.randint(0, (latest - earliest - span) // 15)
        points = (
            [0]
            if span == 0
            else [round(span * i / math.ceil(span / 70)) for i in range(math.ceil(span / 70) + 1)]
        )
        jittered = [p if p in (0, span) else p + rng.randint(-10, 10) for p in points]
        return [self.at(week, slot // 2, start + p) for p in jittered]

    def _bots_week(self, week: int) -> None:
        """Dependabot PRs, the release bot, the unmapped contractor and a deleted account."""
        rng = self.rng
        busy = {spec.repos[0] for spec in TEAMS if spec.offsite_week == week}
        repos = sorted({repo for spec in TEAMS for repo in spec.repos} - busy)
        owners = {repo: spec for spec in reversed(TEAMS) for repo in spec.repos}
        for index, repo in enumerate(repos):
            _, members = self.team_people[owners[repo].name]
            if (week + index) % 2 == 0:
                package = rng.choice(("polars", "pydantic", "requests", "pyarrow", "scikit-learn"))
                old = rng.randint(2, 9)
                created = self.at(week, 0, 6 * 60 + rng.randint(0, 59))
                title = f"Bump {package} from 1.{old}.0 to 1.{old + 1}.0"
                pr = self._new_pr(repo, DEPENDABOT, title, created, ["dependencies"])
                self._commit(
                    repo,
                    None,
                    created,
                    title,
                    pr,
                    DEPENDABOT,
                    "49699333+dependabot[bot]@users.noreply.github.com",
                )
                reviewer = rng.choice(members)
                self._request(pr, reviewer.login, created, DEPENDABOT)
                self._review(pr, reviewer.login, created + timedelta(hours=rng.uniform(3, 8)))
                self._merge(pr, created + timedelta(hours=9))
            self._commit(
                repo,
                None,
                self.at(week, 4, 16 * 60 + index),
                f"chore(release): {self.weeks[week].label.lower()}.0",
                None,
                RELEASE_BOT,
                "release-bot@acme.example",
            )

        _, churn = self.team_people["Churn & Retention"]
        if week % 2 == 0:
            created = self.work_time(week, (0, 2))
            pr = self._new_pr(
                "acme/churn-model", CONTRACTOR_LOGIN, "Add the campaign-response feature", created, []
            )
            self._commit(
                pr.repo,
                None,
                created - timedelta(hours=3),
                "Campaign feature",
                pr,
                CONTRACTOR_LOGIN,
                CONTRACTOR_EMAIL,
            )
            self._commit(pr.repo, None, created - timedelta(hours=2), "Add tests", pr, None, CONTRACTOR_EMAIL)
            reviewer = rng.choice(churn)
            self._request(pr, reviewer.login, created, CONTRACTOR_LOGIN)
            self._review(pr, reviewer.login, created + timedelta(hours=5))
            self._merge(pr, created + timedelta(hours=6))
        else:
            logins = [m.login for m in churn]
            start = self.weeks[week].start
            recent = [
                pr
                for pr in self.prs
                if pr.repo == "acme/churn-model"
                and pr.merged_at
                and pr.author in logins
                and pr.created_at >= start
            ]
            if recent:
                pr = recent[-1]
                self._review(pr, CONTRACTOR_LOGIN, pr.created_at + timedelta(minutes=40), "COMMENTED")
        if week == 0:
            platform = [pr for pr in self.prs if pr.repo == "acme/ingest-pipelines" and pr.merged_at]
            pr = platform[0]
            self._review(pr, FORMER_MEMBER, pr.created_at + timedelta(minutes=30), "COMMENTED")

    # -- Jira -------------------------------------------------------------------------------------

    def _new_issue(
        self,
        spec: TeamSpec,
        issue_type: str,
        summary: str,
        labels: list[str],
        components: list[str],
        reporter: str,
        created: datetime,
    ) -> Issue:
        self._issue_key += 1
        issue = Issue(
            self._issue_key, spec.project, issue_type, summary, labels, components, reporter, created
        )
        issue.touched.append(created)
        self.issues.append(issue)
        return issue

    def _event(
        self, issue: Issue, at: datetime, actor: str, changes: list[tuple[str, str | None, str | None]]
    ) -> None:
        """One changelog history: several field changes under one id."""
        self._history_id += self.rng.randint(1, 9)
        for name, old, new in changes:
            self.events.append(
                {
                    "key": issue.key,
                    "event_id": str(self._history_id),
                    "field": name,
                    "at": at,
                    "actor": actor,
                    "from_value": old,
                    "to_value": new,
                }
            )
            if name == "status" and new is not None:
                issue.status = new
            if name == "assignee":
                issue.assignee = new
        issue.touched.append(at)

    def _status(self, issue: Issue, at: datetime, actor: str, new: str) -> None:
        changes: list[tuple[str, str | None, str | None]] = [("status", issue.status, new)]
        if new == "Done":
            changes.append(("resolution", None, "Done"))
            issue.resolved_at = at
        self._event(issue, at, actor, changes)

    def _comment(self, issue: Issue, at: datetime, author: str, mentions: list[str]) -> None:
        self._comment_id += self.rng.randint(1, 7)
        self.comments.append(
            {
                "key": issue.key,
                "comment_id": str(self._comment_id),
                "author": author,
                "created_at": at,
                "mentions": mentions,
            }
        )
        issue.touched.append(at)

    def _strategic_pool(self, spec: TeamSpec) -> None:
        manager, _ = self.team_people[spec.name]
        pool: list[Issue] = []
        for issue_type, summary, labels in spec.strategic:
            created = self.weeks[0].start - timedelta(
                days=self.rng.randint(12, 70), hours=self.rng.randint(0, 8)
            )
            issue = self._new_issue(spec, issue_type, summary, list(labels), [], manager.jira, created)
            issue.status = "In Progress"
            issue.assignee = manager.jira if issue_type == "Epic" else None
            pool.append(issue)
        self._pools[spec.name] = pool

    def _jira_week(self, spec: TeamSpec, week: int) -> None:
        rng = self.rng
        manager, members = self.team_people[spec.name]
        decisions = self._letter(spec, "decisions", week)
        tactical = self._letter(spec, "tactical_ownership", week)
        strategic = self._letter(spec, "strategic_involvement", week)

        # Requests carried from last week are answered early in this one.
        for issue, request in self._carry_requests[spec.name]:
            assert request.carry_to is not None
            self._comment(issue, request.carry_to, manager.jira, [])
            self._status(issue, request.carry_to + timedelta(hours=2), rng.choice(members).jira, "Done")
        self._carry_requests[spec.name] = []

        active, escalated = _tactical_counts(tactical, rng.randint(*spec.tactical_active))
        quiet = decisions == "."
        if quiet and escalated:
            raise ValueError(f"{spec.name} week {week}: escalations planned in a week without decisions")

        pool = self._pools[spec.name]
        involved, touched = _strategic_counts(strategic, len(pool), rng)
        chosen = rng.sample(pool, k=touched)
        strategic_escalations = 1 if not quiet and involved and rng.random() < 0.5 else 0
        implementation = rng.randint(*spec.implementation_active)
        implementation_escalations = 1 if not quiet and implementation and rng.random() < 0.4 else 0
        if not quiet and escalated + strategic_escalations + implementation_escalations == 0:
            implementation = max(implementation, 1)
            implementation_escalations = 1

        # One request per escalation; the first carries the week's planned longest wait.
        count = escalated + strategic_escalations + implementation_escalations
        requests = [self._planned_request(decisions, week, i == 0) for i in range(count)]
        categories = ["tactical"] * escalated + ["strategic"] * strategic_escalations
        categories += ["implementation"] * implementation_escalations
        rng.shuffle(categories)
        for request, category in zip(requests, categories, strict=True):
            request.category = category
        if spec.slug == "data-platform" and week % 4 == 1:
            # Resolved by the team before the manager answered: closed, neither waiting nor answered.
            closable = [r for r in requests[1:] if r.category == "tactical"]
            if closable:
                closable[0].close_unanswered = True

        by_category: dict[str, list[Request]] = {"tactical": [], "strategic": [], "implementation": []}
        for request in requests:
            by_category[request.category].append(request)

        # Tactical work: escalated issues first, then the quiet ones.
        for request in by_category["tactical"]:
            self._escalated_issue(spec, week, "tactical", request)
        self_assigned = spec.slug == "churn-retention" and self._letter(spec, "coding", week) == "r"
        for i in range(active - escalated):
            self._quiet_issue(spec, week, "tactical", manager_takes=self_assigned and i == 0)

        for request in by_category["implementation"]:
            self._escalated_issue(spec, week, "implementation", request)
        for _ in range(implementation - len(by_category["implementation"])):
            self._quiet_issue(spec, week, "implementation")
        if decisions == "r" and spec.slug == "data-platform" and week % 2 == 0:
            # A decision left pending over the weekend, answered next week (or never, in the last).
            request = Request("implementation", self.at(week, 2, 10 * 60 + rng.randint(0, 50)))
            if week + 1 < WEEKS and self._letter(spec, "decisions", week + 1) == "r":
                request.carry_to = self.at(week + 1, 1, 10 * 60 + rng.randint(0, 50))
                issue = self._escalated_issue(spec, week, "implementation", request)
                self._carry_requests[spec.name].append((issue, request))
            elif week + 1 == WEEKS:
                self._escalated_issue(spec, week, "implementation", request)

        # Strategic work: every touched issue moves; the manager takes part in `involved` of them.
        for i, issue in enumerate(chosen):
            author = rng.choice(members)
            self._comment(issue, self.work_time(week, (0, 4)), author.jira, [rng.choice(members).jira])
            if i >= involved:
                continue
            escalation = by_category["strategic"][0] if i == 0 and by_category["strategic"] else None
            if escalation is not None:
                assert escalation.latency is not None
                self._comment(issue, escalation.at, author.jira, [manager.jira])
                self._comment(
                    issue, escalation.at + timedelta(hours=escalation.latency), manager.jira, [author.jira]
                )
            else:
                self._comment(issue, self.work_time(week, (0, 4)), manager.jira, [author.jira])

    def _planned_request(self, letter: str, week: int, slowest: bool) -> Request:
        """A request time and answer latency (hours) that keep the week's decision colour."""
        rng = self.rng
        if slowest and letter == "r":
            return Request("", self.at(week, 0, rng.uniform(9 * 60, 10 * 60 + 30) // 1), rng.uniform(76, 92))
        if slowest and letter == "y":
            return Request("", self.work_time(week, (0, 1), (9, 12)), rng.uniform(27, 50))
        return Request("", self.work_time(week, (0, 3), (9, 15)), rng.uniform(0.5, 6))

    def _escalated_issue(self, spec: TeamSpec, week: int, category: str, request: Request) -> Issue:
        """An issue escalated to the manager at `request.at`, answered as the request says."""
        rng = self.rng
        manager, members = self.team_people[spec.name]
        owner = rng.choice(members)
        reason = rng.choice(sorted(REASONS)) if rng.random() < 0.8 else None
        labels, components = self._category_tags(category)
        if reason:
            labels.append(reason)
        summary = self._summary(spec, category)
        created = max(self.at(week, 0, 8 * 60), request.at - timedelta(hours=rng.uniform(0.5, 20)))
        reporter = self.stakeholder_jira if rng.random() < 0.2 else rng.choice(members).jira
        issue = self._new_issue(spec, "Story", summary, labels, components, reporter, created)
        self._event(issue, created + (request.at - created) / 3, owner.jira, [("assignee", None, owner.jira)])
        self._status(issue, created + (request.at - created) * 2 / 3, owner.jira, "In Progress")

        kind = rng.choice(("label", "assigned", "decision_status", "mention"))
        if request.close_unanswered and kind == "decision_status":
            kind = "label"  # leaving a decision status would answer the request
        if kind == "label":
            old = " ".join(issue.labels)
            issue.labels = [*issue.labels, rng.choice(ESCALATION_LABELS)]
            self._event(issue, request.at, owner.jira, [("labels", old or None, " ".join(issue.labels))])
        elif kind == "assigned":
            self._event(issue, request.at, owner.jira, [("assignee", owner.jira, manager.jira)])
        elif kind == "decision_status":
            self._status(issue, request.at, owner.jira, DECISION_STATUS)
        else:
            author = self.stakeholder_jira if rng.random() < 0.25 else owner.jira
            self._comment(issue, request.at, author, [manager.jira])

        if request.close_unanswered:
            self._status(issue, request.at + timedelta(hours=2), owner.jira, "Done")
            return issue
        if request.latency is None:
            return issue  # answered next week, or pending at the end
        answer = request.at + timedelta(hours=request.latency)
        if kind == "assigned":
            self._event(issue, answer, manager.jira, [("assignee", manager.jira, owner.jira)])
        elif kind == "decision_status" and rng.random() < 0.4:
            self._status(
                issue, answer, owner.jira, "In Progress"
            )  # decided in stand-up: the status exit answers
        else:
            self._comment(issue, answer, manager.jira, [owner.jira])
        if issue.status == DECISION_STATUS:
            self._status(issue, answer + timedelta(minutes=rng.randint(5, 60)), owner.jira, "In Progress")
        done = answer + timedelta(hours=rng.uniform(1, 6))
        if done < self.late(week) and rng.random() < 0.8:
            self._status(issue, done, owner.jira, "Done")
        return issue

    def _quiet_issue(self, spec: TeamSpec, week: int, category: str, manager_takes: bool = False) -> None:
        """An issue the team handles on its own within the week."""
        rng = self.rng
        manager, members = self.team_people[spec.name]
        labels, components = self._category_tags(category)
        if rng.random() < 0.25:
            labels.append(rng.choice(("bug", "data-quality", "ops")))
        created = self.work_time(week, (0, 3), (8, 16))
        reporter = self.stakeholder_jira if rng.random() < 0.15 else rng.choice(members).jira
        issue_type = rng.choice(("Task", "Bug", "Story")) if category == "tactical" else "Story"
        issue = self._new_issue(
            spec, issue_type, self._summary(spec, category), labels, components, reporter, created
        )
        owner = manager if manager_takes else rng.choice(members)
        step = timedelta(hours=rng.uniform(0.5, 5))
        self._event(issue, created + step, owner.jira, [("assignee", None, owner.jira)])
        self._status(issue, created + 2 * step, owner.jira, "In Progress")
        if rng.random() < 0.5:
            colleague = self._other(members, owner.login)
            mentions = [owner.jira] if owner is not manager and rng.random() < 0.5 else []
            self._comment(issue, created + 3 * step, colleague.jira, mentions)
        if rng.random() < 0.2:
            issue.parent = rng.choice(self._pools[spec.name]).key
        if rng.random() < 0.2:
            old = " ".join(issue.labels)
            issue.labels = [*issue.labels, "needs-review"]
            self._event(
                issue, created + 3 * step, owner.jira, [("labels", old or None, " ".join(issue.labels))]
            )
        done = created + 4 * step + timedelta(hours=rng.uniform(1, 20))
        if done < self.late(week) and rng.random() < 0.8:
            self._status(issue, done, owner.jira, "Done")

    def _category_tags(self, category: str) -> tuple[list[str], list[str]]:
        if category == "implementation":
            choice = self.rng.choice(("design", "planning", "modelling"))
            return ([], [choice]) if choice == "modelling" else ([choice], [])
        if category == "strategic":
            return (["architecture"], [])
        return ([], [self.rng.choice(("pipeline", "dashboards", "api"))] if self.rng.random() < 0.5 else [])

    def _summary(self, spec: TeamSpec, category: str) -> str:
        topics = spec.implementation_topics if category == "implementation" else spec.tactical_topics
        return self.rng.choice(topics)

    # -- output -----------------------------------------------------------------------------------

    def _frames(self) -> dict[str, pl.DataFrame]:
        numbers = _numbering([(pr.repo, pr.key, pr.created_at) for pr in self.prs])
        keys: dict[int, str] = {}
        counters: dict[str, int] = {}
        for issue in sorted(self.issues, key=lambda i: (i.created_at, i.key)):
            counters[issue.project] = counters.get(issue.project, 0) + 1
            keys[issue.key] = f"{issue.project}-{counters[issue.project]}"

        additions: dict[tuple[str, int], tuple[int, int]] = {}
        for commit in self.commits:
            if commit["pr_number"] is not None:
                a, d = additions.get((commit["repo"], commit["pr_number"]), (0, 0))
                additions[(commit["repo"], commit["pr_number"])] = (
                    a + commit["additions"],
                    d + commit["deletions"],
                )
        activity: dict[tuple[str, int], datetime] = {}
        for row in self.reviews:
            key = (row["repo"], row["number"])
            activity[key] = max(activity.get(key, row["submitted_at"]), row["submitted_at"])

        pull_requests = []
        for pr in self.prs:
            number = numbers[(pr.repo, pr.key)]
            state = "merged" if pr.merged_at else "closed" if pr.closed_at else "open"
            added, deleted = additions.get((pr.repo, pr.key), (0, 0))
            updated = max(t for t in (pr.updated_at, pr.created_at, activity.get((pr.repo, pr.key))) if t)
            pull_requests.append(
                {
                    "repo": pr.repo,
                    "number": number,
                    "author": pr.author,
                    "title": pr.title,
                    "url": f"{GITHUB_WEB}/{pr.repo}/pull/{number}",
                    "state": state,
                    "draft": pr.draft,
                    "created_at": pr.created_at,
                    "merged_at": pr.merged_at,
                    "closed_at": pr.closed_at,
                    "updated_at": updated,
                    "labels": pr.labels,
                    "additions": added,
                    "deletions": deleted,
                }
            )
        renumber = lambda row, column: {**row, column: numbers[(row["repo"], row[column])]}  # noqa: E731
        commits = [row if row["pr_number"] is None else renumber(row, "pr_number") for row in self.commits]
        issues = [
            {
                "key": keys[i.key],
                "project": i.project,
                "issue_type": i.issue_type,
                "summary": i.summary,
                "url": f"{JIRA_URL}/browse/{keys[i.key]}",
                "status": i.status,
                "labels": i.labels,
                "components": i.components,
                "assignee": i.assignee,
                "reporter": i.reporter,
                "created_at": i.created_at,
                "updated_at": max(i.touched),
                "resolved_at": i.resolved_at,
                "parent_key": keys[i.parent] if i.parent else None,
            }
            for i in self.issues
        ]
        tables: dict[str, list[dict[str, Any]]] = {
            "checkins": self._checkins(),
            "pull_requests": pull_requests,
            "reviews": [renumber(row, "number") for row in self.reviews],
            "review_requests": [renumber(row, "number") for row in self.requests],
            "commits": commits,
            "issues": issues,
            "issue_events": [{**row, "key": keys[row["key"]]} for row in self.events],
            "comments": [{**row, "key": keys[row["key"]]} for row in self.comments],
        }
        frames: dict[str, pl.DataFrame] = {}
        for name, rows in tables.items():
            columns = list(PRIMARY_KEYS[name])
            frame = pl.DataFrame(rows, schema=SCHEMAS[name])
            # The sources give whole seconds.
            frame = frame.with_columns(pl.col(pl.Datetime).dt.truncate("1s")).sort(columns)
            if frame.select(columns).is_duplicated().any():
                raise ValueError(f"demo {name} repeats a primary key")
            frames[name] = frame
        return frames

    def _checkins(self) -> list[dict[str, Any]]:
        """The demo managers' Friday self-checks, answered Friday 16:00 local."""
        colour = {"g": "green", "y": "yellow", "r": "red"}
        return [
            {
                "team": spec.name,
                "week": self.weeks[week].label,
                "item": item,
                "colour": colour[letter],
                "answered_at": self.at(week, 4, 16 * 60),
            }
            for spec in TEAMS
            for week, letters in spec.checkins
            for item, letter in zip(ITEM_KEYS, letters, strict=True)
        ]

    def cursors(self, frames: dict[str, pl.DataFrame]) -> list[tuple[str, str, datetime | None]]:
        """The newest update per repo and project, as a finished sync would have recorded it."""
        result: list[tuple[str, str, datetime | None]] = []
        prs = frames["pull_requests"]
        for repo in _all_repos():
            times = prs.filter(pl.col("repo") == repo).get_column("updated_at")
            result.append(("github", repo, times.max() if times.len() else None))  # type: ignore[arg-type]
        issues = frames["issues"]
        for spec in TEAMS:
            times = issues.filter(pl.col("project") == spec.project).get_column("updated_at")
            result.append(("jira", spec.project, times.max() if times.len() else None))  # type: ignore[arg-type]
        return result

    def config_toml(self) -> str:
        """The demo's radar.toml: every section but [email], so messages are written as .eml files."""
        q = json.dumps
        lines = [
            "# The delegation-radar demo workspace: three teams, 13 weeks, made-up data. It never syncs:",
            "# the hosts and tokens below only show the shape of a real config.",
            f"timezone = {q(TIMEZONE)}",
            "work_hours_per_week = 40",
            'store = "data"',
            'output = "out"',
            f"bots = [{q(RELEASE_BOT)}]",
            "",
            "[coding]",
            "session_gap_minutes = 120",
            "first_commit_allowance_minutes = 30",
            "",
            "[thresholds]",
            "tactical_escalation_rate = 0.10",
            "implementation_escalation_rate = 0.25",
            "decision_yellow_hours = 24",
            "decision_red_hours = 72",
            "",
            "[github]",
            f"base_url = {q(GITHUB_API)}",
            'token = "env:GITHUB_TOKEN"',
            f"repos = [{', '.join(q(r) for r in _all_repos())}]",
            "",
            "[jira]",
            f"url = {q(JIRA_URL)}",
            'flavor = "cloud"',
            'user = "env:JIRA_USER"',
            'token = "env:JIRA_TOKEN"',
            f"projects = [{', '.join(q(spec.project) for spec in TEAMS)}]",
            f"decision_statuses = [{q(DECISION_STATUS)}]",
            "",
            "[delegation]",
            'strategic = { labels = ["architecture", "strategy"], issue_types = ["Epic"] }',
            'implementation = { labels = ["design", "planning"], components = ["modelling"] }',
            f"handover_labels = [{q(HANDOVER_LABEL)}]",
            "",
            "[escalation]",
            f"labels = [{', '.join(q(label) for label in ESCALATION_LABELS)}]",
            "[escalation.reasons]",
            *(f"{label} = {q(reason)}" for label, reason in REASONS.items()),
            "",
            "[schedule]",
            'cron = "0 15 * * 5"',
        ]
        for person in self.people.values():
            emails = [person.email, *([person.alt_email] if person.alt_email else [])]
            lines += [
                "",
                "[[people]]",
                f"id = {q(person.id)}",
                f"name = {q(person.name)}",
                f"github = [{q(person.login)}]",
                f"jira = [{q(person.jira)}]",
                f"emails = [{', '.join(q(e) for e in emails)}]",
            ]
        for spec in TEAMS:
            manager, members = self.team_people[spec.name]
            lines += [
                "",
                "[[teams]]",
                f"name = {q(spec.name)}",
                f"manager = {q(manager.id)}",
                f"members = [{', '.join(q(m.id) for m in members)}]",
                f"email_to = [{q(manager.email)}]",
                f"repos = [{', '.join(q(r) for r in spec.repos)}]",
                f"jira_projects = [{q(spec.project)}]",
            ]
            if spec.delegation_plan:
                phases = ", ".join(
                    f"{{ category = {q(category)}, since = {q(self.weeks[start].label)} }}"
                    for category, start in spec.delegation_plan
                )
                lines.append(f"delegation_plan = [{phases}]")
        return "\n".join(lines) + "\n"


def _all_repos() -> list[str]:
    repos: list[str] = []
    for spec in TEAMS:
        repos += [r for r in spec.repos if r not in repos]
    return repos


def _numbering(prs: list[tuple[str, int, datetime]]) -> dict[tuple[str, int], int]:
    """PR numbers per repo in creation order, after the repo's older history."""
    numbers: dict[tuple[str, int], int] = {}
    last = {repo: base for repo, base in zip(_all_repos(), (212, 480, 1020, 731, 1544), strict=True)}
    for repo, key, _created in sorted(prs, key=lambda p: (p[0], p[2], p[1])):
        last[repo] += 1
        numbers[(repo, key)] = last[repo]
    return numbers


def _session_slots(quarters: int, rng: random.Random) -> list[tuple[int, int]]:
    """Spread `quarters` (15-minute units) over morning/afternoon slots as (slot, length) pairs."""
    capacity = {0: (SLOTS[0][1] - SLOTS[0][0]) // 15 + 2, 1: (SLOTS[1][1] - SLOTS[1][0]) // 15 + 2}
    count = max(1, math.ceil(quarters / 14))
    slots = sorted(rng.sample(range(10), k=count))
    lengths = {slot: 2 for slot in slots}
    remaining = quarters - 2 * count
    while remaining > 0:
        open_slots = [slot for slot in slots if lengths[slot] < capacity[slot % 2] - 1]
        slot = rng.choice(open_slots)
        lengths[slot] += 1
        remaining -= 1
    return [(slot, lengths[slot]) for slot in slots]


def _review_count(letter: str, merged: int, rng: random.Random) -> int:
    """How many of `merged` PRs the manager reviews for the share colour `letter`."""
    share = {"g": rng.uniform(0.0, 0.18), "y": rng.uniform(0.3, 0.45), "r": rng.uniform(0.65, 0.9)}[letter]
    count = round(share * merged)
    lower, upper = {"g": (0.0, 0.25), "y": (0.25, 0.5), "r": (0.5, 1.01)}[letter]
    while count / max(merged, 1) >= upper:
        count -= 1
    while count / max(merged, 1) < lower:
        count += 1
    return count


def _tactical_counts(letter: str, active: int) -> tuple[int, int]:
    """(active, escalated) tactical issues for the tactical-ownership colour `letter`: the rate
    stays well inside its band (green <= 10 %, yellow <= 20 %, red above)."""
    if letter == ".":
        return 0, 0
    if letter == "g":
        return active, 0
    if letter == "y":
        while not 0.11 < max(1, round(active * 0.15)) / active < 0.19:
            active += 1
        return active, max(1, round(active * 0.15))
    return active, max(math.ceil(active * 0.3), 2)


def _strategic_counts(letter: str, pool: int, rng: random.Random) -> tuple[int, int]:
    """(manager-involved, active) strategic issues for the strategic-involvement colour `letter`."""
    if letter == ".":
        return 0, 0
    if letter == "g":
        active = rng.randint(1, min(3, pool))
        return active, active
    if letter == "y":
        return rng.choice([(1, 2), (2, 3), (2, 4), (3, 4)][: 2 if pool < 4 else 4])
    return rng.choice([(0, 1), (0, 2), (1, 3)])
