"""Synthetic organisations for the benchmarks, seeded and sized by parameters.

Two scales:

* `sync_org(...)` — the sync scale (default 50 repos, 150 people, 90 days, ~6 000 pull requests
  with reviews, review requests and commits; 20 000 Jira issues with changelogs and comments),
  as a source-side model that the fakes in `bench/fakes.py` serve as GitHub REST, GitHub GraphQL
  and Jira Cloud answers.
* `write_org_store(...)` — the organisation scale (500 people in 60 teams, one year: ~1 M
  commits, 200 k PRs, 600 k reviews, 300 k issues, 3 M changelog rows), written straight to a
  store with the exact table schemas, plus a `radar.toml` naming the people and teams.

Rates are meant to look like a real organisation: most PRs merge within a day or two, most
review requests get a review within hours, a few % of issues are escalated, most decision
requests are answered within days, and a few bots and unmapped identities are active.
Everything at organisation scale is vectorised (numpy + polars); nothing loops over rows.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from core.store import Store
from demo.teams import REASONS

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US

# -- the sync scale: a source-side model ----------------------------------------------------------

SYNC_NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BOT_LOGINS = ("dependabot[bot]", "renovate[bot]")
UNMAPPED_LOGINS = ("contractor-ka", "contractor-lm", "old-account")
DECISION_STATUS = "Needs Decision"
STATUSES = ("To Do", "In Progress", "Review", "Done")
ISSUE_TYPES = ("Story", "Task", "Bug", "Epic", "Sub-task")
ISSUE_TYPE_WEIGHTS = (0.45, 0.30, 0.20, 0.03, 0.02)


@dataclass
class Commit:
    sha: str
    login: str | None  # linked account (REST form: bots end in [bot]); None = unlinked email
    email: str
    authored: datetime
    committed: datetime
    message: str
    additions: int
    deletions: int


@dataclass
class Review:
    id: int
    author: str
    state: str
    submitted: datetime


@dataclass
class RequestEvent:
    removed: bool
    at: datetime
    actor: str
    reviewer: str  # a login or "team:<slug>"


@dataclass
class Pull:
    number: int
    author: str
    created: datetime
    updated: datetime
    state: str  # OPEN, CLOSED, MERGED (GraphQL spelling)
    merged: datetime | None
    closed: datetime | None
    title: str
    labels: list[str]
    additions: int
    deletions: int
    reviews: list[Review] = field(default_factory=list)
    events: list[RequestEvent] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)
    draft: bool = False


@dataclass
class Repo:
    name: str
    pulls: dict[int, Pull] = field(default_factory=dict)
    branch: list[Commit] = field(default_factory=list)


@dataclass
class SyncOrg:
    """What the fake GitHub and Jira hold: repos with PRs, and complete raw Jira Cloud issues."""

    now: datetime
    repos: dict[str, Repo]
    issues: dict[str, dict[str, Any]]  # key -> raw Cloud issue, complete changelog and comments
    projects: list[str]
    people: list[str]
    next_review_id: int = 0
    next_history_id: int = 0
    next_comment_id: int = 0

    @property
    def pull_count(self) -> int:
        return sum(len(r.pulls) for r in self.repos.values())

    def counts(self) -> dict[str, int]:
        pulls = [p for r in self.repos.values() for p in r.pulls.values()]
        fields = [i["fields"] for i in self.issues.values()]
        return {
            "repos": len(self.repos),
            "people": len(self.people),
            "pull_requests": len(pulls),
            "reviews": sum(len(p.reviews) for p in pulls),
            "review_request_events": sum(len(p.events) for p in pulls),
            "pr_commits": sum(len(p.commits) for p in pulls),
            "branch_commits": sum(len(r.branch) for r in self.repos.values()),
            "issues": len(self.issues),
            "changelog_histories": sum(len(i["changelog"]["histories"]) for i in self.issues.values()),
            "comments": sum(len(f["comment"]["comments"]) for f in fields),
        }


def jira_time(moment: datetime) -> str:
    """Jira's timestamp form, `2026-01-31T12:00:00.000+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def account_id(index: int) -> str:
    """A Jira Cloud accountId of the usual 24-hex-digit form."""
    return f"5b10ac8d82e05b22{index:08x}"


def _user(account: str, name: str) -> dict[str, Any]:
    return {
        "self": f"https://acme.atlassian.net/rest/api/3/user?accountId={account}",
        "accountId": account,
        "displayName": name,
        "active": True,
        "timeZone": "Asia/Tbilisi",
        "accountType": "atlassian",
    }


