"""What the metrics hand to the report: one team's week, as the JSON summary plus its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from core.config import Person, Team
from core.weeks import Week


@dataclass(frozen=True)
class TeamWeek:
    """One team's week.

    `summary` is exactly the team's entry of `metrics.json` (SPEC §6). The frames are the
    evidence behind it, for the page:
      sessions: day (Date, local), start, end (Datetime UTC), commits (Int64), hours (Float64)
      waiting:  repo, number, title, url, requested_at (UTC), age_hours
      pending:  key, summary, url, category, requested_at (UTC), age_hours
      unmapped: source ("github" | "jira"), identity, events (Int64)
      stale:    like pending: issues whose oldest open request is older than stale_after_days
      answered: key, summary, url, category, requested_at, answered_at (UTC), wait_hours: the
                decision requests answered in the week, longest wait first
      issues:   key, summary, url, category: the team issues the week's escalation items and
                `strategic_without_manager` name (so the page can title and link them)
    `extras` holds numbers the page shows beside the contract ones:
      manager_merged_pr_share, manager_commit_share (float | None),
      flags: list[str] (e.g. "team is not owning tactical decisions"),
      managed_teams: int (how many teams the manager has; coding is theirs across all of them).
    """

    team: Team
    manager: Person
    week: Week
    summary: dict[str, Any]
    sessions: pl.DataFrame
    waiting: pl.DataFrame
    pending: pl.DataFrame
    unmapped: pl.DataFrame
    stale: pl.DataFrame = field(default_factory=pl.DataFrame)
    answered: pl.DataFrame = field(default_factory=pl.DataFrame)
    issues: pl.DataFrame = field(default_factory=pl.DataFrame)
    extras: dict[str, Any] = field(default_factory=dict)
