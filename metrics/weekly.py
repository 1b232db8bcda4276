"""One week for every team: the four signals, the checklist, and the metrics.json document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl

from core.config import Config, Team
from core.weeks import Week
from metrics.checklist import checklist
from metrics.coding import coding_week
from metrics.decisions import decision_requests, decision_week
from metrics.escalations import CATEGORIES, escalation_week, escalations, manager_actions
from metrics.result import TeamWeek
from metrics.reviews import review_week
from metrics.scope import Identities, TeamScope, in_window, table, team_issue_owner, team_scope

Tables = Mapping[str, pl.DataFrame]

UNMAPPED_SCHEMA = {"source": pl.String, "identity": pl.String, "events": pl.Int64}


class TeamMetrics:
    """A team's rows scoped once; `week(w)` computes any week from them."""

    def __init__(
        self, tables: Tables, config: Config, team: Team, ids: Identities, owners: pl.DataFrame
    ) -> None:
        self.config = config
        self.team = team
        self.ids = ids
        self.tables = tables
        self.scope: TeamScope = team_scope(tables, config, team, ids, owners)
        self.escalations = escalations(self.scope, config)
        self.actions = manager_actions(self.scope)
        self.requests = decision_requests(self.scope, config, self.escalations, self.actions)

    def week(self, week: Week) -> TeamWeek:
        config, scope = self.config, self.scope
        start, end = week.start, week.end
        coding = coding_week(scope, start, end, config.coding, config.work_hours_per_week, config.zone)
        reviews = review_week(scope, start, end)
        escalated = escalation_week(scope, config, self.escalations, self.actions, start, end)
        decisions = decision_week(self.requests, config, start, end)
        summary: dict[str, Any] = {
            "team": self.team.name,
            "team_size": len(self.team.members),
            "coding": {
                "hours": coding.hours,
                "share": coding.share,
                "target": coding.target,
                "colour": coding.colour,
            },
            "reviews": {
                "manager_review_share": reviews.manager_review_share,
                "manager_pickup_hours": reviews.manager_pickup_hours,
                "team_pickup_hours": reviews.team_pickup_hours,
                "waiting_on_manager": reviews.waiting.select("repo", "number", "age_hours").to_dicts(),
                "top_reviewer_share": reviews.top_reviewer_share,
                "colour": reviews.colour,
            },
            "escalations": {category: escalated.by_category[category] for category in CATEGORIES},
            "decisions": {
                **{category: decisions.by_category[category] for category in CATEGORIES},
                "colour": decisions.colour,
            },
        }
        summary["checklist"] = checklist(summary, config)
        return TeamWeek(
            team=self.team,
            manager=config.person(self.team.manager),
            week=week,
            summary=summary,
            sessions=coding.sessions,
            waiting=reviews.waiting,
            pending=decisions.pending,
            unmapped=unmapped_identities(self.tables, config, self.team, self.ids, scope, start, end),
            extras={
                "manager_merged_pr_share": coding.manager_merged_pr_share,
                "manager_commit_share": coding.manager_commit_share,
                "flags": escalated.flags,
            },
        )


def unmapped_identities(
    tables: Tables,
    config: Config,
    team: Team,
    ids: Identities,
    scope: TeamScope,
    start: datetime,
    end: datetime,
) -> pl.DataFrame:
    """Identities active in the team's repos and issues this week that map to no person."""
    repos = config.team_repos(team)

    def in_repos(frame: pl.DataFrame) -> pl.DataFrame:
        return frame if repos is None else frame.filter(pl.col("repo").is_in(repos))

    github = pl.concat(
        [
            in_repos(table(tables, "pull_requests"))
            .filter(in_window("created_at", start, end))
            .select(identity=pl.col("author")),
            in_repos(table(tables, "reviews"))
            .filter(in_window("submitted_at", start, end))
            .select(identity=pl.col("reviewer")),
        ]
    ).filter(
        pl.col("identity").is_not_null()
        & ids.github_person("identity").is_null()
        & ~ids.is_bot("identity")
        & ~pl.col("identity").str.starts_with("team:")
    )
    commits = scope.commits.filter(in_window("authored_at", start, end) & pl.col("person").is_null()).select(
        identity=pl.coalesce("author", "author_email")
    )
    jira = pl.concat(
        [
            scope.events.filter(in_window("at", start, end)).select(identity=pl.col("actor")),
            scope.comments.filter(in_window("created_at", start, end)).select(identity=pl.col("author")),
        ]
    ).filter(pl.col("identity").is_not_null() & ids.jira_person("identity").is_null())
    return (
        pl.concat(
            [
                pl.concat([github, commits.filter(pl.col("identity").is_not_null())]).with_columns(
                    source=pl.lit("github")
                ),
                jira.with_columns(source=pl.lit("jira")),
            ]
        )
        .group_by("source", "identity")
        .agg(events=pl.len().cast(pl.Int64))
        .sort(["events", "source", "identity"], descending=[True, False, False])
        .select(list(UNMAPPED_SCHEMA))
        .cast(UNMAPPED_SCHEMA)  # type: ignore[arg-type]
    )


def team_metrics(tables: Tables, config: Config, teams: Sequence[Team] | None = None) -> list[TeamMetrics]:
    """Scope every team once (reused across weeks of a range run)."""
    ids = Identities.of(config)
    owners = team_issue_owner(tables, config, ids)
    return [TeamMetrics(tables, config, team, ids, owners) for team in (teams or config.teams)]


def team_weeks(
    tables: Tables, config: Config, week: Week, teams: Sequence[Team] | None = None
) -> list[TeamWeek]:
    """Every team's TeamWeek for `week` (all teams when `teams` is None), in config order."""
    return [metrics.week(week) for metrics in team_metrics(tables, config, teams)]


def metrics_document(week: Week, results: Sequence[TeamWeek]) -> dict[str, Any]:
    """The metrics.json document of SPEC §6: {"week": label, "teams": [summary, ...]}."""
    return {"week": week.label, "teams": [r.summary for r in results]}
