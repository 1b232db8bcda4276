"""Never a false all-clear (SPEC §7): lights whose source never synced, or failed in this run, are
grey with the reason, and the message subject says "data incomplete".

Pure functions: the flows pass in what the sync state and this run's sync said. Everything that
reads a TeamWeek's checklist goes through `checklist_of` and `with_checklist`, so a change of the
metrics' result type is a change here only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from metrics.result import TeamWeek

SOURCE_TITLES = {"github": "GitHub", "jira": "Jira"}
# Which checklist lights each source feeds (SPEC §5.5): commits, PRs and reviews come from
# GitHub; escalations and decisions from Jira.
SIGNALS = {
    "github": ("coding", "reviews"),
    "jira": ("tactical_ownership", "strategic_involvement", "decisions"),
}
NEVER_SYNCED = "no data synced yet"

# source -> the reason its signals cannot be judged, e.g. {"github": "GitHub sync failed: ..."}
Problems = Mapping[str, str]


def checklist_of(team_week: TeamWeek) -> list[dict[str, Any]]:
    """The team's checklist entries (`item`, `colour`, `next_step`, …) as the metrics give them."""
    entries = team_week.summary.get("checklist") or []
    return [dict(entry) for entry in entries if isinstance(entry, Mapping)]


def with_checklist(team_week: TeamWeek, checklist: Sequence[Mapping[str, Any]]) -> TeamWeek:
    """A copy of `team_week` that shows `checklist` instead of its own (metrics.json is untouched)."""
    summary = {**team_week.summary, "checklist": [dict(entry) for entry in checklist]}
    return dataclasses.replace(team_week, summary=summary)


def grey_out(checklist: Sequence[Mapping[str, Any]], problems: Problems) -> list[dict[str, Any]]:
    """The checklist with every light fed by a source in `problems` made grey, carrying the reason
    and no next step; lights of healthy sources are unchanged."""
    reasons = {
        item: problems[source] for source, items in SIGNALS.items() if source in problems for item in items
    }
    result = []
    for entry in checklist:
        item = str(entry.get("item"))
        if item in reasons:
            result.append({**entry, "colour": "grey", "next_step": None, "reason": reasons[item]})
        else:
            result.append(dict(entry))
    # A light the metrics did not give at all is still marked, so no reader takes it as fine.
    present = {str(entry.get("item")) for entry in checklist}
    for item, reason in reasons.items():
        if item not in present:
            result.append({"item": item, "colour": "grey", "next_step": None, "reason": reason})
    return result


def mark_incomplete(team_week: TeamWeek, problems: Problems) -> TeamWeek:
    """`team_week` as pages and messages show it: grey lights for the sources in `problems`."""
    if not problems:
        return team_week
    return with_checklist(team_week, grey_out(checklist_of(team_week), problems))


def incomplete_reasons(team_week: TeamWeek) -> list[str]:
    """The distinct reasons on a (marked) team week's lights, in checklist order."""
    reasons: list[str] = []
    for entry in checklist_of(team_week):
        reason = entry.get("reason")
        if isinstance(reason, str) and reason and reason not in reasons:
            reasons.append(reason)
    return reasons


def source_problems(
    sources: Mapping[str, Collection[str] | None],
    synced: Mapping[str, Collection[str]],
    failures: Iterable[tuple[str, str, str]],
) -> dict[str, str]:
    """Why a team's sources cannot be trusted this week, per source.

    Args:
        sources: source -> the team's repos or projects in it (None: every one in the store);
            only the sources the team reads from.
        synced: source -> the repos or projects the store's sync state records as synced.
        failures: (source, repo or project, reason) for each that failed in this run.
    """
    failed: dict[str, list[tuple[str, str]]] = {}
    for source, name, reason in failures:
        failed.setdefault(source, []).append((name, reason))
    problems: dict[str, str] = {}
    for source, names in sources.items():
        title = SOURCE_TITLES.get(source, source)
        mine = [(n, r) for n, r in failed.get(source, []) if names is None or n in names]
        if mine:
            problems[source] = f"{title} sync failed: " + "; ".join(f"{n}: {r}" for n, r in mine)
            continue
        done = set(synced.get(source, ()))
        if names is None:
            if not done:
                problems[source] = f"{NEVER_SYNCED} ({title})"
        elif missing := sorted(set(names) - done):
            problems[source] = f"{NEVER_SYNCED} ({title} {', '.join(missing)})"
    return problems
