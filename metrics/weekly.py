"""Every team, every report week: the four signals, the checklist, and the metrics.json document.

Each week is one pass over the store as it stood at the week's `as_of` (metrics/asof.py), for
all teams of the config at once; only the final assembly of each team's typed TeamWeek
(metrics/result.py) is per team.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from core.config import Config, Team
from core.weeks import Week
from metrics.asof import prepare, snapshot
from metrics.checklist import checklist
from metrics.coding import SESSION_SCHEMA, coding_by_week, coding_colour, coding_sessions
from metrics.decisions import PENDING_SCHEMA, decision_colour, decision_requests, decisions_by_week
from metrics.escalations import CATEGORIES, escalations, escalations_by_week, manager_actions
from metrics.result import (
    CategoryDecisions,
    CategoryEscalations,
    Coding,
    Decisions,
    EscalationItem,
    Escalations,
    PendingRequest,
    Reviews,
    TeamWeek,
    WaitingPR,
    iso_time,
)
from metrics.reviews import (
    WAITING_SCHEMA,
    first_reviews,
    reviews_by_week,
    share_colour,
    waiting_colour,
    waiting_on_manager,
)
from metrics.scope import Identities, Scope, build_scope, in_weeks, table, weeks_frame, worst

Tables = Mapping[str, pl.DataFrame | pl.LazyFrame]

UNMAPPED_SCHEMA: dict[str, Any] = {
    "team": pl.String,
    "week": pl.String,
    "source": pl.String,
    "identity": pl.String,
    "events": pl.Int64,
}


def unmapped_identities(
    tables: Tables, scope: Scope, ids: Identities, weeks: pl.DataFrame, config: Config
) -> pl.DataFrame:
    """Identities active in a team's repos and issues in the week that map to no person."""
    github_rows = pl.concat(
        [
            in_weeks(table(tables, "pull_requests").lazy(), "created_at", weeks).select(
                "repo", "week", identity=pl.col("author")
            ),
            in_weeks(table(tables, "reviews").lazy(), "submitted_at", weeks).select(
                "repo", "week", identity=pl.col("reviewer")
            ),
        ]
    )
    github = (
        github_rows.filter(
            pl.col("identity").is_not_null()
            & ids.github_person("identity").is_null()
            & ~ids.is_bot("identity")
            & ~pl.col("identity").str.starts_with("team:")
        )
        .join(scope.team_repos.lazy(), on="repo", how="inner")
        .select("team", "week", "identity")
    )
    commits = (
        in_weeks(scope.commits.lazy().filter(pl.col("person").is_null()), "authored_at", weeks)
        .select("team", "week", identity=pl.coalesce("author", "author_email"))
        .filter(pl.col("identity").is_not_null())
    )
    jira = pl.concat(
        [
            scope.events.lazy()
            .filter(pl.col("actor").is_not_null() & ids.jira_person("actor").is_null())
            .pipe(in_weeks, "at", weeks)
            .select("team", "week", identity=pl.col("actor")),
            scope.comments.lazy()
            .filter(pl.col("author").is_not_null() & ids.jira_person("author").is_null())
            .pipe(in_weeks, "created_at", weeks)
            .select("team", "week", identity=pl.col("author")),
        ]
    )
    return (
        pl.concat(
            [
                pl.concat([github, commits]).with_columns(source=pl.lit("github")),
                jira.with_columns(source=pl.lit("jira")),
            ]
        )
        .group_by("team", "week", "source", "identity")
        .agg(events=pl.len().cast(pl.Int64))
        .sort(["team", "week", "events", "source", "identity"], descending=[False, False, True, False, False])
        .select(list(UNMAPPED_SCHEMA))
        .collect()
        .cast(UNMAPPED_SCHEMA)  # type: ignore[arg-type]
    )


ANSWERED_SCHEMA: dict[str, Any] = {
    "team": pl.String,
    "week": pl.String,
    "key": pl.String,
    "summary": pl.String,
    "url": pl.String,
    "category": pl.String,
    "requested_at": pl.Datetime("us", "UTC"),
    "answered_at": pl.Datetime("us", "UTC"),
    "wait_hours": pl.Float64,
}
NAMED_ISSUE_SCHEMA: dict[str, Any] = {
    "team": pl.String,
    "week": pl.String,
    "key": pl.String,
    "summary": pl.String,
    "url": pl.String,
    "category": pl.String,
}