def _adf(text: str, mention: str | None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    if mention is not None:
        content = [{"type": "mention", "attrs": {"id": mention, "text": "@someone"}}, *content]
    return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": content}]}


def sync_org(
    *,
    repos: int = 50,
    people: int = 150,
    days: int = 90,
    pull_requests: int = 6_000,
    issues: int = 20_000,
    projects: int = 10,
    seed: int = 7,
    now: datetime = SYNC_NOW,
) -> SyncOrg:
    """The sync-scale organisation as a source-side model (tens of thousands of objects)."""
    rng = np.random.default_rng(seed)
    logins = [f"dev-{i:03d}" for i in range(people)]
    team_of_repo = np.arange(repos) % max(1, people // 10)
    start = now - timedelta(days=days)
    span_h = days * 24.0
    org = SyncOrg(now=now, repos={}, issues={}, projects=[f"P{j}" for j in range(projects)], people=logins)
    for r in range(repos):
        org.repos[f"acme/service-{r:02d}"] = Repo(f"acme/service-{r:02d}")
    repo_names = list(org.repos)

    def hours(h: float) -> timedelta:
        return timedelta(hours=float(h))

    sha_counter = 0

    def commit(login: str | None, email: str, at: datetime) -> Commit:
        nonlocal sha_counter
        sha_counter += 1
        sha = f"{sha_counter * 2654435761 % 16**12:012x}".ljust(40, "0")
        return Commit(
            sha, login, email, at, at + timedelta(minutes=int(rng.integers(0, 30))),
            f"Change {sha_counter}\n\nDetails.", int(rng.geometric(0.05)), int(rng.geometric(0.1)),
        )  # fmt: skip

    numbers = dict.fromkeys(repo_names, 0)
    repo_pick = rng.integers(0, repos, size=pull_requests)
    for index in range(pull_requests):
        name = repo_names[int(repo_pick[index])]
        team = int(team_of_repo[int(repo_pick[index])])
        crew = [logins[(team * 10 + k) % people] for k in range(10)]
        numbers[name] += 1
        number = numbers[name]
        roll = rng.random()
        author = (
            BOT_LOGINS[index % 2] if roll < 0.02 else UNMAPPED_LOGINS[index % 3] if roll < 0.03 else
            crew[int(rng.integers(0, len(crew)))]
        )  # fmt: skip
        created = start + hours(rng.random() * span_h)
        life = hours(min(rng.lognormal(np.log(20), 1.0), 24 * 20))
        outcome = rng.random()
        merged = created + life if outcome < 0.85 and created + life < now else None
        closed = merged or (created + life if outcome < 0.93 and created + life < now else None)
        state = "MERGED" if merged else "CLOSED" if closed else "OPEN"
        pull = Pull(
            number, author, created, created, state, merged, closed, f"Change {number} of {name}",
            ["feature"] if rng.random() < 0.3 else (["handover"] if rng.random() < 0.03 else []),
            int(rng.geometric(0.01)), int(rng.geometric(0.03)),
        )  # fmt: skip
        horizon = min(closed or now, now)

        def within(
            at: datetime, horizon: datetime = horizon, closed: datetime | None = closed
        ) -> datetime | None:
            """Activity after a PR closed is moved to its closing; on an open PR it has not happened yet."""
            return at if at <= horizon else (horizon if closed else None)

        for _ in range(int(rng.poisson(1.6))):
            reviewer = crew[int(rng.integers(0, len(crew)))]
            at = created + hours(rng.random() * 2)
            asked = within(at)
            if asked is None:
                continue
            pull.events.append(RequestEvent(False, asked, author, reviewer))
            dropped = within(asked + hours(3))
            if rng.random() < 0.08 and dropped is not None:
                pull.events.append(RequestEvent(True, dropped, author, reviewer))
        if rng.random() < 0.03:
            pull.events.append(RequestEvent(False, created, author, f"team:team-{team}"))
        for _ in range(int(rng.poisson(2.0))):
            org.next_review_id += 1
            submitted = within(created + hours(rng.lognormal(np.log(5), 1.0)))
            if submitted is None:
                continue
            state_roll = rng.random()
            review_state = (
                "APPROVED" if state_roll < 0.55 else "COMMENTED" if state_roll < 0.9 else "CHANGES_REQUESTED"
            )
            pull.reviews.append(
                Review(org.next_review_id, crew[int(rng.integers(0, len(crew)))], review_state, submitted)
            )
        # A few long-lived PRs with more than one GraphQL page of commits.
        count = 150 if rng.random() < 0.005 else 1 + int(rng.poisson(3))
        linked = author if not author.startswith("contractor") else None
        email = f"{author.removesuffix('[bot]')}@acme.example"
        pull.commits = [commit(linked, email, created - hours(rng.random() * 48)) for _ in range(count)]
        times = [created, *(r.submitted for r in pull.reviews), *(e.at for e in pull.events)]
        pull.updated = min(max([t for t in times if t] + [closed or created]), now)
        org.repos[name].pulls[number] = pull
        if merged is not None:  # a squash merge lands on the default branch
            org.repos[name].branch.append(commit(linked, email, merged))
    for name in repo_names:  # direct pushes
        for _ in range(int(rng.poisson(8))):
            who = logins[int(rng.integers(0, people))]
            org.repos[name].branch.append(
                commit(who, f"{who}@acme.example", start + hours(rng.random() * span_h))
            )

    _sync_issues(org, rng, issues, start, span_h, people)
    return org


def _sync_issues(
    org: SyncOrg, rng: np.random.Generator, count: int, start: datetime, span_h: float, people: int
) -> None:
    names = {account_id(i): f"Person {i}" for i in range(people)}
    accounts = list(names)
    per_project = np.bincount(rng.integers(0, len(org.projects), size=count), minlength=len(org.projects))
    now = org.now
    for p, project in enumerate(org.projects):
        crew = accounts[(p * 15) % people : (p * 15) % people + 15] or accounts[:15]
        manager = crew[0]
        for n in range(1, int(per_project[p]) + 1):
            key = f"{project}-{n}"
            created = start + timedelta(hours=float(rng.random() * span_h))
            assignee = crew[int(rng.integers(0, len(crew)))]
            reporter = crew[int(rng.integers(0, len(crew)))]
            histories: list[dict[str, Any]] = []
            # Most issues change a handful of times; a few have long histories (> 1 page).
            changes = int(rng.poisson(5)) if rng.random() > 0.02 else int(rng.integers(60, 160))
            at = created
            for _ in range(changes):
                at = at + timedelta(hours=float(rng.lognormal(np.log(8), 1.0)))
                if at > now:
                    break
                org.next_history_id += 1
                actor = crew[int(rng.integers(0, len(crew)))]
                roll = rng.random()
                item: dict[str, str | None]
                if roll < 0.7:
                    old, new = rng.choice(3, size=2, replace=False)
                    item = {"field": "status", "fieldtype": "jira", "fieldId": "status",
                            "from": str(10000 + old), "fromString": STATUSES[old],
                            "to": str(10000 + new), "toString": STATUSES[new]}  # fmt: skip
                elif roll < 0.85:
                    other = crew[int(rng.integers(0, len(crew)))]
                    item = {"field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
                            "from": assignee, "fromString": names[assignee],
                            "to": other, "toString": names[other]}  # fmt: skip
                elif roll < 0.88:
                    item = {"field": "labels", "fieldtype": "jira", "fieldId": "labels",
                            "from": None, "fromString": "backend",
                            "to": None, "toString": "backend escalation"}  # fmt: skip
                else:
                    item = {"field": "priority", "fieldtype": "jira", "fieldId": "priority",
                            "from": "3", "fromString": "Medium", "to": "2", "toString": "High"}  # fmt: skip
                histories.append(
                    {"id": str(org.next_history_id), "author": _user(actor, names[actor]),
                     "created": jira_time(at), "items": [item]}
                )  # fmt: skip
            comments: list[dict[str, Any]] = []
            many = int(rng.poisson(2)) if rng.random() > 0.03 else int(rng.integers(30, 60))
            for _ in range(many):
                org.next_comment_id += 1
                when = created + timedelta(hours=float(rng.random() * 24 * 10))
                if when > now:
                    continue
                author = crew[int(rng.integers(0, len(crew)))]
                mention = manager if rng.random() < 0.03 else None
                comments.append(
                    {"self": f"https://acme.atlassian.net/rest/api/3/issue/{key}/comment/{org.next_comment_id}",
                     "id": str(org.next_comment_id), "author": _user(author, names[author]),
                     "updateAuthor": _user(author, names[author]), "body": _adf("Looks fine.", mention),
                     "created": jira_time(when), "updated": jira_time(when), "jsdPublic": True}
                )  # fmt: skip
            comments.sort(key=lambda c: c["created"])
            resolved = created + timedelta(days=float(rng.lognormal(np.log(6), 1.0)))
            resolved_at = resolved if resolved < now and rng.random() < 0.75 else None
            stamps = [created, *(datetime.fromisoformat(h["created"]) for h in histories)]
            stamps += [datetime.fromisoformat(c["created"]) for c in comments]
            if resolved_at:
                stamps.append(resolved_at)
            updated = min(max(stamps), now)
            kind = int(rng.choice(len(ISSUE_TYPES), p=ISSUE_TYPE_WEIGHTS))
            org.issues[key] = {
                "expand": "renderedFields,names,schema,operations,editmeta,changelog",
                "id": str(100000 + len(org.issues)),
                "self": f"https://acme.atlassian.net/rest/api/3/issue/{100000 + len(org.issues)}",
                "key": key,
                "fields": {
                    "project": {
                        "self": "https://acme.atlassian.net/rest/api/3/project/1",
                        "id": str(10000 + p),
                        "key": project,
                        "name": f"Project {project}",
                        "projectTypeKey": "software",
                    },
                    "issuetype": {"id": str(10001 + kind), "name": ISSUE_TYPES[kind], "subtask": kind == 4},
                    "summary": f"Work item {n} of {project}",
                    "status": {
                        "name": "Done" if resolved_at else STATUSES[int(rng.integers(0, 3))],
                        "id": "10003",
                    },
                    "labels": ["architecture"] if rng.random() < 0.04 else [],
                    "components": [{"id": "10100", "name": "modelling"}] if rng.random() < 0.1 else [],
                    "assignee": _user(assignee, names[assignee]),
                    "reporter": _user(reporter, names[reporter]),
                    "created": jira_time(created),
                    "updated": jira_time(updated),
                    "resolutiondate": jira_time(resolved_at) if resolved_at else None,
                    "parent": None,
                    "comment": {
                        "comments": comments,
                        "self": "",
                        "maxResults": len(comments),
                        "total": len(comments),
                        "startAt": 0,
                    },
                },
                "changelog": {
                    "startAt": 0,
                    "maxResults": len(histories),
                    "total": len(histories),
                    "histories": histories,
                },
            }


def change_some(org: SyncOrg, share: float, at: datetime, seed: int = 11) -> tuple[int, int]:
    """Change `share` of the PRs (a new review) and of the issues (a new comment) at `at`.

    Returns (PRs changed, issues changed).
    """
    rng = np.random.default_rng(seed)
    pulls = [p for r in org.repos.values() for p in r.pulls.values()]
    chosen = rng.choice(len(pulls), size=max(1, round(len(pulls) * share)), replace=False)
    for index in chosen:
        pull = pulls[int(index)]
        org.next_review_id += 1
        pull.reviews.append(
            Review(org.next_review_id, org.people[int(rng.integers(0, len(org.people)))], "COMMENTED", at)
        )
        pull.updated = at
    keys = list(org.issues)
    picked = rng.choice(len(keys), size=max(1, round(len(keys) * share)), replace=False)
    for index in picked:
        issue = org.issues[keys[int(index)]]
        org.next_comment_id += 1
        author = _user(account_id(0), "Person 0")
        block = issue["fields"]["comment"]
        block["comments"].append(
            {"self": "", "id": str(org.next_comment_id), "author": author, "updateAuthor": author,
             "body": _adf("One more thing.", None), "created": jira_time(at), "updated": jira_time(at)}
        )  # fmt: skip
        block["total"] = block["maxResults"] = len(block["comments"])
        issue["fields"]["updated"] = jira_time(at)
    return len(chosen), len(picked)


# -- the organisation scale: straight to the store -----------------------------------------------

ORG_NOW = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday: the year before it is 52 complete weeks
ORG_TIMEZONE = "Asia/Tbilisi"
ORG_BOTS = ("ci-robot", "jira-automation")
ESCALATION_REASONS = REASONS  # the demo's escalation labels and the reasons they stand for


@dataclass(frozen=True)
class OrgScale:
    """Row counts of the organisation scale; `factor` scales every count (not people or teams)."""

    people: int = 500
    teams: int = 60
    days: int = 364
    pull_requests: int = 200_000
    commits: int = 1_000_000
    reviews: int = 600_000
    issues: int = 300_000
    changelog_rows: int = 3_000_000
    comments: int = 900_000
    seed: int = 42

    def scaled(self, factor: float) -> OrgScale:
        def times(n: int) -> int:
            return max(1, int(n * factor))

        return replace(
            self,
            pull_requests=times(self.pull_requests),
            commits=times(self.commits),
            reviews=times(self.reviews),
            issues=times(self.issues),
            changelog_rows=times(self.changelog_rows),
            comments=times(self.comments),
        )


@dataclass
class OrgLayout:
    """Who is in which team, with each team's repos and Jira project."""

    team_size: np.ndarray  # members per team (manager excluded)
    team_start: np.ndarray  # index of the team's manager in the person arrays
    project_of_team: np.ndarray
    repos_per_team: int = 2
    projects: int = 0

    @property
    def people_per_team(self) -> np.ndarray:
        return self.team_size + 1


def _layout(scale: OrgScale, rng: np.random.Generator) -> OrgLayout:
    teams = scale.teams
    members = scale.people - teams
    base = 3
    extra = rng.multinomial(members - base * teams, rng.dirichlet(np.full(teams, 1.5)))
    size = (base + extra).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(size + 1)[:-1]]).astype(np.int64)
    projects = (teams + 1) // 2
    return OrgLayout(size, start, np.arange(teams) // 2, projects=projects)


def login(person: pl.Expr) -> pl.Expr:
    """The GitHub login of a person index column (`dev-007`)."""
    return pl.format("dev-{}", person.cast(pl.String).str.zfill(3))


def _times(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64)).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _hex(rng: np.random.Generator, n: int, width: int) -> pl.Series:
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    raw = digits[rng.integers(0, 16, size=(n, width))]
    return pl.Series(np.ascontiguousarray(raw).view(f"S{width}").ravel().astype(f"U{width}"))


