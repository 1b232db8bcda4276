"""The `radar` command line: thin wrappers over the flows, exit codes 0 ok, 2 bad input, 1 other."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from core.config import Config, ConfigError, load_config

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


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line on stderr, then exit."""
    typer.echo(f"radar: {message}", err=True)
    raise typer.Exit(code)


def read_config(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        for problem in error.problems:
            typer.echo(f"{error.path}: {problem}", err=True)
        raise typer.Exit(2) from None


@app.command("check-config")
def check_config(config: ConfigOption) -> None:
    """Validate the config and print the resolved teams and people (never secret values)."""
    cfg = read_config(config)
    typer.echo(f"config: {config}")
    typer.echo(f"timezone: {cfg.timezone}   store: {cfg.store_path}   output: {cfg.output_path}")
    for team in cfg.teams:
        repos = cfg.team_repos(team)
        projects = cfg.team_projects(team)
        typer.echo(
            f"team {team.name!r}: manager {team.manager}, {len(team.members)} reports "
            f"({', '.join(team.members) or 'none'}); repos: {', '.join(repos) if repos is not None else 'all'}; "
            f"jira: {', '.join(projects) if projects is not None else 'all'}; email to: {', '.join(team.email_to) or '-'}"
        )
    for person in cfg.people:
        typer.echo(
            f"person {person.id} ({person.display_name}): github {person.github}, jira {person.jira}, "
            f"emails {person.emails}"
        )


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
