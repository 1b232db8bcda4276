"""Metric invariants on generated stores (SPEC §5 "No look-ahead", "One computation"):

- deleting every record timed at or after `as_of` (and rolling current issue state back through
  the changelog) leaves the week's metrics.json unchanged;
- one team computed alone equals that team computed with all teams;
- a range run says what single-week runs say;
- the order of the rows changes nothing.

The stores mix two teams of one manager, a Jira project shared by two teams, bots, unmapped
identities, GitHub team reviewers, handover PRs and weeks across a daylight-saving change.
The deletion below is written here, on plain rows, independently of metrics/asof.py.
"""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import Config, parse_config
from core.schemas import SCHEMAS, conform
from core.weeks import Week
from metrics.weekly import compute_weeks, metrics_document

START = datetime(2026, 10, 5, tzinfo=UTC)  # Monday of 2026-W41; Berlin leaves DST on 25 Oct (W43)
SPAN_HOURS = 4 * 7 * 24
WEEKS = ["2026-W41", "2026-W42", "2026-W43", "2026-W44"]
LABELS = ["escalation", "needs-manager", "architecture", "design", "stakeholder", "tech-debate", "ml"]
STATUSES = ["Open", "In Progress", "Needs Decision", "Done"]

PEOPLE = {
    # id: (github login, jira id, email)
    "mia": ("mia-gh", "acc-mia", "mia@x.io"),
    "noa": ("noa-gh", "acc-noa", "noa@x.io"),
    "a1": ("a1-gh", "acc-a1", "a1@x.io"),
    "a2": ("a2-gh", "acc-a2", "a2@x.io"),
    "b1": ("b1-gh", "acc-b1", "b1@x.io"),
    "b2": ("b2-gh", "acc-b2", "b2@x.io"),
    "c1": ("c1-gh", "acc-c1", "c1@x.io"),
}
LOGINS = [p[0] for p in PEOPLE.values()] + ["stranger-gh", "dependabot[bot]", "ci-robot"]
JIRA_IDS = [p[1] for p in PEOPLE.values()] + ["acc-stranger"]
AUTHORS = {  # who usually opens PRs in each repo
    "acme/app": ["a1-gh", "a2-gh", "c1-gh"],
    "acme/data": ["b1-gh", "b2-gh"],
    "acme/ops": ["c1-gh", "a1-gh"],
}


def config() -> Config:
    return parse_config(
        {
            "timezone": "Europe/Berlin",
            "bots": ["ci-robot"],
            "github": {"repos": ["acme/app", "acme/data", "acme/ops"]},
            "jira": {"url": "https://acme.atlassian.net", "projects": ["DS", "OP"]},
            "thresholds": {"min_sample": 1, "stale_after_days": 10},
            "delegation": {
                "strategic": {"labels": ["architecture"], "issue_types": ["Epic"]},
                "implementation": {"labels": ["design"]},
                "handover_labels": ["handover"],
            },
            "escalation": {
                "labels": ["escalation", "needs-manager"],
                "reasons": {
                    "stakeholder": "stakeholder-misalignment",
                    "tech-debate": "unresolved-technical-debate",
                },
            },
            "people": [
                {"id": pid, "github": [gh], "jira": [jira], "emails": [email]}
                for pid, (gh, jira, email) in PEOPLE.items()
            ],
            "teams": [
                {
                    "name": "Core",
                    "manager": "mia",
                    "members": ["a1", "a2"],
                    "repos": ["acme/app"],
                    "jira_projects": ["DS"],
                },
                {
                    "name": "Data",
                    "manager": "mia",
                    "members": ["b1", "b2"],
                    "repos": ["acme/data"],
                    "jira_projects": ["DS"],
                },
                {
                    "name": "Ops",
                    "manager": "noa",
                    "members": ["c1", "a1"],
                    "repos": ["acme/ops", "acme/app"],
                    "jira_projects": ["OP"],
                },
            ],
        }
    )


