"""The `weekly_report` flow: sync, compute every team's week, write the pages, send each team its
message, and publish a checklist summary and page links as Prefect artifacts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from core.config import Config, Team, load_config
from core.errors import RunIncomplete, ScheduleUnavailable
from core.store import Store
from core.weeks import Week, week_in_progress
from flows.channels import EmailJob, Job, SlackJob, deliver_jobs
from flows.ledger import Ledger
from flows.outputs import (
    Tables,
    WeekOutput,
    allowed_hosts,
    freshness,
    histories,
    page_context,
    select_teams,
    write_week_files,
)
from flows.runners import task_runner
from flows.source_health import team_problems
from flows.sync_flow import SyncFailure, run_sync
from metrics.checklist import CHECKLIST_ITEMS
from metrics.result import TeamWeek
from reports.digest import digest_rows, digest_slug, digest_subject, digest_text
from reports.email import WeeklyMessage, weekly_message
from reports.mail import digest_mail, team_mail
from reports.render import PageContext, comparison_page
from reports.slack import team_blocks

_LIGHTS = {"green": "🟢 green", "yellow": "🟡 yellow", "red": "🔴 red", "grey": "⚪ grey"}


class RunFailed(RunIncomplete):
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


def deliver_all(
    config: Config,
    messages: Sequence[tuple[str, WeeklyMessage, str, Path]],
    runner: Any,
    ledger: Ledger | None = None,
    resend: bool = False,
) -> list[str]:
    """Every team's message (team name, content, slug, folder) to its `email_to`, one task per
    team; returns one line per failed delivery. A failure never stops the other teams."""
    jobs = [
        EmailJob("team", name, content, list(select_teams(config, name)[0].email_to), slug, str(folder))
        for name, content, slug, folder in messages
    ]
    return deliver_jobs(config, jobs, runner, ledger, resend)


def slack_jobs(config: Config, output: WeekOutput) -> list[SlackJob]:
    """A Block Kit summary for each team with a webhook (its own, else [slack] webhook)."""
    hosts = allowed_hosts(config)
    jobs = []
    for tw in output.team_weeks:
        reference = config.team_webhook(tw.team)
        if reference is not None:
            jobs.append(SlackJob("team", tw.team.name, team_blocks(tw, hosts, config.zone), reference))
    return jobs


def digest_jobs(
    config: Config, output: WeekOutput, histories: Mapping[str, Sequence[TeamWeek]], context: PageContext
) -> list[EmailJob]:
    """One message per [[digests]] entry: its teams' comparison with changes and streaks, the
    comparison page of those teams attached. A digest whose teams are not all in this run
    (`--team`) is left for a run of every team, so it is never sent incomplete."""
    logger = get_run_logger()
    shown = {tw.team.name: tw for tw in output.team_weeks}
    jobs = []
    for digest in config.digests:
        teams = [team.name for team in config.digest_teams(digest)]
        if any(name not in shown for name in teams):
            logger.info("digest %r: not every one of its teams is in this run; not sent", digest.name)
            continue
        slug = digest_slug(digest.name)
        rows = digest_rows({name: [*histories[name][:-1], shown[name]] for name in teams})
        page = comparison_page(
            output.week, [shown[name] for name in teams], {n: output.slugs[n] for n in teams}, context
        )
        mail = digest_mail(digest.name, rows, output.week.label, context, f"{slug}.html")
        content = WeeklyMessage(
            digest_subject(digest.name, output.week.label, rows),
            mail.html,
            digest_text(digest.name, output.week.label, rows),
            mail.images,
            page,
        )
        jobs.append(EmailJob("digest", digest.name, content, list(digest.email_to), slug, str(output.folder)))
    return jobs


def weekly_messages(
    config: Config, output: WeekOutput, histories: Mapping[str, Sequence[TeamWeek]], context: PageContext
) -> list[tuple[str, WeeklyMessage, str, Path]]:
    """Each team's message: the mail version of its page (charts as PNGs), the page attached."""
    hosts = allowed_hosts(config)
    messages = []
    for tw in output.team_weeks:
        name, slug = tw.team.name, output.slugs[tw.team.name]
        mail = team_mail(tw, [*histories[name][:-1], tw], context, f"{slug}.html")
        history = [*histories[name][:-1], tw]
        message = with_checkin_link(config, tw, weekly_message(tw, output.html[name], hosts, mail, history))
        messages.append((name, message, slug, output.folder))
    return messages


def with_checkin_link(config: Config, tw: TeamWeek, message: WeeklyMessage) -> WeeklyMessage:
    """With `[web] base_url`, the plain-text part ends with the link to this week's self-check
    form (the HTML part is the page, which carries the link already)."""
    from dataclasses import replace

    from flows.practice import checkin_url

    url = checkin_url(config, tw.team, tw.week)
    if url is None:
        return message
    return replace(message, text=message.text.rstrip("\n") + f"\n\nYour Friday self-check: {url}\n")


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
        colours = team_week.colours()
        cells = [_LIGHTS[colours[item]] for item in CHECKLIST_ITEMS]
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
    resend: bool = False,
) -> dict[str, Any]:
    """Sync (unless offline), report every team's week, send each team its page (email, Slack)
    and each digest its comparison; what the week's ledger shows as delivered is not sent again
    unless `resend`.

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
    sync_failures: list[SyncFailure] = []
    with task_runner(config) as runner:
        if not offline:
            sync_failures = run_sync(config, runner=runner)
            failures += [f"sync {failure}" for failure in sync_failures]
        tables = Store(config.store_path).read_all()
        histories = compute_histories(config, tables, the_week, teams)
        problems = team_problems(config, teams, sync_failures)
        for name, reasons in problems.items():
            logger.warning("team %r: data incomplete: %s", name, "; ".join(reasons.values()))
        fresh = freshness(config)
        output = write_week_files(config, the_week, histories, fresh, now, problems, tables)
        context = page_context(config, fresh, now)
        jobs: list[Job] = [
            EmailJob("team", name, content, list(select_teams(config, name)[0].email_to), slug, str(folder))
            for name, content, slug, folder in weekly_messages(config, output, histories, context)
        ]
        jobs += slack_jobs(config, output)
        jobs += digest_jobs(config, output, histories, context)
        failures += deliver_jobs(config, jobs, runner, Ledger(output.folder), resend)
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


class ScheduleError(ScheduleUnavailable):
    """The schedule cannot be served (no Prefect server)."""
