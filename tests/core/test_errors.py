"""One family of errors: each kind carries the exit code `radar` ends with (SPEC §6)."""

from __future__ import annotations

import pytest
import typer

from connectors.errors import AuthError, NotFound, SourceError, TransientError
from connectors.transport import HostUnreachable
from core.config import ConfigError, SecretError
from core.errors import (
    AuthRefused,
    BadInput,
    DeliveryFailure,
    RadarError,
    RunIncomplete,
    ScheduleUnavailable,
    SecretUnavailable,
    SourceFailure,
    StoreFailure,
)
from core.store import StoreError
from flows.cli import failures_exit
from flows.delivery import DeliveryError
from flows.outputs import UnknownTeam
from flows.slack import SlackDeliveryError
from flows.sync_flow import SyncFailed
from flows.weekly import RunFailed, ScheduleError


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (ConfigError("radar.toml", ["file not found"]), BadInput, 2),
        (UnknownTeam("no team named 'X'"), BadInput, 2),
        (SecretError("environment variable T is not set"), SecretUnavailable, 1),
        (SourceError("GitHub answered 500"), SourceFailure, 1),
        (AuthError("GitHub rejected the token for https://api.github.com"), AuthRefused, 1),
        (NotFound("Jira project DS does not exist"), SourceFailure, 1),
        (TransientError("GitHub answered 502"), SourceFailure, 1),
        (HostUnreachable("GitHub host is unreachable"), SourceFailure, 1),
        (StoreError("state.json is damaged"), StoreFailure, 1),
        (DeliveryError("Forecasting", ["a@acme.example"], "refused"), DeliveryFailure, 1),
        (SlackDeliveryError("Forecasting", "env:HOOK", "refused"), DeliveryFailure, 1),
        (SyncFailed(["github acme/x: refused"]), RunIncomplete, 1),
        (RunFailed(["team 'Forecasting': not delivered"]), RunIncomplete, 1),
        (ScheduleError("radar serve needs a Prefect server"), ScheduleUnavailable, 1),
    ],
)
def test_every_error_the_radar_raises_is_of_one_kind(error: RadarError, kind: type, code: int) -> None:
    assert isinstance(error, kind)
    assert isinstance(error, RadarError)
    assert error.exit_code == code


def test_unknown_team_is_still_a_value_error() -> None:
    assert isinstance(UnknownTeam("no team named 'X'"), ValueError)


def _exit(error: BaseException, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(typer.Exit) as exit_info, failures_exit():
        raise error
    return exit_info.value.exit_code, capsys.readouterr().err


def test_the_cli_maps_an_error_to_its_kinds_exit_code_whatever_its_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class TablesGone(StoreFailure):
        pass

    class WeekUnknown(BadInput):
        pass

    # A kind's subclass of a name the CLI has never heard of: exit code and one line from its kind.
    assert _exit(TablesGone("the store\n  is gone"), capsys) == (1, "radar: the store is gone\n")
    assert _exit(WeekUnknown("no such week"), capsys) == (2, "radar: no such week\n")
    # A secret's error keeps only its first line; any other error is named by its type.
    assert _exit(SecretError("variable T is not set\nsecond line"), capsys) == (
        1,
        "radar: variable T is not set\n",
    )
    assert _exit(KeyError("x"), capsys) == (1, "radar: KeyError: 'x'\n")


def test_a_secret_error_without_text_is_named_by_its_own_kind() -> None:
    """A secret's error always prints a line: with no text, the name of its class (the kind a
    person can look up), never an empty line."""
    assert SecretError("").verdict() == "SecretError"
    assert SecretError("  \n ").verdict() == "SecretError"  # only blanks: no first line either
