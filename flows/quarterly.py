"""The `quarterly_review` flow: a range run before a quarterly review — every week's metrics.json
and pages, a trend page per team, optionally emailed to each team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from core.config import Config, load_config
from core.store import Store
from core.weeks import Week
from flows.outputs import (
    RangeOutput,
    Tables,
    freshness,
    range_weeks,
    select_teams,
    series_weeks,
    write_range_files,
)
from flows.runners import task_runner
from flows.sync_flow import run_sync
from flows.weekly import RunFailed, deliver_all
from metrics.result import TeamWeek
from metrics.weekly import compute_weeks
from reports.email import WeeklyMessage, lights_in_words, one_line
from reports.slug import unique_slugs


@task(name="compute-range", cache_policy=NO_CACHE)
def compute_range(config: Config, tables: Tables, weeks: list[Week]) -> dict[str, list[TeamWeek]]:
    """Every team's TeamWeek for every week of the range (and the sparkline weeks before it), in
    one computation: a range run says what single-week runs say."""
    return compute_weeks(tables, config, weeks)


def trend_message(team_name: str, weeks: Sequence[TeamWeek], html: str) -> WeeklyMessage:
    """The trend page as a message: subject with the range, text with each week's lights."""
    first, last = weeks[0].week.label, weeks[-1].week.label
    team = one_line(team_name) or "(unnamed team)"
    lines = [f"Delegation radar — {team} — weeks {first} to {last}", ""]
    for team_week in weeks:
        colours = list(team_week.colours().values())
        lines.append(f"  {team_week.week.label}: {lights_in_words(colours)}")
    lines += ["", "The trend page is attached and shown in the HTML part of this message."]
    subject = f"Delegation radar — {team} — trend {first} to {last}"
    return WeeklyMessage(subject, html, "\n".join(lines) + "\n")


def publish_range_artifacts(output: RangeOutput) -> None:
    first, last = output.weeks[0].week.label, output.weeks[-1].week.label
    rows = ["| Team | Trend page |", "| --- | --- |"]
    rows += [
        f"| {one_line(name).replace('|', '/')} | [{page.name}]({page.as_uri()}) |"
        for name, page in output.trend_pages.items()
    ]
    index = output.trend_folder / "index.html"
    rows.append(f"| all teams | [{index.name}]({index.as_uri()}) |")
    create_markdown_artifact(
        markdown=f"# Trend {first} to {last}\n\n" + "\n".join(rows) + "\n",
        key=f"radar-trend-{first.lower()}-{last.lower()}",
        description="Trend pages of the range run",
    )
    slugs = unique_slugs(output.trend_pages)
    for name, page in output.trend_pages.items():
        create_link_artifact(
            link=page.as_uri(), link_text=f"{name} — trend", key=f"radar-trend-{slugs[name]}"
        )


@flow(name="radar-quarterly-review", log_prints=False)
def quarterly_review(
    config_path: str,
    first: date,
    last: date,
    team: str | None = None,
    offline: bool = True,
    email: bool = False,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Every week from `first` to `last` and a trend page per team; sync first unless offline,
    send each team its trend page when `email` is set.  Each week is as of `as_of` (ISO 8601,
    default: now): complete weeks whole, the week in progress to date, later weeks left out."""
    logger = get_run_logger()
    config = load_config(config_path)
    now = datetime.now(UTC)
    instant = datetime.fromisoformat(as_of) if as_of else now
    teams = select_teams(config, team)
    weeks = range_weeks(config, first, last, instant)
    needed = series_weeks(config, weeks)
    logger.info("range run %s to %s for %d team(s)", weeks[0].label, weeks[-1].label, len(teams))
    failures: list[str] = []
    with task_runner(config) as runner:
        if not offline:
            failures += [f"sync {line}" for line in run_sync(config, runner=runner)]
        tables = Store(config.store_path).read_all()
        by_label = compute_range(config, tables, needed)
        series = {
            t.name: {w.label: by_label[w.label][i] for w in needed}
            for i, t in enumerate(config.teams)
            if t in teams
        }
        output = write_range_files(config, weeks, series, freshness(config), now, tables)
        if email:
            slugs = unique_slugs([t.name for t in config.teams])
            messages = [
                (
                    name,
                    trend_message(name, [series[name][w.label] for w in weeks], page.read_text("utf-8")),
                    slugs[name],
                    output.trend_folder,
                )
                for name, page in output.trend_pages.items()
            ]
            failures += deliver_all(config, messages, runner)
    publish_range_artifacts(output)
    logger.info("trend pages in %s", output.trend_folder)
    if failures:
        raise RunFailed(failures)
    return {
        "weeks": [w.week.label for w in output.weeks],
        "trend_folder": str(output.trend_folder),
        "trend_pages": {name: str(path) for name, path in output.trend_pages.items()},
    }