def answered_in_week(requests: pl.DataFrame, weeks: pl.DataFrame) -> pl.DataFrame:
    """The decision requests answered in each week, with their wait, longest first: the evidence
    behind the answered count and latency of SPEC §5.4."""
    return (
        in_weeks(requests.filter(pl.col("answered_at").is_not_null()), "answered_at", weeks)
        .with_columns(requested_at=pl.col("at"), wait_hours=pl.col("latency_hours"))
        .sort(["team", "week", "wait_hours", "key"], descending=[False, False, True, False])
        .select(list(ANSWERED_SCHEMA))
        .cast(ANSWERED_SCHEMA)  # type: ignore[arg-type]
    )


def named_issues(scope: Scope, items: pl.DataFrame, unattended: pl.DataFrame) -> pl.DataFrame:
    """Summary, link and category of every team issue a week's evidence names (escalation items
    and strategic issues without the manager)."""
    keys = pl.concat([items.select("team", "week", "key"), unattended.select("team", "week", "key")]).unique()
    return (
        keys.join(scope.issues.select("team", "key", "summary", "url", "category"), on=["team", "key"])
        .sort("team", "week", "key")
        .select(list(NAMED_ISSUE_SCHEMA))
        .cast(NAMED_ISSUE_SCHEMA)  # type: ignore[arg-type]
    )


def _parts(frame: pl.DataFrame, schema: Mapping[str, Any]) -> dict[tuple[str, str], pl.DataFrame]:
    """Split a (team, week, ...) frame into one frame per team-week, without those two columns."""
    columns = ["team", "week", *(c for c in schema if c not in ("team", "week"))]
    parts = frame.select(columns).partition_by(["team", "week"], as_dict=True, include_key=False)
    return {(str(key[0]), str(key[1])): part for key, part in parts.items()}