def store(seed: int) -> dict[str, list[dict[str, Any]]]:
    """A random store of plain rows over the four weeks."""
    rng = random.Random(seed)

    def at(after: datetime | None = None) -> datetime:
        base = after or START - timedelta(days=3)
        span = SPAN_HOURS + 72 if after is None else 72
        return base + timedelta(minutes=rng.randrange(1, span * 60))

    def maybe(value: Any, p: float = 0.5) -> Any:
        return value if rng.random() < p else None

    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
    repos = ["acme/app", "acme/data", "acme/ops"]
    for number in range(1, rng.randrange(20, 50)):
        repo, created = rng.choice(repos), at()
        merged = maybe(at(created), 0.6)
        rows["pull_requests"].append(
            {
                "repo": repo,
                "number": number,
                "author": rng.choice([*AUTHORS[repo], *AUTHORS[repo], *LOGINS]),
                "title": f"PR {number}",
                "url": f"https://github.com/{repo}/pull/{number}",
                "state": "merged" if merged else "open",
                "draft": False,
                "created_at": created,
                "merged_at": merged,
                "closed_at": merged or maybe(at(created), 0.2),
                "labels": ["handover"] if rng.random() < 0.2 else [],
            }
        )
    prs = rows["pull_requests"]
    for review_id in range(rng.randrange(10, 80)):
        target = rng.choice(prs)
        rows["reviews"].append(
            {
                "repo": target["repo"],
                "review_id": review_id,
                "number": target["number"],
                "reviewer": rng.choice([*LOGINS, "mia-gh", "mia-gh", "noa-gh"]),
                "state": "APPROVED",
                "submitted_at": at(target["created_at"]),
            }
        )
    for target in prs:  # the manager reviewing after the merge: read only once it has happened
        if target["merged_at"] is not None and rng.random() < 0.5:
            rows["reviews"].append(
                {
                    "repo": target["repo"],
                    "review_id": 1000 + target["number"],
                    "number": target["number"],
                    "reviewer": "noa-gh" if target["repo"] == "acme/ops" else "mia-gh",
                    "state": "COMMENTED",
                    "submitted_at": at(target["merged_at"]),
                }
            )
    seen_requests = set()
    for _ in range(rng.randrange(0, 12)):
        target = rng.choice(prs)
        requested = at(target["created_at"])
        reviewer = rng.choice([*LOGINS, "team:ml", "mia-gh", "noa-gh"])
        if (target["repo"], target["number"], reviewer, requested) in seen_requests:
            continue
        seen_requests.add((target["repo"], target["number"], reviewer, requested))
        rows["review_requests"].append(
            {
                "repo": target["repo"],
                "number": target["number"],
                "reviewer": reviewer,
                "requested_at": requested,
                "requester": rng.choice(LOGINS),
                "removed_at": maybe(at(requested), 0.2),
            }
        )
    for index in range(rng.randrange(0, 40)):
        pid = rng.choice([*PEOPLE, "mia", "mia", "stranger"])
        login, _, email = PEOPLE.get(pid, ("stranger-gh", None, "s@x.io"))
        authored = at()
        sha = f"{index:040x}"
        target = maybe(rng.choice(prs), 0.4)
        for repo in rng.sample(repos, rng.choice([1, 1, 2])):  # a sha pushed to two repos
            rows["commits"].append(
                {
                    "repo": repo,
                    "sha": sha,
                    "author": maybe(login, 0.8),
                    "author_email": email,
                    "authored_at": authored,
                    "committed_at": authored,
                    "pr_number": target["number"] if target and target["repo"] == repo else None,
                    "message_first_line": "work",
                }
            )
    for index in range(1, rng.randrange(3, 16)):
        project = rng.choice(["DS", "DS", "OP"])
        created = at()
        key = f"{project}-{index}"
        rows["issues"].append(
            {
                "key": key,
                "project": project,
                "issue_type": rng.choice(["Task", "Task", "Epic", "Bug"]),
                "summary": key,
                "url": f"https://acme.atlassian.net/browse/{key}",
                "status": rng.choice(STATUSES),
                "labels": rng.sample(LABELS, rng.randrange(0, 3)),
                "components": [],
                "assignee": maybe(rng.choice(JIRA_IDS), 0.8),
                "reporter": rng.choice(JIRA_IDS),
                "created_at": created,
                "updated_at": created,
                "resolved_at": maybe(at(created), 0.3),
            }
        )
        for event in range(rng.randrange(0, 6)):
            field = rng.choice(["labels", "status", "assignee", "issuetype"])
            values = {
                "labels": lambda: " ".join(rng.sample(LABELS, rng.randrange(0, 3))),
                "status": lambda: rng.choice(STATUSES),
                "assignee": lambda: maybe(rng.choice(JIRA_IDS), 0.9),
                "issuetype": lambda: rng.choice(["Task", "Epic", "Bug"]),
            }[field]
            rows["issue_events"].append(
                {
                    "key": key,
                    "event_id": str(1000 * index + event),
                    "field": field,
                    "at": at(created),
                    "actor": rng.choice([*JIRA_IDS, "acc-mia", "acc-mia"]),
                    "from_value": values(),
                    "to_value": values(),
                }
            )
        for number in range(rng.randrange(0, 4)):
            rows["comments"].append(
                {
                    "key": key,
                    "comment_id": f"{key}-c{number}",
                    "author": rng.choice([*JIRA_IDS, "acc-mia"]),
                    "created_at": at(created),
                    "mentions": rng.sample(["acc-mia", "acc-noa", "acc-a1"], rng.randrange(0, 2)),
                }
            )
        resolved = rows["issues"][-1]["resolved_at"]
        if resolved is not None and rng.random() < 0.6:  # talk on an issue days after it was resolved
            rows["comments"].append(
                {
                    "key": key,
                    "comment_id": f"{key}-late",
                    "author": rng.choice([*JIRA_IDS, "acc-mia"]),
                    "created_at": at(resolved + timedelta(days=rng.randrange(4, 9))),
                    "mentions": rng.sample(["acc-mia", "acc-noa"], rng.randrange(0, 2)),
                }
            )
    return rows


