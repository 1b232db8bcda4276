"""Which of each team's sources cannot be trusted this run: never synced (nothing in the sync
state) or failed in this run's sync. Reads the sync state; the judging is `reports.health`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.config import Config, Team
from core.state import SyncState
from core.store import Store
from metrics.result import TeamWeek
from reports.health import Problems, mark_incomplete, source_problems


@dataclass(frozen=True)
class SyncFailure:
    """One repo or project that did not sync in this run, per source, so a report can say which
    of a team's signals it affects (`service` is "github" or "jira")."""

    service: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.service} {self.name}: {self.reason}"


def team_sources(config: Config, team: Team) -> dict[str, Collection[str] | None]:
    """The sources a team reads, with its repos/projects there (None: all in the store).

    A source counts when it is configured; a team with `jira_projects = []` reads no Jira.
    """
    sources: dict[str, Collection[str] | None] = {}
    if config.github is not None:
        sources["github"] = config.team_repos(team)
    if config.jira is not None:
        projects = config.team_projects(team)
        if projects != []:
            sources["jira"] = projects
    return sources


def synced_names(
    config: Config, sources: Iterable[Mapping[str, Collection[str] | None]]
) -> dict[str, set[str]]:
    """source -> the repos/projects the sync state records as synced, for the names asked about
    (and a "*" marker when the source has any synced entry, for teams reading every one)."""
    state = SyncState(Store(config.store_path))
    last = state.last_synced()
    result: dict[str, set[str]] = {}
    for team_sources_ in sources:
        for source, names in team_sources_.items():
            done = result.setdefault(source, set())
            if names is None:
                if last.get(source) is not None:
                    done.add("*")
                continue
            done.update(
                n
                for n in names
                if state.entry(source, n).get("synced_at") or state.entry(source, n).get("cursor")
            )
    return result


def team_problems(
    config: Config, teams: Sequence[Team], failures: Sequence[SyncFailure] = ()
) -> dict[str, Problems]:
    """team name -> source -> reason, for every team with a source it cannot trust this run."""
    per_team = {team.name: team_sources(config, team) for team in teams}
    synced = synced_names(config, per_team.values())
    triples = [(f.service, f.name, f.reason) for f in failures]
    found: dict[str, Problems] = {}
    for name, sources in per_team.items():
        problems = source_problems(sources, synced, triples)
        if problems:
            found[name] = problems
    return found


def marked(team_weeks: Iterable[TeamWeek], problems: Mapping[str, Problems]) -> list[TeamWeek]:
    """Each team week as pages and messages show it (grey where its data is incomplete)."""
    return [mark_incomplete(tw, problems.get(tw.team.name, {})) for tw in team_weeks]
