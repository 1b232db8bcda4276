"""The Friday practice on the pages: the self-check beside the measured lights, the delegation
plan's phases, and the check-in form of `radar web`.

The flows hand in a TeamPractice (answers, measured lights, plan phases); scores, notes and
texts are decided here and in metrics/selfcheck.py and metrics/plan.py, the templates only lay
them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from metrics.plan import PHASE_WEEKS, PlanVerdict, verdict_step
from metrics.selfcheck import (
    ANSWER_COLOURS,
    GROUPS,
    ITEMS,
    ITEMS_BY_KEY,
    MEASURED_TITLES,
    disagreements,
    score,
)
from reports import charts

VERDICT_COLOURS = {
    "settling in": "grey",
    "on track": "green",
    "stuck": "red",
    "ready for the next category": "green",
    "not started": "grey",
}
STATUS_COLOURS = {"going strong": "green", "building": "yellow", "act now": "red"}


@dataclass(frozen=True)
class PlanPhaseView:
    """One phase of the delegation plan and its weeks (metrics.plan.PLAN_WEEK_SCHEMA)."""

    category: str
    since: str
    threshold: float
    weeks: pl.DataFrame
    verdict: PlanVerdict


@dataclass(frozen=True)
class TeamPractice:
    """What the team page shows of the Friday practice for one week."""

    week: str
    answers: Mapping[str, str] | None  # item -> colour; None: no check-in this week
    answered_at: datetime | None = None
    measured: Mapping[str, str] = field(default_factory=dict)  # see metrics.selfcheck.COMPARISONS
    phases: Sequence[PlanPhaseView] = ()
    planned: Sequence[tuple[str, str]] = ()  # (category, since) of phases that start later
    checkin_url: str | None = None  # the web form for this team and week ([web] base_url)
    checkin_command: str = ""  # the command line that answers it otherwise


def selfcheck_view(practice: TeamPractice) -> dict[str, Any]:
    """The self-check section: each list's score and items, the reds' steps, the disagreements."""
    view: dict[str, Any] = {
        "week": practice.week,
        "answered": practice.answers is not None,
        "answered_at": practice.answered_at,
        "checkin_url": practice.checkin_url,
        "checkin_command": practice.checkin_command,
        "groups": [],
        "notes": [],
    }
    if practice.answers is None:
        return view
    answers = practice.answers
    for group, result in zip(GROUPS, score(answers), strict=True):
        count = sum(1 for item in ITEMS if item.group == group.key)
        if result.status == "act now":
            headline = f"{result.reds} red: act on {'it' if result.reds == 1 else 'each'} now"
        elif result.status == "going strong":
            headline = f"Going strong: {result.greens} of {count} green"
        else:
            headline = f"{result.greens} of {count} green: {group.greens_needed} or more is going strong"
        if result.yellows:
            headline += (
                f"; {result.yellows} yellow{' is' if result.yellows == 1 else 's are'} fine"
                if result.yellows_fine
                else f"; {result.yellows} yellows: more than the practice calls fine, pick one to work on"
            )
        view["groups"].append(
            {
                "key": group.key,
                "title": group.title,
                "question": group.question,
                "status": result.status,
                "colour": STATUS_COLOURS[result.status],
                "headline": headline,
                "questions": [
                    {
                        "key": item.key,
                        "title": item.title,
                        "colour": answers[item.key],
                        "meaning": item.describe(answers[item.key]),
                        "step": item.red_step if answers[item.key] == "red" else None,
                    }
                    for item in ITEMS
                    if item.group == group.key
                ],
            }
        )
    for note in disagreements(answers, practice.measured):
        measure = MEASURED_TITLES[note.measure]
        if note.direction == "kinder":
            text = (
                f"You rated {note.title.lower()} {note.said}, but {measure} is {note.measured} this week. "
                "Look at the evidence below before you trust the feeling."
            )
        else:
            text = (
                f"You rated {note.title.lower()} {note.said}, while {measure} is {note.measured} this week: "
                "the data is kinder than you are. What does it miss?"
            )
        view["notes"].append({"item": note.item, "measure": note.measure, "text": text})
    return view


def _share(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def plan_view(practice: TeamPractice) -> dict[str, Any]:
    """The delegation plan section: per phase its weeks, baseline, chart and verdict."""
    phases = []
    for phase in practice.phases:
        rows = phase.weeks.to_dicts()
        started = [r for r in rows if r["phase_week"] >= 1]
        baseline = [r for r in rows if r["phase_week"] <= 0]
        verdict = phase.verdict
        labels = [r["week"] for r in rows]
        phases.append(
            {
                "category": phase.category,
                "title": phase.category.capitalize(),
                "since": phase.since,
                "threshold": phase.threshold,
                "weeks_done": verdict.weeks,
                "weeks_range": f"{PHASE_WEEKS[0]}–{PHASE_WEEKS[1]}",
                "verdict": verdict.verdict,
                "colour": VERDICT_COLOURS.get(verdict.verdict, "grey"),
                "step": verdict_step(verdict.verdict, phase.category),
                "recent_involvement": verdict.recent_involvement,
                "baseline_involvement": verdict.baseline_involvement,
                "baseline_rate": verdict.baseline_rate,
                "recent_above": verdict.recent_above,
                "recent_at_or_under": verdict.recent_at_or_under,
                "baseline": baseline,
                "weeks": started,
                "chart": charts.line_chart(
                    labels,
                    [
                        charts.Series("Escalation rate", [_share(r["escalation_rate"]) for r in rows]),
                        charts.Series("Your involvement", [_share(r["manager_involvement"]) for r in rows]),
                    ],
                    f"{phase.category.capitalize()} escalation rate and your involvement by week, "
                    f"from 4 weeks before {phase.since}",
                    band=(0.0, phase.threshold),
                    band_label=f"rate target: at or under {round(phase.threshold * 100)} %",
                ),
            }
        )
    return {
        "phases": phases,
        "planned": [{"title": c.capitalize(), "since": s} for c, s in practice.planned],
    }


def practice_view(practice: TeamPractice | None) -> dict[str, Any] | None:
    """Everything the team page's practice sections need, or None (no section at all)."""
    if practice is None:
        return None
    return {"selfcheck": selfcheck_view(practice), "plan": plan_view(practice)}


