"""The radar's errors, one family: every failure it reports on purpose is a RadarError of one kind,
and the kind carries the exit code the command line ends with (SPEC §6: 2 bad input, 1 anything
else) and the one line it prints on stderr.

The classes that are raised live next to the code that raises them (`core.config.ConfigError`,
`connectors.errors.AuthError`, `flows.delivery.DeliveryError`, …) and subclass a kind below, so
`radar` maps an error to its exit code by its kind alone.
"""

from __future__ import annotations

from typing import ClassVar

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class RadarError(Exception):
    """A failure the radar reports in one line and ends with `exit_code`."""

    exit_code: ClassVar[int] = EXIT_FAILED

    def verdict(self) -> str:
        """The line for stderr: the whole message on one line."""
        return " ".join(str(self).split())


class BadInput(RadarError):
    """The config or an argument cannot be used; nothing was read or written."""

    exit_code = EXIT_BAD_INPUT


class SecretUnavailable(RadarError):
    """A secret reference that cannot be resolved (names the reference, never the value)."""

    def verdict(self) -> str:
        text = str(self).strip().splitlines()
        return text[0] if text else type(self).__name__


class SourceFailure(RadarError):
    """A source (GitHub, Jira) or the connection to it failed."""


class AuthRefused(SourceFailure):
    """A service refused the credentials; the message names the service."""


class StoreFailure(RadarError):
    """The store or its sync state cannot be read or written."""


class DeliveryFailure(RadarError):
    """A message (email, Slack) was not delivered; the message names the team and the recipients."""


class RunIncomplete(RadarError):
    """A run did its work but parts of it failed (a sync, a delivery); the message names each."""


class ScheduleUnavailable(RadarError):
    """The weekly schedule cannot be served."""
