"""Pages, metrics.json and .eml files under the config's output folder: plain functions, no Prefect.

`radar report` calls these directly (no server, no network); the Prefect flows call the same
functions, so a scheduled run and a manual report write byte-identical metrics.json files.

Layout (SPEC §6):
  <output>/<ISO week>/metrics.json, index.html, <team-slug>.html, <team-slug>.eml
  <output>/<first week>_<last week>/<team-slug>.html   the trend page of a range run
  <output>/<first week>_<last week>/index.html         every team over the range (quarter view)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from core.config import Config, Team
from core.errors import BadInput
from core.state import SyncState
from core.store import Store, atomic_write_bytes, atomic_write_set, remove_orphan_temp_files
from core.weeks import Week, weeks_between
from metrics.result import TeamWeek
from metrics.weekly import compute_weeks, metrics_document

log = logging.getLogger(__name__)

Tables = Mapping[str, pl.DataFrame | pl.LazyFrame]

HISTORY_WEEKS = 8  # weeks on a team page's sparklines, this one included


class UnknownTeam(BadInput, ValueError):
    """`--team NAME` names no team of the config."""


@dataclass(frozen=True)
class WeekOutput:
    """What one week's run wrote: the folder, metrics.json, each team's page, the index page."""

    week: Week
    folder: Path
    metrics_path: Path
    index_path: Path
    pages: dict[str, Path]  # team name -> page
    slugs: dict[str, str]  # team name -> file stem
    team_weeks: list[TeamWeek]
    html: dict[str, str] = field(repr=False, default_factory=dict)
    practices: dict[str, Any] = field(repr=False, default_factory=dict)  # team -> TeamPractice
    histories: dict[str, list[TeamWeek]] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class RangeOutput:
    weeks: list[WeekOutput]
    trend_folder: Path
    trend_pages: dict[str, Path]


def select_teams(config: Config, name: str | None) -> list[Team]:
    """All teams, or the one named by `--team`; an unknown name lists the known ones."""
    if name is None:
        return list(config.teams)
    chosen = [team for team in config.teams if team.name == name]
    if not chosen:
        known = ", ".join(repr(team.name) for team in config.teams) or "none"
        raise UnknownTeam(f"no team named {name!r} in the config (teams: {known})")
    return chosen


def allowed_hosts(config: Config) -> list[str]:
    """The hosts pages and messages may link to: the configured GitHub web host and Jira host."""
    from reports.render import link_hosts

    return sorted(link_hosts(config))


DEFINITIONS_PAGE = "definitions.html"


def readme_url() -> str | None:
    """Where pages send a reader for every definition: `definitions.html` beside them (a relative
    link that works in any copy of the folder and in mail; never a file:// URL)."""
    return DEFINITIONS_PAGE


def write_definitions(folder: Path, context: Any) -> Path:
    """`definitions.html` in `folder`: how the numbers are computed, in full."""
    from reports.render import definitions_page

    path = folder / DEFINITIONS_PAGE
    atomic_write_bytes(path, definitions_page(context).encode("utf-8"))
    return path


def freshness(config: Config) -> dict[str, datetime | None]:
    """When each source was last synced, as the pages show it."""
    return SyncState(Store(config.store_path)).last_synced()


def page_context(config: Config, fresh: Mapping[str, datetime | None] | None, generated_at: datetime) -> Any:
    from reports.render import PageContext

    return PageContext(
        timezone=config.zone.key,
        freshness=dict(fresh or {}),
        allowed_hosts=allowed_hosts(config),
        generated_at=generated_at,
        readme_url=readme_url(),
    )


def history_weeks(week: Week, config: Config) -> list[Week]:
    """The weeks a page's sparklines cover, oldest first, ending with `week` itself (as of its
    own instant; the weeks before it are complete)."""
    return [*(week.previous(config.zone, n) for n in range(HISTORY_WEEKS - 1, 0, -1)), week]


def histories(
    tables: Tables, config: Config, week: Week, teams: Sequence[Team] | None = None
) -> dict[str, list[TeamWeek]]:
    """Each chosen team's TeamWeeks for `week` and the weeks before it (the sparklines), oldest
    first, in config order: one computation for every team and week."""
    chosen = list(config.teams) if teams is None else list(teams)
    weeks = history_weeks(week, config)
    by_label = compute_weeks(tables, config, weeks, chosen)
    return {team.name: [by_label[w.label][i] for w in weeks] for i, team in enumerate(chosen)}


def metrics_json(week: Week, results: Sequence[TeamWeek]) -> str:
    """metrics.json text (the document in SPEC key order, from each TeamWeek's `to_json`): UTF-8,
    and never NaN (a NaN raises instead)."""
    document = metrics_document(week, results)
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_week_files(
    config: Config,
    week: Week,
    histories: Mapping[str, list[TeamWeek]],
    fresh: Mapping[str, datetime | None] | None = None,
    generated_at: datetime | None = None,
    problems: Mapping[str, Mapping[str, str]] | None = None,
    tables: Tables | None = None,
    known: Mapping[tuple[str, str], TeamWeek] | None = None,
) -> WeekOutput:
    """Write one week's metrics.json, team pages and index page from the teams' histories.

    `histories` maps each team name (in config order) to its TeamWeeks, oldest first, ending
    with `week`. `problems` (team -> source -> reason) greys the lights of sources that never
    synced or failed in this run on the pages and in `team_weeks`; metrics.json stays the metrics.
    With `tables` (the store), the team pages also show the Friday practice: the week's
    self-check and the delegation plan.
    """
    from flows.practice import team_practices
    from reports.health import mark_incomplete
    from reports.render import comparison_page, definitions_page, team_page
    from reports.slug import unique_slugs

    context = page_context(config, fresh, generated_at or datetime.now(UTC))
    measured = [history[-1] for history in histories.values()]
    problems = problems or {}
    results = [mark_incomplete(tw, problems.get(tw.team.name, {})) for tw in measured]
    computed = {(name, tw.week.label): tw for name, history in histories.items() for tw in history}
    practices = (
        team_practices(
            config, tables, week, [tw.team for tw in measured], measured, {**(known or {}), **computed}
        )
        if tables is not None
        else {}
    )
    slugs = unique_slugs([team.name for team in config.teams])
    folder = config.output_path / week.label
    folder.mkdir(parents=True, exist_ok=True)
    remove_orphan_temp_files(folder)

    metrics_path = folder / "metrics.json"
    pages: dict[str, Path] = {}
    html: dict[str, str] = {}
    files: dict[Path, bytes] = {}
    for (name, history), shown in zip(histories.items(), results, strict=True):
        html[name] = team_page(shown, [*history[:-1], shown], context, practices.get(name))
        pages[name] = folder / f"{slugs[name]}.html"
        files[pages[name]] = html[name].encode("utf-8")
    chosen = {name: slugs[name] for name in histories}
    index_path = folder / "index.html"
    files[index_path] = comparison_page(week, results, chosen, context, histories).encode("utf-8")
    files[folder / DEFINITIONS_PAGE] = definitions_page(context).encode("utf-8")
    # Written as a set, metrics.json last: a full disk leaves the week's old files, never a
    # metrics.json without its pages. metrics.json holds the measured lights (`measured`).
    files[metrics_path] = metrics_json(week, measured).encode("utf-8")
    atomic_write_set(files)
    log.info("wrote %s: metrics.json, %d team pages and index.html", folder, len(pages))
    return WeekOutput(
        week, folder, metrics_path, index_path, pages, chosen, results, html, practices, dict(histories)
    )


def write_week(
    config: Config,
    tables: Tables,
    week: Week,
    teams: Sequence[Team] | None = None,
    fresh: Mapping[str, datetime | None] | None = None,
    generated_at: datetime | None = None,
    problems: Mapping[str, Mapping[str, str]] | None = None,
) -> WeekOutput:
    """Compute and write one week for the chosen teams (all by default)."""
    return write_week_files(
        config, week, histories(tables, config, week, teams), fresh, generated_at, problems, tables
    )


def range_folder_name(weeks: Sequence[Week]) -> str:
    return f"{weeks[0].label}_{weeks[-1].label}"


def range_weeks(config: Config, first: date, last: date, as_of: datetime | None = None) -> list[Week]:
    """The weeks of a range run, each as of `as_of` (complete when it ended before; the week in
    progress as of then; weeks not yet begun are left out); raises ValueError when `last` is
    before `first` or no week of the range has begun."""
    weeks = weeks_between(first, last, config.zone)
    if as_of is None:
        return weeks
    begun = [week.at(as_of) for week in weeks if week.start < as_of]
    if not begun:
        raise ValueError(f"no week from {first} to {last} has begun at {as_of.isoformat()}")
    return begun


def series_weeks(config: Config, weeks: Sequence[Week]) -> list[Week]:
    """Every week a range run computes: the range plus the sparkline weeks before its first."""
    return [*history_weeks(weeks[0], config)[:-1], *weeks]


def write_range_files(
    config: Config,
    weeks: Sequence[Week],
    series: Mapping[str, Mapping[str, TeamWeek]],
    fresh: Mapping[str, datetime | None] | None = None,
    generated_at: datetime | None = None,
    tables: Tables | None = None,
) -> RangeOutput:
    """Every week's files, then one trend page per team; `series` maps team name -> label -> week
    and must cover `series_weeks(config, weeks)`."""
    from flows.practice import plan_history

    known = {(name, label): tw for name, by_label in series.items() for label, tw in by_label.items()}
    if tables is not None:  # the plans' earlier weeks, computed once for every week of the range
        teams = [team for team in config.teams if team.name in series]
        known.update(plan_history(config, tables, weeks[-1], teams, known))
    outputs = []
    for week in weeks:
        history = history_weeks(week, config)
        histories = {name: [by_label[w.label] for w in history] for name, by_label in series.items()}
        outputs.append(write_week_files(config, week, histories, fresh, generated_at, None, tables, known))
    trend_folder, trend_pages = write_trend_pages(
        config,
        weeks,
        {name: [by_label[w.label] for w in weeks] for name, by_label in series.items()},
        fresh,
        generated_at,
        {name: [output.practices.get(name) for output in outputs] for name in series},
    )
    return RangeOutput(outputs, trend_folder, trend_pages)


def write_range(
    config: Config,
    tables: Tables,
    first: date,
    last: date,
    teams: Sequence[Team] | None = None,
    fresh: Mapping[str, datetime | None] | None = None,
    generated_at: datetime | None = None,
    as_of: datetime | None = None,
) -> RangeOutput:
    """A range run: one metrics.json and set of pages per week, and a trend page per team."""
    chosen = list(config.teams) if teams is None else list(teams)
    weeks = range_weeks(config, first, last, as_of)
    needed = series_weeks(config, weeks)
    by_label = compute_weeks(tables, config, needed, chosen)  # every team and week in one pass
    series = {team.name: {w.label: by_label[w.label][i] for w in needed} for i, team in enumerate(chosen)}
    return write_range_files(config, weeks, series, fresh, generated_at, tables)


def write_trend_pages(
    config: Config,
    weeks: Sequence[Week],
    series: Mapping[str, list[TeamWeek]],
    fresh: Mapping[str, datetime | None] | None = None,
    generated_at: datetime | None = None,
    practices: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[Path, dict[str, Path]]:
    """One trend page per team over `weeks`, and `index.html` comparing every team over them
    (the quarter view), in `<output>/<first week>_<last week>/`; with `practices` (team -> each
    week's TeamPractice or None) the trend pages also show the Friday practice by week."""
    from reports.render import quarter_page, trend_page
    from reports.slug import unique_slugs

    context = page_context(config, fresh, generated_at or datetime.now(UTC))
    slugs = unique_slugs([team.name for team in config.teams])
    folder = config.output_path / range_folder_name(weeks)
    folder.mkdir(parents=True, exist_ok=True)
    pages: dict[str, Path] = {}
    for name, team_series in series.items():
        pages[name] = folder / f"{slugs[name]}.html"
        page = trend_page(team_series, context, (practices or {}).get(name))
        atomic_write_bytes(pages[name], page.encode("utf-8"))
    write_definitions(folder, context)
    index = folder / "index.html"
    atomic_write_bytes(index, quarter_page(series, {n: slugs[n] for n in series}, context).encode("utf-8"))
    log.info("wrote %d trend pages to %s", len(pages), folder)
    return folder, pages