def _pick(
    rng: np.random.Generator, options: tuple[str, ...], weights: tuple[float, ...], n: int
) -> pl.Series:
    return pl.Series(np.array(options)[rng.choice(len(options), size=n, p=np.array(weights) / sum(weights))])


def _team_person(
    rng: np.random.Generator, layout: OrgLayout, team: np.ndarray, manager_share: np.ndarray
) -> np.ndarray:
    """A person of each row's team: its manager with the team's probability, else a member."""
    size = layout.team_size[team]
    member = layout.team_start[team] + 1 + (rng.random(team.size) * size).astype(np.int64)
    return np.where(rng.random(team.size) < manager_share[team], layout.team_start[team], member)


def org_tables(scale: OrgScale, now: datetime = ORG_NOW) -> tuple[dict[str, pl.DataFrame], OrgLayout]:
    """The seven tables of an organisation-scale store (vectorised; seconds, not minutes)."""
    rng = np.random.default_rng(scale.seed)
    layout = _layout(scale, rng)
    end_us = int(now.timestamp() * 1_000_000)
    start_us = end_us - scale.days * DAY_US
    teams = scale.teams
    # How much each team's manager still does: reviews, PRs, issue activity.
    manager_reviews = rng.beta(2, 5, size=teams)
    manager_prs = rng.beta(1.2, 8, size=teams)
    team_weight = layout.people_per_team / layout.people_per_team.sum()

    # pull requests
    n_pr = scale.pull_requests
    pr_team = rng.choice(teams, size=n_pr, p=team_weight)
    pr_repo_slot = rng.integers(0, layout.repos_per_team, size=n_pr)
    pr_author = _team_person(rng, layout, pr_team, manager_prs)
    roll = rng.random(n_pr)
    pr_created = start_us + (rng.random(n_pr) * (end_us - start_us)).astype(np.int64)
    life = (np.minimum(rng.lognormal(np.log(20), 1.1, n_pr), 24 * 30) * HOUR_US).astype(np.int64)
    outcome = rng.random(n_pr)
    recent = pr_created > end_us - 30 * DAY_US
    is_open = (outcome < np.where(recent, 0.2, 0.01)) | (pr_created + life >= end_us)
    is_merged = ~is_open & (rng.random(n_pr) < 0.9)
    finished = np.where(is_open, -1, pr_created + life)
    repo_names = pl.Series([f"acme/team-{t:02d}-{s}" for t in range(teams) for s in "ab"])
    prs = pl.DataFrame(
        {
            "repo": repo_names[pr_team * layout.repos_per_team + pr_repo_slot],
            "author_index": pr_author,
            "author_kind": np.where(roll < 0.015, 1, np.where(roll < 0.025, 2, 0)),
            "created_at": pr_created,
            "finished": finished,
            "merged": is_merged,
            "team": pr_team,
            "label_roll": rng.random(n_pr),
            "additions": rng.geometric(0.01, n_pr),
            "deletions": rng.geometric(0.03, n_pr),
        }
    ).with_columns(number=pl.int_range(1, pl.len() + 1).over("repo", order_by="created_at").cast(pl.Int64))
    pr_frame = prs.select(
        "repo",
        "number",
        author=pl.when(pl.col("author_kind") == 1)
        .then(pl.lit("dependabot[bot]"))
        .when(pl.col("author_kind") == 2)
        .then(pl.format("contractor-{}", pl.col("author_index") % 7))
        .otherwise(login(pl.col("author_index"))),
        title=pl.format("Change {} to {}", pl.col("number"), pl.col("repo")),
        url=pl.format("https://github.com/{}/pull/{}", pl.col("repo"), pl.col("number")),
        state=pl.when(pl.col("finished") < 0)
        .then(pl.lit("open"))
        .when(pl.col("merged"))
        .then(pl.lit("merged"))
        .otherwise(pl.lit("closed")),
        draft=(pl.col("label_roll") * 1000 % 1) < 0.05,
        created_at=pl.col("created_at"),
        merged_at=pl.when(pl.col("merged") & (pl.col("finished") >= 0)).then(pl.col("finished")),
        closed_at=pl.when(pl.col("finished") >= 0).then(pl.col("finished")),
        updated_at=pl.when(pl.col("finished") >= 0).then(pl.col("finished")).otherwise(pl.col("created_at")),
        labels=pl.when(pl.col("label_roll") < 0.03)
        .then(pl.lit(["handover"]))
        .when(pl.col("label_roll") < 0.3)
        .then(pl.lit(["feature"]))
        .otherwise(pl.lit([], dtype=pl.List(pl.String))),
        additions="additions",
        deletions="deletions",
    ).with_columns(
        pl.col("created_at", "merged_at", "closed_at", "updated_at")
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
    )

    # review requests, mostly answered by a review from the requested reviewer
    n_req = int(scale.reviews * 0.7)
    req_pr = rng.integers(0, n_pr, size=n_req)
    req_team = pr_team[req_pr]
    reviewer = _team_person(rng, layout, req_team, manager_reviews)
    same = reviewer == pr_author[req_pr]
    reviewer = np.where(
        same,
        layout.team_start[req_team]
        + 1
        + (reviewer - layout.team_start[req_team]) % layout.team_size[req_team],
        reviewer,
    )
    requested = pr_created[req_pr] + (rng.random(n_req) * 2 * HOUR_US).astype(np.int64)
    removed_roll = rng.random(n_req)
    removed = np.where(
        removed_roll < 0.07, requested + (rng.random(n_req) * 24 * HOUR_US).astype(np.int64), -1
    )
    team_request = rng.random(n_req) < 0.03
    pick_delay = (rng.lognormal(np.log(6), 1.2, n_req) * HOUR_US).astype(np.int64)
    # Most requests get their review; the ones that never do mostly sit on PRs closed anyway.
    answer_rate = np.where(finished[req_pr] < 0, 0.97, 0.88)
    answered = (removed < 0) & (rng.random(n_req) < answer_rate) & ~team_request
    base = prs.select("repo", "number")
    req_frame = pl.DataFrame(
        {
            "repo": base["repo"][req_pr],
            "number": base["number"][req_pr],
            "reviewer": pl.Series(
                np.where(team_request, "team:" + np.char.zfill((req_team).astype(str), 2), "")
            ),
            "reviewer_index": reviewer,
            "requested_at": requested,
            "requester": pr_author[req_pr],
            "removed_at": removed,
        }
    ).select(
        "repo",
        "number",
        reviewer=pl.when(pl.col("reviewer") != "")
        .then(pl.col("reviewer"))
        .otherwise(login(pl.col("reviewer_index"))),
        requested_at=pl.col("requested_at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        requester=login(pl.col("requester")),
        removed_at=pl.when(pl.col("removed_at") >= 0)
        .then(pl.col("removed_at"))
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC"),
    )

    # reviews: answers to requests, then unrequested ones to reach the count
    answer_idx = np.flatnonzero(answered)
    n_extra = max(0, scale.reviews - answer_idx.size)
    extra_pr = rng.integers(0, n_pr, size=n_extra)
    extra_reviewer = _team_person(rng, layout, pr_team[extra_pr], manager_reviews)
    rev_pr = np.concatenate([req_pr[answer_idx], extra_pr])
    rev_reviewer = np.concatenate([reviewer[answer_idx], extra_reviewer])
    rev_at = np.concatenate(
        [
            requested[answer_idx] + pick_delay[answer_idx],
            pr_created[extra_pr] + (rng.lognormal(np.log(10), 1.2, n_extra) * HOUR_US).astype(np.int64),
        ]
    )
    done = finished[rev_pr]
    rev_at = np.where(done >= 0, np.minimum(rev_at, done), rev_at)
    keep = rev_at < end_us
    n_rev = rev_pr.size
    bot_review = rng.random(n_rev) < 0.01
    review_frame = (
        pl.DataFrame(
            {
                "repo": base["repo"][rev_pr],
                "review_id": np.arange(n_rev, dtype=np.int64) + 10_000_000,
                "number": base["number"][rev_pr],
                "reviewer_index": rev_reviewer,
                "bot": bot_review,
                "state": _pick(
                    rng,
                    ("APPROVED", "COMMENTED", "CHANGES_REQUESTED", "DISMISSED"),
                    (0.55, 0.35, 0.09, 0.01),
                    n_rev,
                ),
                "submitted_at": rev_at,
                "keep": keep,
            }
        )
        .filter("keep")
        .select(
            "repo",
            "review_id",
            "number",
            reviewer=pl.when(pl.col("bot"))
            .then(pl.lit("ci-robot"))
            .otherwise(login(pl.col("reviewer_index"))),
            state="state",
            submitted_at=pl.col("submitted_at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        )
    )

    # commits: most in PRs (authored in the days before the PR opened), the rest direct pushes
    n_commit = scale.commits
    n_pr_commits = int(n_commit * 0.9)
    c_pr = rng.integers(0, n_pr, size=n_pr_commits)
    c_direct = n_commit - n_pr_commits
    d_team = rng.choice(teams, size=c_direct, p=team_weight)
    c_author = np.concatenate([pr_author[c_pr], _team_person(rng, layout, d_team, manager_prs)])
    c_time = np.concatenate(
        [
            pr_created[c_pr] - (rng.gamma(1.5, 5, n_pr_commits) * HOUR_US).astype(np.int64),
            start_us + (rng.random(c_direct) * (end_us - start_us)).astype(np.int64),
        ]
    )
    c_repo = np.concatenate(
        [pr_team[c_pr] * 2 + pr_repo_slot[c_pr], d_team * 2 + rng.integers(0, 2, c_direct)]
    )
    kind = rng.random(n_commit)  # 0.85 linked, 0.10 unlinked email, 0.02 bot, 0.03 unmapped
    commit_frame = pl.DataFrame(
        {
            "repo": repo_names[c_repo],
            "sha": _hex(rng, n_commit, 40),
            "person": c_author,
            "kind": kind,
            "authored_at": c_time,
            "committed_at": c_time + (rng.random(n_commit) * 600 * 1_000_000).astype(np.int64),
            "additions": rng.geometric(0.02, n_commit),
            "deletions": rng.geometric(0.05, n_commit),
            "pr_number": pl.concat([base["number"][c_pr], pl.Series([None] * c_direct, dtype=pl.Int64)]),
        }
    ).select(
        "repo",
        "sha",
        author=pl.when(pl.col("kind") < 0.85)
        .then(login(pl.col("person")))
        .when(pl.col("kind") < 0.95)
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("kind") < 0.97)
        .then(pl.lit("github-actions[bot]"))
        .otherwise(pl.format("contractor-{}", pl.col("person") % 7)),
        author_email=pl.when(pl.col("kind") < 0.97)
        .then(pl.format("{}@acme.example", login(pl.col("person"))))
        .otherwise(pl.lit("noreply@example.com")),
        authored_at=pl.col("authored_at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        committed_at=pl.col("committed_at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        additions="additions",
        deletions="deletions",
        pr_number="pr_number",
        message_first_line=pl.format("Change {}", pl.col("sha").str.slice(0, 7)),
    )

    issues, events, comments = _org_jira(scale, layout, rng, start_us, end_us)
    tables = {
        "pull_requests": pr_frame,
        "reviews": review_frame,
        "review_requests": req_frame,
        "commits": commit_frame,
        "issues": issues,
        "issue_events": events,
        "comments": comments,
    }
    return tables, layout


def _jira_ids(index: pl.Expr) -> pl.Expr:
    return pl.format("5b10ac8d82e05b22{}", index.cast(pl.String).str.zfill(8))


def _org_jira(
    scale: OrgScale, layout: OrgLayout, rng: np.random.Generator, start_us: int, end_us: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    teams = scale.teams
    n = scale.issues
    team_weight = layout.people_per_team / layout.people_per_team.sum()
    team = rng.choice(teams, size=n, p=team_weight)
    project = layout.project_of_team[team]
    manager = layout.team_start[team]
    involvement = rng.beta(2, 6, size=teams)
    assignee = _team_person(rng, layout, team, involvement * 0.3)
    reporter = _team_person(rng, layout, team, involvement)
    created = start_us + (rng.random(n) * (end_us - start_us)).astype(np.int64)
    duration = (np.minimum(rng.lognormal(np.log(5), 1.1, n), 120) * DAY_US).astype(np.int64)
    resolved = np.where(created + duration < end_us, created + duration, -1)
    horizon = np.where(resolved >= 0, resolved, end_us)
    kind = rng.choice(5, size=n, p=np.array(ISSUE_TYPE_WEIGHTS))
    label_roll = rng.random(n)
    escalated = rng.random(n) < 0.035
    decision = rng.random(n) < 0.02
    reason_names = list(ESCALATION_REASONS)
    reason = rng.integers(0, len(reason_names), size=n)
    keys = pl.Series([f"P{p:02d}" for p in range(layout.projects)])[project]
    number = pl.DataFrame({"p": project}).select(pl.int_range(1, pl.len() + 1).over("p")).to_series()
    issues = pl.DataFrame(
        {
            "project": keys,
            "number": number,
            "kind": kind,
            "label_roll": label_roll,
            "escalated": escalated,
            "reason": pl.Series(np.array(reason_names))[reason],
            "assignee": assignee,
            "unassigned": rng.random(n) < 0.08,
            "reporter": reporter,
            "created_at": created,
            "resolved_at": resolved,
            "component_roll": rng.random(n),
        }
    ).select(
        key=pl.format("{}-{}", pl.col("project"), pl.col("number")),
        project="project",
        issue_type=pl.Series(np.array(ISSUE_TYPES))[kind],
        summary=pl.format("Work item {} of {}", pl.col("number"), pl.col("project")),
        url=pl.format("https://acme.atlassian.net/browse/{}-{}", pl.col("project"), pl.col("number")),
        status=pl.when(pl.col("resolved_at") >= 0).then(pl.lit("Done")).otherwise(pl.lit("In Progress")),
        labels=pl.concat_list(
            pl.when(pl.col("label_roll") < 0.04).then(pl.lit("architecture"))
            .when(pl.col("label_roll") < 0.12).then(pl.lit("design"))
            .when(pl.col("label_roll") < 0.16).then(pl.lit("planning"))
            .when(pl.col("label_roll") < 0.40).then(pl.lit("backend")),
            pl.when(pl.col("escalated")).then(pl.lit("escalation")),
            pl.when(pl.col("escalated") & (pl.col("label_roll") * 7 % 1 < 0.7)).then(pl.col("reason")),
        ).list.drop_nulls(),
        components=pl.when(pl.col("component_roll") < 0.1)
        .then(pl.lit(["modelling"]))
        .when(pl.col("component_roll") < 0.3)
        .then(pl.lit(["api"]))
        .otherwise(pl.lit([], dtype=pl.List(pl.String))),
        assignee=pl.when(~pl.col("unassigned")).then(_jira_ids(pl.col("assignee"))),
        reporter=_jira_ids(pl.col("reporter")),
        created_at=pl.col("created_at"),
        updated_at=pl.when(pl.col("resolved_at") >= 0)
        .then(pl.col("resolved_at"))
        .otherwise(pl.col("created_at")),
        resolved_at=pl.when(pl.col("resolved_at") >= 0).then(pl.col("resolved_at")),
        parent_key=pl.lit(None, dtype=pl.String),
    )  # fmt: skip

    # changelog rows: routine changes spread over each issue's life ...
    special = int(escalated.sum() + 2 * decision.sum())
    n_ev = max(0, scale.changelog_rows - special)
    ev_issue = rng.integers(0, n, size=n_ev)
    ev_at = created[ev_issue] + (rng.random(n_ev) * (horizon[ev_issue] - created[ev_issue])).astype(np.int64)
    ev_actor = _team_person(rng, layout, team[ev_issue], involvement)
    field_roll = rng.random(n_ev)
    status_from = rng.integers(0, 3, size=n_ev)
    status_to = (status_from + 1 + rng.integers(0, 2, size=n_ev)) % 3
    statuses = np.array(STATUSES[:3])
    routine = pl.DataFrame(
        {
            "issue": ev_issue,
            "at": ev_at,
            "actor": ev_actor,
            "field": np.where(
                field_roll < 0.65,
                "status",
                np.where(field_roll < 0.8, "assignee", np.where(field_roll < 0.86, "labels", "priority")),
            ),
            "status_from": statuses[status_from],
            "status_to": statuses[status_to],
            "person_to": _team_person(rng, layout, team[ev_issue], np.zeros(teams)),
            "bot": rng.random(n_ev) < 0.02,
        }
    ).select(
        "issue",
        "at",
        actor=pl.when(pl.col("bot")).then(pl.lit("jira-automation")).otherwise(_jira_ids(pl.col("actor"))),
        field="field",
        from_value=pl.when(pl.col("field") == "status")
        .then(pl.col("status_from"))
        .when(pl.col("field") == "labels")
        .then(pl.lit("backend"))
        .when(pl.col("field") == "priority")
        .then(pl.lit("Medium")),
        to_value=pl.when(pl.col("field") == "status")
        .then(pl.col("status_to"))
        .when(pl.col("field") == "labels")
        .then(pl.lit("backend api"))
        .when(pl.col("field") == "priority")
        .then(pl.lit("High"))
        .otherwise(_jira_ids(pl.col("person_to"))),
    )
    # ... escalation labels added by a member, and decision requests: into the decision status and
    # out again after a latency that is usually a day or two.
    esc = np.flatnonzero(escalated)
    esc_at = created[esc] + (rng.random(esc.size) * (horizon[esc] - created[esc])).astype(np.int64)
    labels_added = pl.DataFrame(
        {"issue": esc, "at": esc_at, "actor": _team_person(rng, layout, team[esc], np.zeros(teams))}
    ).select(
        "issue", "at", actor=_jira_ids(pl.col("actor")), field=pl.lit("labels"),
        from_value=pl.lit("backend"), to_value=pl.lit("backend escalation"),
    )  # fmt: skip
    dec = np.flatnonzero(decision)
    dec_at = created[dec] + (rng.random(dec.size) * (horizon[dec] - created[dec])).astype(np.int64)
    latency = (rng.lognormal(np.log(20), 1.0, dec.size) * HOUR_US).astype(np.int64)
    dec_actor = _team_person(rng, layout, team[dec], np.zeros(teams))
    into = pl.DataFrame({"issue": dec, "at": dec_at, "actor": dec_actor}).select(
        "issue", "at", actor=_jira_ids(pl.col("actor")), field=pl.lit("status"),
        from_value=pl.lit("In Progress"), to_value=pl.lit(DECISION_STATUS),
    )  # fmt: skip
    out_at = dec_at + latency
    leave = out_at < end_us
    out = pl.DataFrame({"issue": dec[leave], "at": out_at[leave], "actor": manager[dec[leave]]}).select(
        "issue", "at", actor=_jira_ids(pl.col("actor")), field=pl.lit("status"),
        from_value=pl.lit(DECISION_STATUS), to_value=pl.lit("In Progress"),
    )  # fmt: skip
    events = pl.concat([routine, labels_added, into, out]).with_row_index("event")
    events = events.select(
        key=issues["key"].gather(events["issue"].cast(pl.UInt32)),
        event_id=(pl.col("event") + 200_000).cast(pl.String),
        field="field",
        at=_times(events["at"].to_numpy()),
        actor="actor",
        from_value="from_value",
        to_value="to_value",
    )

    # comments, a few mentioning the team's manager; the manager usually answers those (and
    # escalation labels) within a day or two with a comment of their own
    n_com = scale.comments
    n_asks = int(n_com * 0.01)
    n_plain = n_com - 2 * n_asks
    com_issue = rng.integers(0, n, size=n_plain)
    com_at = created[com_issue] + (rng.random(n_plain) * (horizon[com_issue] - created[com_issue])).astype(
        np.int64
    )
    ask_issue = rng.integers(0, n, size=n_asks)
    ask_at = created[ask_issue] + (rng.random(n_asks) * (horizon[ask_issue] - created[ask_issue])).astype(
        np.int64
    )
    answer_issue = np.concatenate([ask_issue, esc])
    answer_at = np.concatenate([ask_at, esc_at]) + (
        rng.lognormal(np.log(18), 1.0, n_asks + esc.size) * HOUR_US
    ).astype(np.int64)
    answered = (rng.random(answer_issue.size) < 0.9) & (answer_at < end_us)
    answer_issue, answer_at = answer_issue[answered], answer_at[answered]
    all_issue = np.concatenate([com_issue, ask_issue, answer_issue])
    comments = pl.DataFrame(
        {
            "key": issues["key"].gather(pl.Series(all_issue, dtype=pl.UInt32)),
            "comment_id": pl.Series(np.arange(all_issue.size) + 500_000).cast(pl.String),
            "author": np.concatenate(
                [
                    _team_person(rng, layout, team[com_issue], involvement),
                    _team_person(rng, layout, team[ask_issue], np.zeros(teams)),
                    manager[answer_issue],
                ]
            ),
            "created_at": np.concatenate([com_at, ask_at, answer_at]),
            "mention": np.concatenate(
                [np.full(n_plain, -1), manager[ask_issue], np.full(answer_issue.size, -1)]
            ),
        }
    ).select(
        "key",
        "comment_id",
        author=_jira_ids(pl.col("author")),
        created_at=pl.col("created_at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        mentions=pl.when(pl.col("mention") >= 0)
        .then(pl.concat_list(_jira_ids(pl.col("mention"))))
        .otherwise(pl.lit([], dtype=pl.List(pl.String))),
    )
    issues = issues.with_columns(
        pl.col("created_at", "updated_at", "resolved_at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    )
    return issues, events, comments


def org_config_toml(layout: OrgLayout, store: Path, output: Path) -> str:
    """radar.toml for the organisation: people with their identities, and every team."""
    teams = layout.team_size.size
    people = int(layout.people_per_team.sum())
    lines = [
        f'timezone = "{ORG_TIMEZONE}"',
        f'store = "{store}"',
        f'output = "{output}"',
        f"bots = {json.dumps(list(ORG_BOTS))}",
        "",
        "[github]",
        f"repos = {json.dumps([f'acme/team-{t:02d}-{s}' for t in range(teams) for s in 'ab'])}",
        "",
        "[jira]",
        'url = "https://acme.atlassian.net"',
        'user = "env:JIRA_USER"',
        f"projects = {json.dumps([f'P{p:02d}' for p in range(layout.projects)])}",
        f'decision_statuses = ["{DECISION_STATUS}"]',
        "",
        "[delegation]",
        'strategic = { labels = ["architecture", "strategy"], issue_types = ["Epic"] }',
        'implementation = { labels = ["design", "planning"], components = ["modelling"] }',
        'handover_labels = ["handover"]',
        "",
        "[escalation]",
        'labels = ["escalation", "needs-manager"]',
        "[escalation.reasons]",
        *(f'{label} = "{reason}"' for label, reason in ESCALATION_REASONS.items()),
        "",
    ]
    for i in range(people):
        lines += [
            "[[people]]",
            f'id = "p{i:03d}"',
            f'name = "Person {i:03d}"',
            f'github = ["dev-{i:03d}"]',
            f'jira = ["5b10ac8d82e05b22{i:08d}"]',
            f'emails = ["dev-{i:03d}@acme.example"]',
            "",
        ]
    for t in range(teams):
        first = int(layout.team_start[t])
        members = [f"p{first + k:03d}" for k in range(1, int(layout.team_size[t]) + 1)]
        lines += [
            "[[teams]]",
            f'name = "Team {t:02d}"',
            f'manager = "p{first:03d}"',
            f"members = {json.dumps(members)}",
            f'email_to = ["dev-{first:03d}@acme.example"]',
            f'repos = ["acme/team-{t:02d}-a", "acme/team-{t:02d}-b"]',
            f'jira_projects = ["P{int(layout.project_of_team[t]):02d}"]',
            "",
        ]
    return "\n".join(lines)


def write_org_store(folder: Path, scale: OrgScale = OrgScale(), now: datetime = ORG_NOW) -> Path:
    """Write the organisation-scale store and its radar.toml under `folder`; returns the config path.

    A folder already holding this exact scale (same parameters, `scale.json`) is reused.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / "scale.json"
    wanted = json.dumps({**scale.__dict__, "now": now.isoformat(), "version": 3}, sort_keys=True)
    config_path = folder / "radar.toml"
    if stamp.exists() and stamp.read_text() == wanted and config_path.exists():
        return config_path
    stamp.unlink(missing_ok=True)
    tables, layout = org_tables(scale, now)
    store = Store(folder / "data")
    for name, frame in tables.items():
        store.write(name, frame)
    config_path.write_text(org_config_toml(layout, Path("data"), Path("out")), "utf-8")
    stamp.write_text(wanted)
    return config_path


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the organisation-scale store and radar.toml.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    arguments = parser.parse_args()
    started = time.perf_counter()
    path = write_org_store(arguments.folder, OrgScale().scaled(arguments.scale))
    store = Store(path.parent / "data")
    sizes = {
        t: store.scan(t).select(pl.len()).collect().item()
        for t in (
            "pull_requests",
            "reviews",
            "review_requests",
            "commits",
            "issues",
            "issue_events",
            "comments",
        )
    }
    print(
        json.dumps(
            {"config": str(path), "seconds": round(time.perf_counter() - started, 1), "rows": sizes}, indent=2
        )
    )


if __name__ == "__main__":
    main()
