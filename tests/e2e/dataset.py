"""The end-to-end dataset: two GitHub repos and two Jira projects around one report week.

Every time is `at(hours)`: hours after the report week's start (Monday 00:00 in Asia/Tbilisi,
as a UTC instant), so the hand arithmetic in test_e2e.py holds whichever week the tests run in.
The GitHub side is the repo model of tests/connectors/github_fake.py (REST answers from recorded
payloads, GraphQL executed against GitHub's published schema); the Jira side is written here as
raw Cloud (v3, ADF comment bodies, accountIds) and Server (v2, wiki markup, usernames and
JIRAUSER keys) issues for the fake Jira of tests/connectors/test_jira_sync.py.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.connectors.github_fake import Commit, Pull, Repo, RequestEvent, Review

ZONE = ZoneInfo("Asia/Tbilisi")
CHURN = "acme/churn-model"
STORE = "acme/feature-store"
TEAM = "Churn & Retention"
BOT_EMAIL = "49699333+dependabot[bot]@users.noreply.github.com"


def email(login: str) -> str:
    return {"nino-b": "nino@acme.example", "ana-k": "ana@acme.example"}.get(login, f"{login}@acme.example")


def sha(name: str) -> str:
    return (name.encode().hex() + "0" * 40)[:40]


class Clock:
    """Times relative to the report week's start."""

    def __init__(self, week_start: datetime) -> None:
        self.start = week_start

    def __call__(self, hours: float) -> datetime:
        return self.start + timedelta(hours=hours)


# -- GitHub ---------------------------------------------------------------------------------------


def commit(at: Clock, name: str, login: str | None, hours: float, address: str | None = None) -> Commit:
    moment = at(hours)
    return Commit(
        sha(name),
        login,
        address or email(login or "someone"),
        moment,
        moment,
        message=f"{name}: change things\n\nMore words.",
        additions=7,
        deletions=2,
    )


def github_repos(at: Clock) -> dict[str, Repo]:
    """Version 1 of the repos (before the force-push)."""
    a1, a2 = commit(at, "a1", "ana-k", 11), commit(at, "a2", "ana-k", 12)
    g1, g2 = commit(at, "g1", "giorgi-m", 21), commit(at, "g2", "giorgi-m", 22)
    n1, n2 = commit(at, "n1", "nino-b", 30), commit(at, "n2", "nino-b", 31)
    n5 = commit(at, "n5", "nino-b", 100)
    l1 = commit(at, "l1", "luka-t", 41)
    l2, l3 = commit(at, "l2", "luka-t", 131), commit(at, "l3", "luka-t", 135)
    bot2 = commit(at, "bot2", "dependabot[bot]", 5, BOT_EMAIL)

    churn = Repo()
    churn.pulls = [
        Pull(
            101, "ana-k", at(10), at(50.5), state="MERGED", merged=at(50), closed=at(50),
            title="Recalibrate churn thresholds", labels=["model"],
            reviews=[Review(9101, "nino-b", "APPROVED", at(40))],
            events=[RequestEvent(False, at(30), "ana-k", "nino-b")],
            commits=[a1, a2],
        ),
        Pull(
            102, "giorgi-m", at(20), at(60.5), state="MERGED", merged=at(60), closed=at(60),
            title="Feature drift monitor",
            reviews=[Review(9102, "ana-k", "APPROVED", at(45))],
            events=[
                RequestEvent(False, at(44), "giorgi-m", "ana-k"),
                RequestEvent(False, at(44), "giorgi-m", "nino-b"),
                RequestEvent(True, at(46), "giorgi-m", "nino-b"),  # the manager taken off again
            ],
            commits=[g1, g2],
        ),
        Pull(
            103, "nino-b", at(29), at(90.5), state="MERGED", merged=at(90), closed=at(90),
            title="Baseline notebook cleanup",
            reviews=[Review(9103, "ana-k", "APPROVED", at(85))],
            events=[RequestEvent(False, at(80), "nino-b", "ana-k")],
            commits=[n1, n2],
        ),
        Pull(
            104, "nino-b", at(99), at(101), title="Hand over the scoring service", labels=["handover"],
            events=[RequestEvent(False, at(100.5), "nino-b", "ana-k")],
            commits=[n5],
        ),
        Pull(
            105, "giorgi-m", at(-50), at(-20), state="CLOSED", closed=at(-20), title="Abandoned experiment",
            # more commits than one page holds (100): GraphQL and REST both page through them
            commits=[commit(at, f"g0-{n:03d}", "giorgi-m", -49 + n / 60) for n in range(130)],
        ),
    ]  # fmt: skip
    churn.branch = [
        commit(at, "d0", "nino-b", -30),  # the week before
        bot_commit := commit(at, "bot1", "dependabot[bot]", 20, BOT_EMAIL),
        a1,
        g1,
        n1,
        n2,
        commit(at, "d1", "nino-b", 32.5),
        commit(at, "u1", None, 35, "contractor@elsewhere.example"),  # maps to no person
        commit(at, "d2", None, 78, "nino@acme.example"),  # no linked account: matched by email
    ]
    del bot_commit

    feature = Repo()
    feature.pulls = [
        Pull(
            201, "luka-t", at(40), at(70.5), state="MERGED", merged=at(70), closed=at(70),
            title="Point-in-time joins",
            reviews=[
                Review(9201, "nino-b", "COMMENTED", at(52)),
                Review(9202, "giorgi-m", "APPROVED", at(56)),
            ],
            events=[
                RequestEvent(False, at(48), "luka-t", "team:data-science"),
                RequestEvent(False, at(48), "luka-t", "nino-b"),
                RequestEvent(False, at(48), "luka-t", "giorgi-m"),
            ],
            commits=[l1],
        ),
        Pull(
            202, "luka-t", at(130), at(150.5), title="Backfill job for late events",
            reviews=[Review(9203, "giorgi-m", "COMMENTED", at(150))],
            events=[RequestEvent(False, at(140), "luka-t", "nino-b")],
            commits=[l2, l3],
        ),
        Pull(
            203, "dependabot[bot]", at(5), at(8.5), state="MERGED", merged=at(8), closed=at(8),
            title="Bump polars", reviews=[Review(9204, "nino-b", "APPROVED", at(7))],
            commits=[bot2],
        ),
    ]  # fmt: skip
    feature.branch = [l1, bot2, commit(at, "d3", "nino-b", 81)]
    return {CHURN: churn, STORE: feature}


