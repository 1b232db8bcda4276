"""The bundled demo workspace: a config and a full store for three teams over 13 weeks, no network.

Deterministic: one `random.Random(seed)` drives every choice and no clock is read, so the same
seed and week give byte-identical files. Each team follows a week-by-week plan (`TeamSpec.plan`,
demo.teams) of the colour every Friday-checklist item should take, and the data is built to land
there (demo.github, demo.jira).
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from core.schemas import PRIMARY_KEYS, SCHEMAS
from core.state import STATE_FILE, SyncState
from core.store import Store
from core.weeks import Week
from demo.github import GithubActivity
from demo.jira import JiraActivity
from demo.teams import (
    DECISION_STATUS,
    DEFAULT_LAST_WEEK,
    ESCALATION_LABELS,
    GITHUB_API,
    GITHUB_WEB,
    HANDOVER_LABEL,
    JIRA_URL,
    REASONS,
    RELEASE_BOT,
    TEAMS,
    TIMEZONE,
    WEEKS,
    all_repos,
)
from metrics.selfcheck import ITEM_KEYS


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


class _Demo(GithubActivity, JiraActivity):
    """Builds the rows of every table, team by team and week by week."""

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
        for repo in all_repos():
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
            f"repos = [{', '.join(q(r) for r in all_repos())}]",
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


def _numbering(prs: list[tuple[str, int, datetime]]) -> dict[tuple[str, int], int]:
    """PR numbers per repo in creation order, after the repo's older history."""
    numbers: dict[tuple[str, int], int] = {}
    last = {repo: base for repo, base in zip(all_repos(), (212, 480, 1020, 731, 1544), strict=True)}
    for repo, key, _created in sorted(prs, key=lambda p: (p[0], p[2], p[1])):
        last[repo] += 1
        numbers[(repo, key)] = last[repo]
    return numbers
