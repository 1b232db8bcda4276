"""The Friday practice's wiring: self-check answers in and out of the store, and what a team page
shows of the practice for one week (answers, measured lights to compare, delegation plan).

The only two places that read a TeamWeek for the practice are `category_week` and
`measured_lights` below, so a change of the metrics' result type is a change here alone.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl

from core.config import Config, Team
from core.schemas import CHECKINS
from core.store import Store
from core.weeks import Week
from metrics.plan import BASELINE_WEEKS, CATEGORY_WEEK_SCHEMA, plan_verdict, plan_weeks
from metrics.result import TeamWeek
from metrics.selfcheck import check_answers, commit_share_colour
from metrics.weekly import compute_weeks
from reports.practice import PlanPhaseView, TeamPractice
from reports.slug import unique_slugs

Tables = Mapping[str, pl.DataFrame | pl.LazyFrame]


def store_checkin(store: Store, team: str, week: str, answers: Mapping[str, str], at: datetime) -> None:
    """Keep one team-week's answers; a second check-in for the same week replaces the first whole."""
    checked = check_answers(answers)
    rows = pl.DataFrame(
        [
            {"team": team, "week": week, "item": item, "colour": colour, "answered_at": at}
            for item, colour in checked.items()
        ],
        schema=CHECKINS,
    )
    store.upsert("checkins", rows, replace_scope=pl.DataFrame({"team": [team], "week": [week]}))


def read_checkin(tables: Tables, team: str, week: str) -> tuple[dict[str, str], datetime | None] | None:
    """The team's answers for the week (item -> colour) and when they were given, or None."""
    frame = tables.get("checkins")
    if frame is None:
        return None
    rows = (
        frame.lazy()
        .filter((pl.col("team") == team) & (pl.col("week") == week))
        .select("item", "colour", "answered_at")
        .collect()
    )
    if rows.height == 0:
        return None
    answers = dict(zip(rows.get_column("item").to_list(), rows.get_column("colour").to_list(), strict=True))
    return answers, rows.get_column("answered_at").max()  # type: ignore[return-value]


# ------------------------------------------------------------------ reading the metrics' results


def category_week(tw: TeamWeek, category: str) -> dict[str, Any]:
    """One category's weekly numbers for the plan (metrics.plan.CATEGORY_WEEK_SCHEMA)."""
    numbers = tw.escalations.category(category)
    return {
        "week": tw.week.label,
        "monday": tw.week.monday,
        "active": numbers.active,
        "escalation_rate": numbers.escalation_rate,
        "manager_involved": numbers.manager_involved,
    }


def measured_lights(tw: TeamWeek) -> dict[str, str]:
    """The measured colours a self-rating is compared with (metrics.selfcheck.COMPARISONS)."""
    share = tw.reviews.manager_review_share
    too_few = tw.light("reviews").too_few
    return {
        "coding": tw.light("coding").colour,
        "tactical_ownership": tw.light("tactical_ownership").colour,
        # SPEC §5.2's share colour alone (the review light also counts waiting PRs): green < 25 %,
        # yellow < 50 %, red from 50 %; grey with no merged PR or too few to judge.
        "review_share": "grey"
        if share is None or too_few
        else "green"
        if share < 0.25
        else "yellow"
        if share < 0.5
        else "red",
        "commit_share": commit_share_colour(tw.coding.manager_commit_share, len(tw.team.members)),
    }


# ------------------------------------------------------------------ assembling a page's practice


def checkin_url(config: Config, team: Team, week: Week) -> str | None:
    """The web form of this team and week, when `[web] base_url` says where `radar web` runs."""
    if config.web.base_url is None:
        return None
    slug = unique_slugs([t.name for t in config.teams])[team.name]
    return f"{config.web.base_url}/teams/{quote(slug)}/checkin?{urlencode({'week': week.label})}"


def checkin_command(config: Config, team: Team, week: Week) -> str:
    path = str(config.source) if config.source is not None else "radar.toml"
    return shlex.join(["radar", "checkin", "--config", path, "--team", team.name, "--week", week.label])


def plan_span(config: Config, week: Week, teams: Sequence[Team]) -> list[Week]:
    """Every week a plan needs: from 4 weeks before the earliest started phase to `week`."""
    starts = [p.monday for t in teams for p in t.delegation_plan if p.monday <= week.monday]
    if not starts:
        return []
    first = Week.of(min(starts), config.zone).previous(config.zone, BASELINE_WEEKS)
    count = (week.monday - first.monday).days // 7
    return [*(week.previous(config.zone, n) for n in range(count, 0, -1)), week]


Known = Mapping[tuple[str, str], TeamWeek]  # (team name, week label) -> that team's week


def plan_history(config: Config, tables: Tables, week: Week, teams: Sequence[Team], known: Known) -> Known:
    """The TeamWeeks the plans of `teams` need up to `week` and `known` lacks, in one computation."""
    planned = [t for t in teams if t.delegation_plan]
    missing = [
        w for w in plan_span(config, week, planned) if any((t.name, w.label) not in known for t in planned)
    ]
    if not missing:
        return {}
    by_label = compute_weeks(tables, config, missing, planned)
    return {(t.name, w.label): by_label[w.label][i] for w in missing for i, t in enumerate(planned)}


def team_practices(
    config: Config,
    tables: Tables,
    week: Week,
    teams: Sequence[Team],
    results: Sequence[TeamWeek],
    known: Known | None = None,
) -> dict[str, TeamPractice]:
    """Each team's practice for `week`; `results` are the teams' TeamWeeks of that week, `known`
    any TeamWeeks already computed (only the plan weeks it lacks are computed here)."""
    weeks_known: dict[tuple[str, str], TeamWeek] = {(tw.team.name, tw.week.label): tw for tw in results}
    weeks_known.update(known or {})
    weeks_known.update(plan_history(config, tables, week, teams, weeks_known))
    thresholds = {
        "tactical": config.thresholds.tactical_escalation_rate,
        "implementation": config.thresholds.implementation_escalation_rate,
    }
    measured = {tw.team.name: measured_lights(tw) for tw in results}
    practices = {}
    for team in teams:
        span = plan_span(config, week, [team])
        phases, later = [], []
        for phase in sorted(team.delegation_plan, key=lambda p: p.monday):
            if phase.monday > week.monday:
                later.append((phase.category, phase.since))
                continue
            rows = [category_week(weeks_known[(team.name, w.label)], phase.category) for w in span]
            weeks = plan_weeks(pl.DataFrame(rows, schema=CATEGORY_WEEK_SCHEMA), phase.monday, week.monday)
            threshold = thresholds[phase.category]
            phases.append(
                PlanPhaseView(phase.category, phase.since, threshold, weeks, plan_verdict(weeks, threshold))
            )
        found = read_checkin(tables, team.name, week.label)
        practices[team.name] = TeamPractice(
            week=week.label,
            answers=found[0] if found else None,
            answered_at=found[1] if found else None,
            measured=measured.get(team.name, {}),
            phases=phases,
            planned=later,
            checkin_url=checkin_url(config, team, week),
            checkin_command=checkin_command(config, team, week),
        )
    return practices