def force_push(repos: dict[str, Repo], at: Clock, now: datetime) -> None:
    """Luka force-pushes PR 202: l2 is rewritten (new sha, same author time), l3 is replaced by l4."""
    pull = repos[STORE].pull(202)
    rewritten = commit(at, "l2r", "luka-t", 131)
    rewritten.committed = now - timedelta(minutes=2)
    pull.commits = [rewritten, commit(at, "l4", "luka-t", 138)]
    pull.updated = now - timedelta(minutes=1)


# -- Jira -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JiraUser:
    account_id: str  # Cloud
    name: str  # Server username
    key: str  # Server user key (JIRAUSER... for newer accounts)
    display: str


NINO = JiraUser("5b10ac8d82e05b22cc7d4ef5", "nino.b", "JIRAUSER10100", "Nino B.")
ANA = JiraUser("5d53f3cbc6b9320d9ea5bdc2", "ana.k", "ana.k", "Ana K.")
GIORGI = JiraUser("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "giorgi.m", "JIRAUSER10102", "Giorgi M.")
LUKA = JiraUser("712020:4a7c1e9d-3b0f-4f6e-9a51-8d2c6e0b7f13", "luka.t", "luka.t", "Luka T.")
DATO = JiraUser("712020:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "dato.g", "JIRAUSER10999", "Dato G.")

Value = str | JiraUser | None


@dataclass
class History:
    id: str
    at: datetime
    author: JiraUser
    items: list[tuple[str, Value, Value]]  # field, from, to (users for assignee, text otherwise)


@dataclass
class Comment:
    id: str
    at: datetime
    author: JiraUser
    parts: list[str | JiraUser]  # text and mentions


@dataclass
class Issue:
    key: str
    id: str
    issue_type: str
    summary: str
    status: str
    assignee: JiraUser | None
    reporter: JiraUser
    created: datetime
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    resolved: datetime | None = None
    histories: list[History] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    @property
    def project(self) -> str:
        return self.key.split("-")[0]

    @property
    def updated(self) -> datetime:
        times = [self.created, *(h.at for h in self.histories), *(c.at for c in self.comments)]
        return max(times + ([self.resolved] if self.resolved else []))


STATUS_IDS = {"To Do": "10000", "In Progress": "3", "Needs Decision": "10200", "Done": "10001"}


def jira_issues(at: Clock) -> list[Issue]:
    return [
        Issue(
            "DS-1", "10001", "Task", "Churn model drifts after the feature store migration", "In Progress",
            NINO, ANA, at(-24), labels=["escalation", "model-anomaly"],
            histories=[
                History("10100", at(-23), ANA, [("labels", "", "model-anomaly")]),
                History(
                    "10101", at(26), ANA,
                    [("labels", "model-anomaly", "escalation model-anomaly"), ("assignee", ANA, NINO)],
                ),
            ],
            comments=[Comment("20001", at(36), NINO, ["Keep last month's baseline for now."])],
        ),
        Issue(
            "DS-2", "10002", "Task", "Decide the retraining cadence", "In Progress", GIORGI, GIORGI, at(-48),
            histories=[
                History("10200", at(-47), GIORGI, [("assignee", None, GIORGI)]),
                History("10201", at(5), GIORGI, [("priority", "Medium", "High")]),
                History("10202", at(40), GIORGI, [("status", "In Progress", "Needs Decision")]),
                History("10203", at(52), GIORGI, [("status", "Needs Decision", "In Progress")]),
            ],
            comments=[
                Comment("20101", at(41), GIORGI, [NINO, " weekly or monthly retraining?"]),
                Comment("20102", at(60), NINO, ["Monthly, with a drift alarm in between."]),
                Comment("20103", at(61), ANA, [GIORGI, " I can set up the alarm."]),
            ],
        ),
        Issue(
            "DS-3", "10003", "Story", "Calibrate the uplift model", "In Progress", LUKA, LUKA, at(10),
            components=["modelling"],
            histories=[History("10300", at(22), LUKA, [("status", "To Do", "In Progress")])],
            comments=[Comment("20201", at(20), LUKA, [GIORGI, " can you pair on the calibration?"])],
        ),
        Issue(
            "DS-4", "10004", "Epic", "Feature store architecture", "In Progress", NINO, NINO, at(-100),
            labels=["architecture"],
            histories=[History("10400", at(-99), NINO, [("status", "To Do", "In Progress")])],
            comments=[
                Comment("20301", at(100), ANA, [NINO, " online or offline store first?"]),
                Comment("20302", at(130), NINO, ["Offline first; online after the audit."]),
            ],
        ),
        Issue(
            "DS-5", "10005", "Task", "Stakeholder sync notes", "Done", ANA, ANA, at(-200),
            labels=["stakeholder"], resolved=at(-150),
            histories=[History("10500", at(-150), ANA, [("status", "In Progress", "Done")])],
        ),
        Issue(
            "DS-6", "10006", "Task", "Label backlog for Q1", "To Do", LUKA, LUKA, at(-5),
            labels=["needs-manager", "timeline-risk"],
            histories=[
                History("10600", at(-4), LUKA, [("labels", "", "timeline-risk")]),
                History("10601", at(150), LUKA, [("labels", "timeline-risk", "needs-manager timeline-risk")]),
            ],
        ),
        Issue(
            "OPS-1", "10101", "Task", "Rotate the warehouse keys", "To Do", DATO, DATO, at(12),
            comments=[Comment("20401", at(13), DATO, [NINO, " please approve the window."])],
        ),
        Issue(
            "OPS-2", "10102", "Task", "Upgrade Airflow", "In Progress", DATO, DATO, at(-10),
            histories=[History("10700", at(20), DATO, [("status", "To Do", "In Progress")])],
        ),
    ]  # fmt: skip


def jira_time(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M:%S.000%z")


def _user(user: JiraUser | None, flavor: str, base: str) -> dict[str, Any] | None:
    if user is None:
        return None
    if flavor == "cloud":
        return {
            "self": f"{base}/rest/api/3/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "displayName": user.display,
            "active": True,
            "timeZone": "Asia/Tbilisi",
            "accountType": "atlassian",
        }
    return {
        "self": f"{base}/rest/api/2/user?username={user.name}",
        "name": user.name,
        "key": user.key,
        "emailAddress": f"{user.name}@acme.example",
        "displayName": user.display,
        "active": True,
        "timeZone": "Asia/Tbilisi",
    }


def _item(name: str, old: Value, new: Value, flavor: str) -> dict[str, Any]:
    item: dict[str, Any] = {"field": name, "fieldtype": "jira"}
    if flavor == "cloud":
        item["fieldId"] = name
    if name == "assignee":
        # Cloud writes accountIds into from/to; Server writes user keys (JIRAUSER... for newer accounts).
        def ident(user: Value) -> str | None:
            assert not isinstance(user, str)
            return None if user is None else (user.account_id if flavor == "cloud" else user.key)

        item.update(
            {
                "from": ident(old),
                "fromString": None if old is None else old.display,  # type: ignore[union-attr]
                "to": ident(new),
                "toString": None if new is None else new.display,  # type: ignore[union-attr]
            }
        )
    elif name == "status":
        item.update(
            {"from": STATUS_IDS[str(old)], "fromString": old, "to": STATUS_IDS[str(new)], "toString": new}
        )
    else:
        item.update({"from": None, "fromString": old, "to": None, "toString": new})
    return item


def _body(parts: list[str | JiraUser], flavor: str) -> Any:
    if flavor == "cloud":
        content: list[dict[str, Any]] = []
        for part in parts:
            if isinstance(part, JiraUser):
                content.append(
                    {
                        "type": "mention",
                        "attrs": {"id": part.account_id, "text": f"@{part.display}", "accessLevel": ""},
                    }
                )
            else:
                content.append({"type": "text", "text": part})
        return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": content}]}
    return "".join(f"[~{p.name}]" if isinstance(p, JiraUser) else p for p in parts)


def raw_issue(issue: Issue, flavor: str, base: str) -> dict[str, Any]:
    """The issue as Jira's search returns it with every field and `expand=changelog`."""
    api = "rest/api/3" if flavor == "cloud" else "rest/api/2"
    comments = [
        {
            "self": f"{base}/{api}/issue/{issue.id}/comment/{c.id}",
            "id": c.id,
            "author": _user(c.author, flavor, base),
            "body": _body(c.parts, flavor),
            "updateAuthor": _user(c.author, flavor, base),
            "created": jira_time(c.at),
            "updated": jira_time(c.at),
        }
        for c in issue.comments
    ]
    histories = [
        {
            "id": h.id,
            "author": _user(h.author, flavor, base),
            "created": jira_time(h.at),
            "items": [_item(name, old, new, flavor) for name, old, new in h.items],
        }
        for h in sorted(issue.histories, key=lambda h: int(h.id), reverse=True)
    ]
    status_id = STATUS_IDS[issue.status]
    return {
        "expand": "operations,changelog",
        "id": issue.id,
        "self": f"{base}/{api}/issue/{issue.id}",
        "key": issue.key,
        "fields": {
            "project": {
                "self": f"{base}/{api}/project/{issue.project}",
                "id": "100" + str(len(issue.project)),
                "key": issue.project,
                "name": {"DS": "Data Science", "OPS": "Operations"}[issue.project],
            },
            "issuetype": {
                "id": "1000" + str(len(issue.issue_type)),
                "name": issue.issue_type,
                "subtask": False,
            },
            "summary": issue.summary,
            "status": {
                "self": f"{base}/{api}/status/{status_id}",
                "name": issue.status,
                "id": status_id,
                "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"},
            },
            "labels": list(issue.labels),
            "components": [{"id": "1", "name": name} for name in issue.components],
            "assignee": _user(issue.assignee, flavor, base),
            "reporter": _user(issue.reporter, flavor, base),
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "resolutiondate": jira_time(issue.resolved) if issue.resolved else None,
            "parent": None,
            "comment": {
                "comments": comments,
                "self": f"{base}/{api}/issue/{issue.id}/comment",
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


def raw_issues(issues: list[Issue], flavor: str, base: str) -> list[dict[str, Any]]:
    return [copy.deepcopy(raw_issue(issue, flavor, base)) for issue in issues]