def frames(rows: dict[str, list[dict[str, Any]]]) -> dict[str, pl.DataFrame]:
    return {name: conform(name, pl.DataFrame(table, schema=SCHEMAS[name])) for name, table in rows.items()}


def as_it_stood(rows: dict[str, list[dict[str, Any]]], as_of: datetime) -> dict[str, list[dict[str, Any]]]:
    """Delete every record timed at or after `as_of`, unset later times, roll issue state back."""

    def before(value: datetime | None) -> bool:
        return value is not None and value < as_of

    def unless_later(value: datetime | None) -> datetime | None:
        return value if before(value) else None

    later_events: dict[tuple[str, str], dict[str, Any]] = {}
    for event in sorted(rows["issue_events"], key=lambda e: (e["at"], e["event_id"])):
        if not before(event["at"]):
            later_events.setdefault((event["key"], event["field"]), event)
    columns = {"labels": "labels", "status": "status", "assignee": "assignee", "issuetype": "issue_type"}
    issues = []
    for issue in rows["issues"]:
        if not before(issue["created_at"]):
            continue
        rolled = dict(issue, resolved_at=unless_later(issue["resolved_at"]))
        for field, column in columns.items():
            earliest = later_events.get((issue["key"], field))
            if earliest is not None:
                value = earliest["from_value"]
                rolled[column] = (value or "").split() if field == "labels" else value
        issues.append(rolled)
    return {
        "pull_requests": [
            dict(pr, merged_at=unless_later(pr["merged_at"]), closed_at=unless_later(pr["closed_at"]))
            for pr in rows["pull_requests"]
            if before(pr["created_at"])
        ],
        "reviews": [r for r in rows["reviews"] if before(r["submitted_at"])],
        "review_requests": [
            dict(r, removed_at=unless_later(r["removed_at"]))
            for r in rows["review_requests"]
            if before(r["requested_at"])
        ],
        "commits": [c for c in rows["commits"] if before(c["authored_at"])],
        "issues": issues,
        "issue_events": [e for e in rows["issue_events"] if before(e["at"])],
        "comments": [c for c in rows["comments"] if before(c["created_at"])],
    }


def document(tables: dict[str, pl.DataFrame], cfg: Config, week: Week, teams: Any = None) -> str:
    results = compute_weeks(tables, cfg, [week], teams)[week.label]
    return json.dumps(metrics_document(week, results), sort_keys=True, allow_nan=False)


PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), week_index=st.integers(0, 3), hours_in=st.integers(1, 7 * 24 + 12))
def test_deleting_records_from_as_of_on_changes_nothing(seed: int, week_index: int, hours_in: int) -> None:
    cfg = config()
    week = Week.parse(WEEKS[week_index], cfg.zone)
    week = week.at(week.start + timedelta(hours=hours_in, minutes=17))  # past the end: complete
    rows = store(seed)
    assert document(frames(rows), cfg, week) == document(frames(as_it_stood(rows, week.cutoff)), cfg, week)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), week_index=st.integers(0, 3))
