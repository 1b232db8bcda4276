"""Errors a source can raise, sorted into fatal (fix the config or token) and retriable."""

from __future__ import annotations

from core.errors import AuthRefused, SourceFailure
from core.secrets import scrub


class SourceError(SourceFailure):
    """A source failed; the message is one clear line with no secret in it: whatever server text
    it quotes is scrubbed of every registered secret, in every form, when the error is made."""

    retriable = False

    def __init__(self, *args: object) -> None:
        super().__init__(*(scrub(arg) if isinstance(arg, str) else arg for arg in args))


class AuthError(SourceError, AuthRefused):
    """The service refused the credentials (401, or 403 for a bad token)."""


class PermissionDenied(SourceError):
    """The credentials work but lack access to this repo/project (403)."""


class NotFound(SourceError):
    """The repo or project does not exist or is not visible (404, Jira 400 on JQL)."""


class RateLimitExhausted(SourceError):
    """The rate limit resets later than the configured maximum wait; the cursor is kept."""


class TransientError(SourceError):
    """A failure worth retrying later (5xx, timeouts, dropped connections) after our own retries."""

    retriable = True


class WrongFlavor(SourceError):
    """The server is of another kind than the config says (Jira Server config pointed at Cloud)."""


class UnexpectedAnswer(SourceError):
    """A 200 answer that is not the page asked for (an SSO login object, a proxy page, `{"data":
    null}`): nothing of it is stored and the cursor does not move."""


# What a payload missing a field we read, or holding the wrong type there, raises in a normaliser.
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def unreadable(what: str, error: Exception) -> UnexpectedAnswer:
    """`what` (e.g. "GitHub sent a pull request of acme/x") in an unexpected shape, naming the
    missing field; never the offending value, which is server text."""
    problem = f"no {error.args[0]!r}" if isinstance(error, KeyError) and error.args else type(error).__name__
    return UnexpectedAnswer(f"{what} in an unexpected shape ({problem})")
