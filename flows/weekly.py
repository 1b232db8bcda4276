"""The `weekly_report` flow: sync, compute every team's week, write the pages, send each team its
message, and publish a checklist summary and page links as Prefect artifacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, wait

from core.config import Config, Team, load_config
from core.store import Store
from core.weeks import Week, week_in_progress
from flows.delivery import (
    Delivery,
    DeliveryError,
    build_message,
    default_sender,
    email_credentials,
    send,
    write_eml,
)
from flows.outputs import (
    Tables,
    WeekOutput,
    allowed_hosts,
    freshness,
    histories,
    select_teams,
    write_week_files,
)
from flows.runners import task_runner
from flows.sync import run_sync
from metrics.result import TeamWeek
from reports.email import WeeklyMessage, weekly_message

CHECKLIST_ITEMS = ("coding", "reviews", "tactical_ownership", "strategic_involvement", "decisions")
_LIGHTS = {"green": "🟢 green", "yellow": "🟡 yellow", "red": "🔴 red", "grey": "⚪ grey"}


class RunFailed(Exception):
    """The run finished its work but something failed (a sync, a delivery); one line names each."""

    def __init__(self, failures: Sequence[str]) -> None:
        self.failures = list(failures)
        super().__init__("; ".join(self.failures))


@task(name="compute-weeks", cache_policy=NO_CACHE)
def compute_histories(
    config: Config, tables: Tables, week: Week, teams: Sequence[Team]
) -> dict[str, list[TeamWeek]]:
    """Every chosen team's week and the weeks before it (the sparklines), in config order: one
    computation for all teams (a team's numbers never depend on which teams were asked for);
    the per-team tasks are rendering and delivery."""
    return histories(tables, config, week, teams)


@task(name="deliver-team-message", cache_policy=NO_CACHE, task_run_name="deliver {team_name}")
def deliver_team(config: Config, team_name: str, content: WeeklyMessage, slug: str, folder: str) -> Delivery:
    """Send one team its message, or write it as `<slug>.eml` beside the page without [email].

    Not retried: a retry after a partial send would mail some recipients twice.
    """
    logger = get_run_logger()
    team = select_teams(config, team_name)[0]
    try:
        email = build_message(content, default_sender(config), team.email_to, f"{slug}.html")
    except ValueError as error:
        raise DeliveryError(team.name, team.email_to, str(error)) from None
    if config.email is None:
        path = write_eml(email, Path(folder) / f"{slug}.eml")
        logger.info("no [email] in the config: wrote the message for %s to %s", team.name, path)
        return Delivery(team.name, list(team.email_to), path)
    if not team.email_to:
        logger.warning("team %r has no email_to: nothing sent", team.name)
        return Delivery(team.name, [])
    send(email, email_credentials(config.email), team.name)
    logger.info("sent the message for %s to %s", team.name, ", ".join(team.email_to))
    return Delivery(team.name, list(team.email_to))


def deliver_all(
    config: Config, messages: Sequence[tuple[str, WeeklyMessage, str, Path]], runner: Any
) -> list[str]:
    """Every team's message (team name, content, slug, folder), one task per team; returns one
    line per failed delivery. A failure never stops the other teams."""
    logger = get_run_logger()
    futures: list[tuple[str, PrefectFuture[Any]]] = []
    for name, content, slug, folder in messages:
        parameters = {
            "config": config,
            "team_name": name,
            "content": content,
            "slug": slug,
            "folder": str(folder),
        }
        futures.append((name, runner.submit(deliver_team, parameters=parameters)))
    wait([future for _, future in futures])
    failures = []
    for name, future in futures:
        if future.state.is_completed():
            continue
        error = future.state.result(raise_on_failure=False)
        line = (
            str(error)
            if isinstance(error, DeliveryError)
            else f"team {name!r}: {type(error).__name__}: {error}"
        )
        logger.error("delivery failed: %s", line)
        failures.append(line)
    return failures


def weekly_messages(config: Config, output: WeekOutput) -> list[tuple[str, WeeklyMessage, str, Path]]:
    hosts = allowed_hosts(config)
    return [
        (
            tw.team.name,
            weekly_message(tw, output.html[tw.team.name], hosts, output.histories.get(tw.team.name, ())),
            output.slugs[tw.team.name],
            output.folder,
        )
        for tw in output.team_weeks
    ]


def resolve_week(config: Config, week: str | None, now: datetime, as_of: str | None = None) -> Week:
    """`week` (complete, or to date when it is in progress), else the week in progress; both as
    of `as_of` (ISO 8601) or `now`."""
    instant = datetime.fromisoformat(as_of) if as_of else now
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=config.zone)
    if week:
        return Week.parse(week, config.zone).at(instant)
    return week_in_progress(instant, config.zone)


def checklist_markdown(output: WeekOutput) -> str:
    """The artifact: every team's five lights in one table, with a link to its page."""
    header = "| Team | " + " | ".join(item.replace("_", " ") for item in CHECKLIST_ITEMS) + " | Page |"
    lines = [
        f"# Friday checklist — week {output.week.label}",
        "",
        header,
        "|" + " --- |" * (len(CHECKLIST_ITEMS) + 2),
    ]
    for team_week in output.team_weeks:
        colours = {row["item"]: row["colour"] for row in team_week.summary.get("checklist", [])}
        cells = [_LIGHTS.get(colours.get(item, "grey"), "⚪ grey") for item in CHECKLIST_ITEMS]
        name = _markdown_cell(team_week.team.name)
        page = output.pages[team_week.team.name]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | [{page.name}]({page.as_uri()}) |")
    return "\n".join(lines) + "\n"


def _markdown_cell(text: str) -> str:
    from reports.email import one_line

    return one_line(text).replace("|", "\\|").replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;")


def publish_artifacts(output: WeekOutput) -> None:
    """A markdown summary of every team's checklist and a link artifact to each page."""
    week_key = output.week.label.lower()
    create_markdown_artifact(
        markdown=checklist_markdown(output),
        key=f"radar-checklist-{week_key}",
        description=f"Friday checklist of every team, week {output.week.label}",
    )
    for name, page in output.pages.items():
        create_link_artifact(
            link=page.as_uri(),
            link_text=f"{name} — week {output.week.label}",
            key=f"radar-page-{output.slugs[name]}",
            description=f"Weekly report page of {name}",
        )
    create_link_artifact(
        link=output.index_path.as_uri(),
        link_text=f"All teams — week {output.week.label}",
        key="radar-page-index",
        description="Every team side by side",
    )


@flow(name="radar-weekly-report", log_prints=False)
def weekly_report(
    config_path: str,
    week: str | None = None,
    offline: bool = False,
    team: str | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Sync (unless offline), report every team's week, send each team its page.

    The week defaults to the week in progress in the config's time zone, as of the moment the
    run starts (a scheduled Friday 15:00 run reports Monday to Friday 15:00 of this week).
    """
    logger = get_run_logger()
    config = load_config(config_path)
    now = datetime.now(UTC)
    the_week = resolve_week(config, week, now, as_of)
    teams = select_teams(config, team)
    logger.info(
        "weekly report for %s, %d team(s)%s", the_week.label, len(teams), " (offline)" if offline else ""
    )
    failures: list[str] = []
    with task_runner(config) as runner:
        if not offline:
            failures += [f"sync {line}" for line in run_sync(config, runner=runner)]
        tables = Store(config.store_path).read_all()
        histories = compute_histories(config, tables, the_week, teams)
        output = write_week_files(config, the_week, histories, freshness(config), now)
        failures += deliver_all(config, weekly_messages(config, output), runner)
    publish_artifacts(output)
    logger.info("pages in %s", output.folder)
    if failures:
        raise RunFailed(failures)
    return summary(output)


def summary(output: WeekOutput) -> dict[str, Any]:
    return {
        "week": output.week.label,
        "folder": str(output.folder),
        "metrics": str(output.metrics_path),
        "pages": {name: str(path) for name, path in output.pages.items()},
    }


DEPLOYMENT_NAME = "radar-weekly"


def weekly_schedule(config: Config) -> Any:
    """The [schedule] cron in the config's time zone (a bare cron would be UTC)."""
    from prefect.schedules import Cron

    return Cron(config.schedule.cron, timezone=config.zone.key)


def serve_weekly(config: Config, config_path: Path) -> None:
    """Serve `weekly_report` on the config's schedule until interrupted.

    Schedules need a Prefect server (an ephemeral one cannot schedule): PREFECT_API_URL must
    point at one, e.g. `prefect server start` on this machine.
    """
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise ScheduleError(
            "radar serve needs a Prefect server: run `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    weekly_report.serve(
        name=DEPLOYMENT_NAME,
        schedules=[weekly_schedule(config)],
        parameters={"config_path": str(config_path)},
        description=f"Weekly delegation radar report for {config_path}",
        tags=["delegation-radar"],
    )


class ScheduleError(Exception):
    """The schedule cannot be served (no Prefect server)."""
