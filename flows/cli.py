"""The `radar` command line: thin wrappers over the flows, exit codes 0 ok, 2 bad input, 1 other
(a RadarError ends with the exit code of its kind, core.errors)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from core.config import Config, ConfigError, Team, load_config
from core.errors import EXIT_BAD_INPUT, EXIT_FAILED, RadarError
from core.store import Store
from core.weeks import FIRST_YEAR, LAST_YEAR, Week, last_complete_week, week_in_progress

app = typer.Typer(
    help="Delegation radar: is the manager still playing, or already coaching?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Delegation radar: is the manager still playing, or already coaching?"""


ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The radar TOML file.")]


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """One clear line on stderr, then exit."""
    typer.echo(f"radar: {message}", err=True)
    raise typer.Exit(code)


def read_config(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        for problem in error.problems:
            typer.echo(f"{error.path}: {problem}", err=True)
        raise typer.Exit(error.exit_code) from None


@app.command("check-config")
def check_config(config: ConfigOption) -> None:
    """Validate the config and print the resolved teams and people (never secret values)."""
    cfg = read_config(config)
    typer.echo(f"config: {config}")
    typer.echo(f"timezone: {cfg.timezone}   store: {cfg.store_path}   output: {cfg.output_path}")
    for team in cfg.teams:
        repos = cfg.team_repos(team)
        projects = cfg.team_projects(team)
        repo_text = ", ".join(repos) if repos is not None else "all"
        project_text = ", ".join(projects) if projects is not None else "all"
        typer.echo(
            f"team {team.name!r}: manager {team.manager}, {len(team.members)} reports "
            f"({', '.join(team.members) or 'none'}); repos: {repo_text}; "
            f"jira: {project_text}; email to: {', '.join(team.email_to) or '-'}"
        )
    for person in cfg.people:
        typer.echo(
            f"person {person.id} ({person.display_name}): github {person.github}, jira {person.jira}, "
            f"emails {person.emails}"
        )


WeekOption = Annotated[
    str | None,
    typer.Option("--week", help="ISO week like 2026-W47 (default: the week in progress, as of now)."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute as of this instant (ISO 8601, e.g. 2026-11-27T15:00; without an offset it is "
        "in the config's timezone): records from then on do not count. Default: now.",
    ),
]
FromOption = Annotated[str | None, typer.Option("--from", help="First day of a range run, YYYY-MM-DD.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day of a range run, YYYY-MM-DD.")]
TeamOption = Annotated[str | None, typer.Option("--team", help="Only this team (its name in the config).")]


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date like 2026-11-23", EXIT_BAD_INPUT)


def parse_instant(cfg: Config, value: str | None) -> datetime:
    """`--as-of` as a UTC instant (a value without an offset is in the config's timezone), or now."""
    if value is None:
        return datetime.now(UTC)
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--as-of {value!r} is not a date and time like 2026-11-27T15:00", EXIT_BAD_INPUT)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=cfg.zone)
    return instant.astimezone(UTC)


def parse_period(
    cfg: Config, week: str | None, first: str | None, last: str | None, as_of: str | None = None
) -> Week | tuple[date, date]:
    """`--week`, or `--from/--to`, or the week in progress in the config's time zone, as of
    `--as-of` or now (the clock is read here, at the edge, and nowhere in the computation)."""
    if week is not None and (first is not None or last is not None):
        fail("--week cannot be combined with --from/--to", EXIT_BAD_INPUT)
    if (first is None) != (last is None):
        fail("--from and --to go together", EXIT_BAD_INPUT)
    if first is not None and last is not None:
        start, end = _day(first, "--from"), _day(last, "--to")
        if end < start:
            fail(f"--to {end} is before --from {start}", EXIT_BAD_INPUT)
        if start.year < FIRST_YEAR or end.year > LAST_YEAR:
            fail(f"--from/--to must fall in the years {FIRST_YEAR}-{LAST_YEAR}", EXIT_BAD_INPUT)
        return start, end
    instant = parse_instant(cfg, as_of)
    if week is not None:
        try:
            named = Week.parse(week, cfg.zone)
        except (ValueError, OverflowError) as error:
            message = str(error) if isinstance(error, ValueError) else f"--week {week!r} is out of range"
            fail(message, EXIT_BAD_INPUT)
        try:
            return named.at(instant)
        except ValueError as error:
            fail(f"--week {week}: {error}", EXIT_BAD_INPUT)
    try:
        return week_in_progress(instant, cfg.zone)
    except (ValueError, OverflowError) as error:
        fail(f"--as-of {as_of}: {error}", EXIT_BAD_INPUT)


def chosen_teams(cfg: Config, name: str | None) -> list[Team]:
    from flows.outputs import UnknownTeam, select_teams

    try:
        return select_teams(cfg, name)
    except UnknownTeam as error:
        fail(str(error), error.exit_code)


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@contextmanager
def failures_exit() -> Iterator[None]:
    """A failure of a run becomes one line on stderr and the exit code of its kind (1 for any
    error that is not a RadarError)."""
    try:
        yield
    except typer.Exit:
        raise
    except RadarError as error:
        fail(error.verdict(), error.exit_code)
    except Exception as error:
        fail(f"{type(error).__name__}: {one_line(error)}", EXIT_FAILED)


@app.command("report")
def report(
    config: ConfigOption,
    week: WeekOption = None,
    first: FromOption = None,
    last: ToOption = None,
    as_of: AsOfOption = None,
    team: TeamOption = None,
) -> None:
    """Write pages and metrics.json from the store (no network, no Prefect)."""
    from flows.outputs import freshness, write_range, write_week
    from flows.source_health import team_problems

    cfg = read_config(config)
    period = parse_period(cfg, week, first, last, as_of)
    teams = chosen_teams(cfg, team)
    with failures_exit():
        tables = Store(cfg.store_path).scan_all()
        fresh = freshness(cfg)
        if isinstance(period, Week):
            problems = team_problems(cfg, teams)  # sources never synced: grey, with the reason
            output = write_week(cfg, tables, period, teams, fresh, datetime.now(UTC), problems)
            typer.echo(f"week {output.week.label}: {output.metrics_path}")
            for page in output.pages.values():
                typer.echo(f"  {page}")
            typer.echo(f"  {output.index_path}")
        else:
            ranged = write_range(
                cfg, tables, period[0], period[1], teams, fresh, datetime.now(UTC), parse_instant(cfg, as_of)
            )
            typer.echo(f"{len(ranged.weeks)} weeks: {ranged.weeks[0].folder} … {ranged.weeks[-1].folder}")
            for page in ranged.trend_pages.values():
                typer.echo(f"  trend: {page}")


@app.command("sync")
def sync(
    config: ConfigOption,
    since: Annotated[
        str | None, typer.Option("--since", help="Re-read everything updated since YYYY-MM-DD.")
    ] = None,
) -> None:
    """Fill the store from GitHub and Jira, incrementally from the stored cursors."""
    cfg = read_config(config)
    start = _day(since, "--since") if since is not None else None
    if cfg.github is None and cfg.jira is None:
        fail(f"{config}: no [github] or [jira] section, nothing to sync", EXIT_BAD_INPUT)
    with failures_exit():
        from flows.sync_flow import sync_flow

        sync_flow(config_path=str(config.resolve()), since=start)
    typer.echo(f"store: {cfg.store_path}")


@app.command("run")
def run(
    config: ConfigOption,
    offline: Annotated[bool, typer.Option("--offline", help="Use what is in the store; no sync.")] = False,
    week: WeekOption = None,
    first: FromOption = None,
    last: ToOption = None,
    as_of: AsOfOption = None,
    team: TeamOption = None,
    email: Annotated[
        bool, typer.Option("--email/--no-email", help="Range runs: send each team its trend page.")
    ] = False,
    resend: Annotated[
        bool,
        typer.Option("--resend", help="Send again what this week's deliveries.json shows as delivered."),
    ] = False,
) -> None:
    """Sync, report and send each team its page (a range run with --from/--to)."""
    cfg = read_config(config)
    period = parse_period(cfg, week, first, last, as_of)
    chosen_teams(cfg, team)
    with failures_exit():
        if isinstance(period, Week):
            from flows.weekly import weekly_report

            result = weekly_report(
                config_path=str(config.resolve()),
                week=period.label,
                offline=offline,
                team=team,
                as_of=period.cutoff.isoformat(),
                resend=resend,
            )
            typer.echo(f"week {result['week']}: {result['folder']}")
        else:
            from flows.quarterly import quarterly_review

            ranged = quarterly_review(
                config_path=str(config.resolve()),
                first=period[0],
                last=period[1],
                team=team,
                offline=offline,
                email=email,
                as_of=parse_instant(cfg, as_of).isoformat(),
            )
            typer.echo(f"weeks {ranged['weeks'][0]} to {ranged['weeks'][-1]}: {ranged['trend_folder']}")


@app.command("serve")
def serve(config: ConfigOption) -> None:
    """Run the weekly report on the [schedule] cron, in the config's time zone, through Prefect."""
    cfg = read_config(config)
    with failures_exit():
        from flows.weekly import serve_weekly

        serve_weekly(cfg, config.resolve())


def _checkin_help() -> str:
    from metrics.selfcheck import GROUPS, ITEMS

    lists = "; ".join(
        f"{group.title.lower()}: " + ", ".join(item.key for item in ITEMS if item.group == group.key)
        for group in GROUPS
    )
    return (
        "Answer the Friday self-check for a team and week (default: the week in progress): eleven "
        "questions, green, yellow or red each, asked in the terminal or read from --answers. "
        f"Item keys — {lists}."
    )


def _read_answers(path: Path) -> dict[str, object]:
    import tomllib

    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        fail(f"{path}: file not found", EXIT_BAD_INPUT)
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{path}: cannot be read ({one_line(error)})", EXIT_BAD_INPUT)
    except tomllib.TOMLDecodeError as error:
        fail(f"{path}: is not valid TOML: {error}", EXIT_BAD_INPUT)


def _prompt_team(cfg: Config) -> Team:
    names = [t.name for t in cfg.teams]
    while True:
        name = str(typer.prompt(f"Team ({', '.join(names)})")).strip()
        if name in names:
            return cfg.teams[names.index(name)]
        typer.echo(f"no team named {name!r}")


def _prompt_answers() -> dict[str, object]:
    from metrics.selfcheck import GROUPS, ITEMS

    letters = {"g": "green", "y": "yellow", "r": "red"}
    answers: dict[str, object] = {}
    typer.echo("Fifteen minutes, first instinct: answer green, yellow or red (or g, y, r).")
    for group in GROUPS:
        typer.echo(f"\n{group.title} — {group.question}")
        for item in (i for i in ITEMS if i.group == group.key):
            typer.echo(f"\n  {item.title}")
            for colour in ("green", "yellow", "red"):
                typer.echo(f"    {colour:<6}  {item.describe(colour)}")
            while True:
                answer = str(typer.prompt("  your answer")).strip().lower()
                answer = letters.get(answer, answer)
                if answer in letters.values():
                    break
                typer.echo("  please answer green, yellow or red (or g, y, r)")
            answers[item.key] = answer
    return answers


@app.command("checkin", help=_checkin_help())
def checkin(
    config: ConfigOption,
    team: Annotated[
        str | None,
        typer.Option("--team", help="The team answering (its name; asked when the config has several)."),
    ] = None,
    week: Annotated[
        str | None, typer.Option("--week", help="ISO week like 2026-W47 (default: the week in progress).")
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help='A TOML file of item_key = "green" | "yellow" | "red", one per item: no prompts.',
        ),
    ] = None,
) -> None:
    from flows.practice import store_checkin
    from metrics.selfcheck import AnswerError, check_answers, score

    cfg = read_config(config)
    if not cfg.teams:
        fail(f"{config}: no [[teams]] to check in for", EXIT_BAD_INPUT)
    if team is not None:
        chosen = chosen_teams(cfg, team)[0]
    elif len(cfg.teams) == 1:
        chosen = cfg.teams[0]
    elif answers is not None:
        known = ", ".join(repr(t.name) for t in cfg.teams)
        fail(f"--team is needed with --answers: the config has several teams ({known})", EXIT_BAD_INPUT)
    else:
        chosen = _prompt_team(cfg)
    now = datetime.now(UTC)
    try:
        the_week = (
            Week.parse(week, cfg.zone)
            if week is not None
            else Week.of(now.astimezone(cfg.zone).date(), cfg.zone)
        )
    except ValueError as error:
        fail(str(error), EXIT_BAD_INPUT)
    if the_week.start > now:
        fail(f"week {the_week.label} has not started yet", EXIT_BAD_INPUT)
    given = _read_answers(answers) if answers is not None else _prompt_answers()
    try:
        checked = check_answers(given)
    except AnswerError as error:
        fail(f"{answers or 'answers'}: {'; '.join(error.problems)}", EXIT_BAD_INPUT)
    with failures_exit():
        store_checkin(Store(cfg.store_path), chosen.name, the_week.label, checked, now)
    typer.echo(f"stored the self-check of {chosen.name!r} for week {the_week.label}")
    for result in score(checked):
        counts = f"{result.greens} green, {result.yellows} yellow, {result.reds} red"
        typer.echo(f"  {result.title}: {result.status} ({counts})")
        for red in result.red_items:
            typer.echo(f"    red — {red.title}: {red.step}")
    typer.echo(f"the team page shows it from the next `radar report --week {the_week.label}`")


@app.command("web")
def web(
    config: ConfigOption,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; another than 127.0.0.1 opens it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8765,
) -> None:
    """Serve the latest pages and a Friday check-in form per team (works without JavaScript)."""
    cfg = read_config(config)
    with failures_exit():
        from flows.web import run_web

        run_web(cfg, host, port)


@app.command("demo")
def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Folder for the demo config, store and output.")
    ] = Path("demo-workspace"),
) -> None:
    """Build the bundled demo workspace and run everything on it offline: no credentials, no network."""
    from demo.workspace import write_demo_workspace

    last = last_complete_week(datetime.now(UTC), Config().zone)
    with failures_exit():
        config_path = write_demo_workspace(workspace, last)
        cfg = read_config(config_path)
        last = Week.parse(last.label, cfg.zone)
        from flows.quarterly import quarterly_review
        from flows.weekly import weekly_report

        result = weekly_report(config_path=str(config_path.resolve()), week=last.label, offline=True)
        first = last.previous(cfg.zone, 12)
        ranged = quarterly_review(
            config_path=str(config_path.resolve()), first=first.monday, last=last.local_sunday, offline=True
        )
    typer.echo(f"demo config: {config_path}")
    typer.echo(f"week {result['week']}: {result['folder']} (pages, metrics.json, .eml)")
    typer.echo(f"trend {ranged['weeks'][0]} to {ranged['weeks'][-1]}: {ranged['trend_folder']}")


def main() -> None:
    """Console-script entry point."""
    # Prefect's console log goes to stdout, so stderr carries only the one-line verdict.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_STREAM", "ext://sys.stdout")
    # The local ephemeral server needs no network; keep its usage reporting off unless asked.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect waits 20 s for its temporary server; a busy two-core machine can need longer.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # the last resort: still one line and exit code 1
        typer.echo(f"radar: {type(error).__name__}: {one_line(error)}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