def test_one_team_alone_equals_all_teams(seed: int, week_index: int) -> None:
    cfg = config()
    week = Week.parse(WEEKS[week_index], cfg.zone)
    tables = frames(store(seed))
    together = compute_weeks(tables, cfg, [week])[week.label]
    for index, team in enumerate(cfg.teams):
        (alone,) = compute_weeks(tables, cfg, [week], [team])[week.label]
        assert alone.to_json() == together[index].to_json()


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1))
def test_a_range_says_what_single_weeks_say(seed: int) -> None:
    cfg = config()
    weeks = [Week.parse(label, cfg.zone) for label in WEEKS]
    tables = frames(store(seed))
    ranged = compute_weeks(tables, cfg, weeks)
    for week in weeks:
        single = compute_weeks(tables, cfg, [week])[week.label]
        assert [tw.to_json() for tw in ranged[week.label]] == [tw.to_json() for tw in single]


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1), shuffle=st.randoms(use_true_random=False), week_index=st.integers(0, 3)
)
def test_row_order_changes_nothing(seed: int, shuffle: random.Random, week_index: int) -> None:
    cfg = config()
    week = Week.parse(WEEKS[week_index], cfg.zone)
    rows = store(seed)
    shuffled = {name: shuffle.sample(table, len(table)) for name, table in rows.items()}
    assert document(frames(rows), cfg, week) == document(frames(shuffled), cfg, week)


def test_the_generated_stores_exercise_what_the_properties_are_about() -> None:
    # Over the first 20 seeds, the deletion removes reviews, answers and changelog rows that would
    # otherwise be read, and the weeks carry escalations: the properties are not vacuous.
    cfg = config()
    changed = 0
    for seed in range(20):
        rows = store(seed)
        week = Week.parse("2026-W43", cfg.zone)
        mid = week.at(week.start + timedelta(days=3))
        if document(frames(rows), cfg, mid) != document(frames(rows), cfg, week):
            changed += 1
    assert changed >= 10


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), week_index=st.integers(0, 3), hours_in=st.integers(1, 7 * 24 + 12))
def test_reading_only_what_a_week_needs_changes_nothing(seed: int, week_index: int, hours_in: int) -> None:
    # `snapshot(..., since=week start)` drops earlier commits and the earlier changelog rows and
    # comments that cannot be an escalation, an answer or a decision exit: an exact shortcut.
    from metrics.asof import prepare, snapshot
    from metrics.weekly import compute_week

    cfg = config()
    week = Week.parse(WEEKS[week_index], cfg.zone)
    week = week.at(week.start + timedelta(hours=hours_in, minutes=17))
    prepared = prepare(frames(store(seed)), cfg)
    whole = compute_week(snapshot(prepared, week.cutoff), cfg, week)
    pruned = compute_week(snapshot(prepared, week.cutoff, week.start), cfg, week)
    assert [everything(tw) for tw in pruned] == [everything(tw) for tw in whole]


def everything(value: Any) -> Any:
    """A result with every field (evidence frames as sorted rows), for comparing two results whole."""
    if isinstance(value, pl.DataFrame):
        return sorted(json.dumps(row, sort_keys=True, default=str) for row in value.to_dicts())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: everything(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: everything(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [everything(v) for v in value]
    return value


def test_reading_only_what_a_week_needs_drops_rows_in_the_generated_stores() -> None:
    # The shortcut above is not vacuous: over the first 10 seeds the pruned snapshot of the last
    # week leaves out pull requests, reviews, issues and changelog rows the whole one holds.
    from metrics.asof import prepare, snapshot

    cfg = config()
    week = Week.parse(WEEKS[-1], cfg.zone)
    dropped: dict[str, int] = {}
    for seed in range(10):
        prepared = prepare(frames(store(seed)), cfg)
        whole = {k: v.collect().height for k, v in snapshot(prepared, week.cutoff).items()}
        pruned = {k: v.collect().height for k, v in snapshot(prepared, week.cutoff, week.start).items()}
        for name in whole:
            dropped[name] = dropped.get(name, 0) + whole[name] - pruned[name]
    assert all(dropped[name] > 0 for name in ("pull_requests", "reviews", "issues", "issue_events")), dropped


def fractions(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every `*share` and `*rate` value in a metrics document, with where it is."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            place = f"{path}.{key}"
            if key.endswith(("share", "rate")) and not isinstance(item, dict | list):
                found.append((place, item))
            found += fractions(item, place)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += fractions(item, f"{path}[{index}]")
    return found


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), week_index=st.integers(0, 3), hours_in=st.integers(1, 7 * 24 + 12))
def test_shares_and_rates_are_fractions_and_nothing_is_nan(seed: int, week_index: int, hours_in: int) -> None:
    cfg = config()
    week = Week.parse(WEEKS[week_index], cfg.zone)
    week = week.at(week.start + timedelta(hours=hours_in))
    text = document(frames(store(seed)), cfg, week)  # allow_nan=False: a NaN or infinity raises
    found = fractions(json.loads(text))
    # coding share, review share, top reviewer share, and one escalation rate per category, per team
    assert len(found) >= len(cfg.teams) * 6
    assert [(place, v) for place, v in found if v is not None and not 0.0 <= v <= 1.0] == []