def practice_trend_view(practices: Sequence[TeamPractice | None]) -> dict[str, Any] | None:
    """The trend page's practice table: per week, each list's score and each plan phase's verdict."""
    known = [p for p in practices if p is not None]
    if not known:
        return None
    categories = sorted(
        {phase.category for p in known for phase in p.phases},
        key=lambda c: min(phase.since for p in known for phase in p.phases if phase.category == c),
    )
    rows = []
    for practice in known:
        scores = score(practice.answers) if practice.answers is not None else ()
        phases = {phase.category: phase for phase in practice.phases}
        rows.append(
            {
                "week": practice.week,
                "lists": [
                    {
                        "status": s.status,
                        "colour": STATUS_COLOURS[s.status],
                        "greens": s.greens,
                        "reds": s.reds,
                    }
                    for s in scores
                ],
                "phases": [
                    {
                        "weeks": phases[c].verdict.weeks,
                        "verdict": phases[c].verdict.verdict,
                        "colour": VERDICT_COLOURS.get(phases[c].verdict.verdict, "grey"),
                    }
                    if c in phases
                    else None
                    for c in categories
                ],
            }
        )
    return {
        "groups": [g.title for g in GROUPS],
        "categories": [c.capitalize() for c in categories],
        "rows": rows,
    }


def checkin_form_view(
    team: str,
    week: str,
    answers: Mapping[str, str],
    errors: Sequence[str],
    token: str,
    action: str,
    page_link: str | None,
) -> dict[str, Any]:
    """The check-in form: each list, each item with its three descriptions as the choices."""
    groups = []
    for group in GROUPS:
        groups.append(
            {
                "key": group.key,
                "title": group.title,
                "question": group.question,
                "questions": [
                    {
                        "key": item.key,
                        "title": item.title,
                        "missing": bool(errors) and answers.get(item.key) not in ANSWER_COLOURS,
                        "choices": [
                            {
                                "colour": colour,
                                "text": item.describe(colour),
                                "checked": answers.get(item.key) == colour,
                                "id": f"{item.key}-{colour}",
                            }
                            for colour in ("green", "yellow", "red")
                        ],
                    }
                    for item in ITEMS
                    if item.group == group.key
                ],
            }
        )
    return {
        "team": team,
        "week": week,
        "groups": groups,
        "errors": list(errors),
        "token": token,
        "action": action,
        "page_link": page_link,
        "item_count": len(ITEMS_BY_KEY),
    }