def _lists(
    frame: pl.DataFrame, keys: list[str], fields: list[str]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """Group key -> the rows' `fields` as dicts, in the frame's order (one to_dicts for all)."""
    grouped = frame.group_by(keys, maintain_order=True).agg(items=pl.struct(fields))
    return {tuple(row[k] for k in keys): row["items"] for row in grouped.to_dicts()}


def _rows(frame: pl.DataFrame, keys: Sequence[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(row[k] for k in keys): row for row in frame.to_dicts()}


def compute_weeks(
    tables: Tables, config: Config, weeks: Sequence[Week], teams: Sequence[Team] | None = None
) -> dict[str, list[TeamWeek]]:
    """Week label -> the chosen teams' TeamWeeks (config order; all teams by default).

    Each week is computed as of its own `as_of`, over the store as it stood then, for every team
    of the config at once (so a team's numbers never depend on which teams were asked for).
    """
    chosen = {team.name for team in (teams or config.teams)}
    prepared = prepare(tables, config)  # read once, with what every week would work out again
    result: dict[str, list[TeamWeek]] = {}
    for week in weeks:
        if week.label in result:
            continue
        every = (
            compute_week(snapshot(prepared, week.cutoff, week.start), config, week) if config.teams else []
        )
        result[week.label] = [tw for tw in every if tw.team.name in chosen]
    return result


def compute_week(tables: Tables, config: Config, week: Week) -> list[TeamWeek]:
    """Every team's TeamWeek for one week, from the tables as they stood at the week's as_of
    (`snapshot` of `prepare`d tables)."""
    teams = list(config.teams)
    zone = config.zone
    thresholds = config.thresholds
    ids = Identities.of(config)
    scope = build_scope(tables, config, teams, ids)
    week_rows = weeks_frame([week])

    sessions = coding_sessions(scope, week_rows, config.coding, zone)
    coding = _rows(
        coding_by_week(scope, week_rows, sessions, config, {week.label: week.workdays_before(zone)}),
        ["team", "week"],
    )
    requests = first_reviews(scope)
    reviews = _rows(reviews_by_week(scope, week_rows, requests), ["team", "week"])
    waiting_rows = waiting_on_manager(scope, week_rows, requests)
    waiting = _parts(waiting_rows, WAITING_SCHEMA)
    found = escalations(scope, config)
    actions = manager_actions(scope)
    by_category, reasons, items, unattended = escalations_by_week(scope, week_rows, found, actions)
    escalated = _rows(by_category, ["team", "week", "category"])
    reason_counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for row in reasons.to_dicts():
        reason_counts.setdefault((row["team"], row["week"], row["category"]), {})[row["reason"]] = row[
            "count"
        ]
    item_lists = _lists(
        items,
        ["team", "week", "category"],
        ["key", "at", "kind", "by", "reasons"],
    )
    unattended_keys = {
        (row["team"], row["week"]): row["keys"]
        for row in unattended.group_by("team", "week", maintain_order=True).agg(keys=pl.col("key")).to_dicts()
    }
    requests_made = decision_requests(scope, config, found, actions)
    decided, pending_rows, stale_rows = decisions_by_week(
        scope, week_rows, requests_made, thresholds.stale_after_days
    )
    answered = _parts(answered_in_week(requests_made, week_rows), ANSWERED_SCHEMA)
    named = _parts(named_issues(scope, items, unattended), NAMED_ISSUE_SCHEMA)
    decisions = _rows(decided, ["team", "week", "category"])
    pending = _parts(pending_rows, PENDING_SCHEMA)
    stale = _parts(stale_rows, PENDING_SCHEMA)
    session_parts = _parts(sessions, SESSION_SCHEMA)
    unmapped = _parts(unmapped_identities(tables, scope, ids, week_rows, config), UNMAPPED_SCHEMA)

    waiting_lists = _lists(waiting_rows, ["team", "week"], ["repo", "number", "age_hours"])
    pending_lists = _lists(pending_rows, ["team", "week", "category"], ["key", "age_hours"])
    stale_summary = _rows(
        stale_rows.group_by("team", "week", "category").agg(
            count=pl.len().cast(pl.Int64), oldest_age_hours=pl.col("age_hours").max()
        ),
        ["team", "week", "category"],
    )
    pending_oldest = _rows(
        pending_rows.group_by("team", "week").agg(oldest=pl.col("age_hours").max()), ["team", "week"]
    )

    empty = {
        name: pl.DataFrame(schema={k: v for k, v in schema.items() if k not in ("team", "week")})
        for name, schema in (
            ("sessions", SESSION_SCHEMA),
            ("waiting", WAITING_SCHEMA),
            ("pending", PENDING_SCHEMA),
            ("unmapped", UNMAPPED_SCHEMA),
            ("answered", ANSWERED_SCHEMA),
            ("issues", NAMED_ISSUE_SCHEMA),
        )
    }

    result: list[TeamWeek] = []
    for team in teams:
        key = (team.name, week.label)
        code, review = coding[key], reviews[key]
        waits = tuple(
            WaitingPR(repo=w["repo"], number=w["number"], age_hours=w["age_hours"])
            for w in waiting_lists.get(key, [])
        )
        oldest = max((w.age_hours for w in waits), default=None)
        longest: list[float] = []
        if key in pending_oldest:
            longest.append(pending_oldest[key]["oldest"])
        escalated_by_category: dict[str, CategoryEscalations] = {}
        decided_by_category: dict[str, CategoryDecisions] = {}
        for category in CATEGORIES:
            row = escalated[(*key, category)]
            escalated_by_category[category] = CategoryEscalations(
                active=row["active"],
                escalated=row["escalated"],
                escalation_rate=row["escalation_rate"],
                manager_involved=row["manager_involved"],
                reasons=reason_counts.get((*key, category), {}),
                items=tuple(
                    EscalationItem(
                        key=i["key"], at=i["at"], kind=i["kind"], by=i["by"], reasons=tuple(i["reasons"])
                    )
                    for i in item_lists.get((*key, category), [])
                ),
            )
            made = decisions[(*key, category)]
            if made["longest_answered"] is not None:
                longest.append(made["longest_answered"])
            stale_row = stale_summary.get((*key, category))
            decided_by_category[category] = CategoryDecisions(
                requested=made["requested"],
                answered=made["answered"],
                median_hours=made["median_hours"],
                p90_hours=made["p90_hours"],
                pending=tuple(
                    PendingRequest(key=p["key"], age_hours=p["age_hours"])
                    for p in pending_lists.get((*key, category), [])
                ),
                stale_count=stale_row["count"] if stale_row else 0,
                stale_oldest_age_hours=stale_row["oldest_age_hours"] if stale_row else None,
            )
        coding_result = Coding(
            hours=code["hours"],
            share=code["share"],
            target=code["target"],
            colour=coding_colour(code["share"], code["reports"]),
            reports=code["reports"],
            expected_hours=code["expected_hours"],
            sessions=session_parts.get(key, empty["sessions"]),
            manager_merged_pr_share=code["manager_merged_pr_share"],
            manager_commit_share=code["manager_commit_share"],
            managed_teams=len(config.managed_teams(team.manager)),
        )
        review_result = Reviews(
            manager_review_share=review["manager_review_share"],
            manager_pickup_hours=review["manager_pickup_hours"],
            team_pickup_hours=review["team_pickup_hours"],
            waiting_on_manager=waits,
            top_reviewer_share=review["top_reviewer_share"],
            colour=worst(
                share_colour(review["manager_review_share"], review["merged"], thresholds.min_sample),
                waiting_colour(oldest),
            ),
            merged=review["merged"],
            waiting=waiting.get(key, empty["waiting"]),
        )
        escalation_result = Escalations(
            strategic=escalated_by_category["strategic"],
            implementation=escalated_by_category["implementation"],
            tactical=escalated_by_category["tactical"],
            strategic_without_manager=tuple(unattended_keys.get(key, [])),
            issues=named.get(key, empty["issues"]),
        )
        decision_result = Decisions(
            strategic=decided_by_category["strategic"],
            implementation=decided_by_category["implementation"],
            tactical=decided_by_category["tactical"],
            colour=decision_colour(max(longest) if longest else None, config),
            pending=pending.get(key, empty["pending"]),
            stale=stale.get(key, empty["pending"]),
            answered=answered.get(key, empty["answered"]),
        )
        result.append(
            TeamWeek(
                team=team,
                manager=config.person(team.manager),
                week=week,
                team_size=len(team.members),
                coding=coding_result,
                reviews=review_result,
                escalations=escalation_result,
                decisions=decision_result,
                checklist=checklist(coding_result, review_result, escalation_result, decision_result, config),
                unmapped=unmapped.get(key, empty["unmapped"]),
                flags=flags(escalation_result, config),
            )
        )
    return result


def flags(escalations: Escalations, config: Config) -> tuple[str, ...]:
    """The warnings of SPEC §5.3 in words."""
    thresholds = config.thresholds
    found = []
    tactical = escalations.tactical.escalation_rate
    if tactical is not None and tactical > thresholds.tactical_escalation_rate:
        found.append("team is not owning tactical decisions")
    implementation = escalations.implementation.escalation_rate
    if implementation is not None and implementation > thresholds.implementation_escalation_rate:
        found.append("implementation decisions keep coming back to you")
    strategic = escalations.strategic
    if strategic.active and strategic.manager_involved == 0:
        found.append("strategic work without you")
    return tuple(found)


def team_weeks(
    tables: Tables, config: Config, week: Week, teams: Sequence[Team] | None = None
) -> list[TeamWeek]:
    """Every team's TeamWeek for one week (all teams when `teams` is None), in config order."""
    return compute_weeks(tables, config, [week], teams)[week.label]


def metrics_document(week: Week, results: Sequence[TeamWeek]) -> dict[str, Any]:
    """The metrics.json document of SPEC §6: {"week", "as_of", "complete", "teams": [...]}."""
    return {
        "week": week.label,
        "as_of": iso_time(week.cutoff),
        "complete": week.complete,
        "teams": [r.to_json() for r in results],
    }
