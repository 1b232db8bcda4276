"""Never a false all-clear (SPEC §7): lights whose source never synced, or failed in this run, are
grey with the reason, and the message subject says "data incomplete".

Pure functions: the flows pass in what the sync state and this run's sync said.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence

from metrics.result import ChecklistLight, TeamWeek

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


def with_checklist(team_week: TeamWeek, checklist: Sequence[ChecklistLight]) -> TeamWeek:
    """A copy of `team_week` that shows `checklist` instead of its own (metrics.json is untouched)."""
    return dataclasses.replace(team_week, checklist=tuple(checklist))


def grey_out(checklist: Sequence[ChecklistLight], problems: Problems) -> list[ChecklistLight]:
    """The checklist with every light fed by a source in `problems` made grey, carrying the reason
    and no next step; lights of healthy sources are unchanged."""
    reasons = {
        item: problems[source] for source, items in SIGNALS.items() if source in problems for item in items
    }
    return [
        dataclasses.replace(light, colour="grey", next_step=None, reason=reasons[light.item])
        if light.item in reasons
        else light
        for light in checklist
    ]


def mark_incomplete(team_week: TeamWeek, problems: Problems) -> TeamWeek:
    """`team_week` as pages and messages show it: grey lights for the sources in `problems`."""
    if not problems:
        return team_week
    return with_checklist(team_week, grey_out(team_week.checklist, problems))


def incomplete_reasons(team_week: TeamWeek) -> list[str]:
    """The distinct reasons on a (marked) team week's lights, in checklist order."""
    reasons: list[str] = []
    for light in team_week.checklist:
        if light.reason and light.reason not in reasons:
            reasons.append(light.reason)
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
