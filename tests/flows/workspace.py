"""A small hand-written workspace for the flow tests: a config of two teams and a store holding
one week (2026-W10, Asia/Tbilisi) of GitHub and Jira activity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.store import Store

WEEK = "2026-W10"  # Mon 2 Mar 2026 00:00 +04:00 -> Mon 9 Mar 2026 00:00 +04:00
TEAM_A = "Churn & Retention"
TEAM_B = "Feature Store"
ADDRESSES = {TEAM_A: ["nino@acme.example"], TEAM_B: ["tamar@acme.example", "lead@acme.example"]}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def config_text(extra: str = "", github: str = "", jira: str = "") -> str:
    github = github or '[github]\nrepos = ["acme/churn", "acme/features"]\n'
    jira = jira or '[jira]\nurl = "https://acme.atlassian.net"\nprojects = ["DS"]\n'
    return f"""
timezone = "Asia/Tbilisi"
store = "data"
output = "out"

{github}
{jira}
{extra}

[[people]]
id = "nino"
github = ["nino-b"]
jira = ["acc-nino"]
[[people]]
id = "ana"
github = ["ana-k"]
jira = ["acc-ana"]
[[people]]
id = "giorgi"
github = ["giorgi-m"]
[[people]]
id = "tamar"
github = ["tamar-d"]
[[people]]
id = "luka"
github = ["luka-t"]

[[teams]]
name = "{TEAM_A}"
manager = "nino"
members = ["ana", "giorgi"]
email_to = {ADDRESSES[TEAM_A]!r}
repos = ["acme/churn"]
jira_projects = ["DS"]

[[teams]]
name = "{TEAM_B}"
manager = "tamar"
members = ["luka"]
email_to = ["{ADDRESSES[TEAM_B][0]}", "{ADDRESSES[TEAM_B][1]}"]
repos = ["acme/features"]
jira_projects = []
""".replace("'", '"')


def write_store(root: Path) -> None:
    store = Store(root)
    url = "https://github.com/{}/pull/{}"
    store.upsert(
        "pull_requests",
        [
            {"repo": "acme/churn", "number": 1, "author": "ana-k", "title": "Retrain <b>churn</b> model",
             "url": url.format("acme/churn", 1), "state": "MERGED", "draft": False, "created_at": at(2, 8),
             "merged_at": at(4, 9), "updated_at": at(4, 9), "labels": [], "additions": 40, "deletions": 3},
            {"repo": "acme/churn", "number": 2, "author": "giorgi-m", "title": "Feature drift check",
             "url": url.format("acme/churn", 2), "state": "OPEN", "draft": False, "created_at": at(5, 7),
             "updated_at": at(5, 7), "labels": [], "additions": 12, "deletions": 0},
            {"repo": "acme/features", "number": 5, "author": "luka-t", "title": "Backfill job",
             "url": url.format("acme/features", 5), "state": "MERGED", "draft": False, "created_at": at(3, 6),
             "merged_at": at(3, 15), "updated_at": at(3, 15), "labels": [], "additions": 90, "deletions": 10},
        ],
    )  # fmt: skip
    store.upsert(
        "review_requests",
        [
            {"repo": "acme/churn", "number": 1, "reviewer": "nino-b", "requested_at": at(2, 9),
             "requester": "ana-k"},
            {"repo": "acme/churn", "number": 2, "reviewer": "nino-b", "requested_at": at(5, 8),
             "requester": "giorgi-m"},
            {"repo": "acme/features", "number": 5, "reviewer": "tamar-d", "requested_at": at(3, 7),
             "requester": "luka-t"},
        ],
    )  # fmt: skip
    store.upsert(
        "reviews",
        [
            {"repo": "acme/churn", "review_id": 11, "number": 1, "reviewer": "nino-b", "state": "APPROVED",
             "submitted_at": at(3, 12)},
            {"repo": "acme/features", "review_id": 51, "number": 5, "reviewer": "tamar-d",
             "state": "APPROVED", "submitted_at": at(3, 9)},
        ],
    )  # fmt: skip
    commits = [
        ("acme/churn", "nino-b", at(3, 8)),
        ("acme/churn", "nino-b", at(3, 9, 30)),
        ("acme/churn", "ana-k", at(2, 10)),
    ]
    commits += [("acme/features", "tamar-d", at(d, h)) for d in (2, 3, 4, 5) for h in (6, 7, 8, 10)]
    store.upsert(
        "commits",
        [
            {"repo": repo, "sha": f"{repo}-{i:03d}", "author": author,
             "author_email": f"{author}@users.example", "authored_at": when, "committed_at": when,
             "additions": 5, "deletions": 1, "pr_number": None, "message_first_line": f"change {i}"}
            for i, (repo, author, when) in enumerate(commits)
        ],
    )  # fmt: skip
    jira = "https://acme.atlassian.net/browse/{}"
    store.upsert(
        "issues",
        [
            {"key": "DS-1", "project": "DS", "issue_type": "Task", "summary": "Stakeholder wants new KPI",
             "url": jira.format("DS-1"), "status": "In Progress", "labels": ["escalation", "stakeholder"],
             "components": [], "assignee": "acc-ana", "reporter": "acc-ana", "created_at": at(2, 6),
             "updated_at": at(4, 6)},
            {"key": "DS-2", "project": "DS", "issue_type": "Epic", "summary": "Churn model v3 architecture",
             "url": jira.format("DS-2"), "status": "To Do", "labels": ["architecture"], "components": [],
             "assignee": "acc-ana", "reporter": "acc-nino", "created_at": at(3, 6), "updated_at": at(3, 6)},
        ],
    )  # fmt: skip
    store.upsert(
        "issue_events",
        [
            {"key": "DS-1", "event_id": "100", "field": "labels", "at": at(2, 7), "actor": "acc-ana",
             "from_value": "stakeholder", "to_value": "escalation stakeholder"},
            {"key": "DS-1", "event_id": "101", "field": "status", "at": at(4, 6), "actor": "acc-nino",
             "from_value": "To Do", "to_value": "In Progress"},
        ],
    )  # fmt: skip
    store.upsert(
        "comments",
        [
            {
                "key": "DS-1",
                "comment_id": "900",
                "author": "acc-ana",
                "created_at": at(2, 8),
                "mentions": ["acc-nino"],
            }
        ],
    )


def write_workspace(folder: Path, extra: str = "", github: str = "", jira: str = "") -> Path:
    """The config file (with `extra` TOML sections appended) and its store; returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "radar.toml"
    path.write_text(config_text(extra, github, jira), "utf-8")
    write_store(folder / "data")
    return path
