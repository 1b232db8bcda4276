"""Secret scrubbing: every secret the process uses, in every form it travels in, is cut out of any
text built from a server's answer before that text is logged, raised or stored.

A server may echo the request's Authorization header into its error text (a GraphQL
`errors[].message`, a REST 4xx `message`, Jira's `errorMessages`). The token then appears raw, as
`Bearer <token>` / `token <token>` (both hold the raw form), percent-encoded, or — for Jira's basic
auth — as the base64 of `user:token`. Secrets are registered where they are resolved
(`core.config.resolve_secret`) and where a client receives them; `scrub` replaces each form with
`[secret]`. `ScrubbingFilter` does the same to log records, for lines our code did not build
(a library's debug line, a traceback).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from urllib.parse import quote

REDACTED = "[secret]"
MIN_SECRET_LENGTH = 6  # shorter values (a test's "tok") would cut ordinary words out of messages


class Scrubber:
    """The secrets of this process and a pattern that finds any of their forms."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, secret: str | None, user: str | None = None) -> None:
        """Register a secret; with `user`, also the basic-auth form base64(`user:secret`)."""
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            return
        forms = {secret, quote(secret, safe="")}
        if user:
            encoded = base64.b64encode(f"{user}:{secret}".encode()).decode()
            forms |= {
                encoded,
                encoded.rstrip("="),
                base64.urlsafe_b64encode(f"{user}:{secret}".encode()).decode(),
            }
        with self._lock:
            if forms <= self._forms:
                return
            self._forms |= forms
            ordered = sorted(self._forms, key=len, reverse=True)  # the longest form first
            self._pattern = re.compile("|".join(re.escape(form) for form in ordered))

    def scrub(self, text: str) -> str:
        pattern = self._pattern
        return text if pattern is None or not text else pattern.sub(REDACTED, text)

    def clear(self) -> None:
        with self._lock:
            self._forms.clear()
            self._pattern = None


SECRETS = Scrubber()


def register_secret(secret: str | None, user: str | None = None) -> None:
    SECRETS.add(secret, user)


def scrub(text: object) -> str:
    """`text` as a string with every registered secret, in every form, replaced by `[secret]`."""
    return SECRETS.scrub(str(text))


class ScrubbingFilter(logging.Filter):
    """Scrubs a log record's message and traceback before any handler writes or sends it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if SECRETS._pattern is None:
            return True
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


_FILTER = ScrubbingFilter()


def install_log_scrubbing() -> None:
    """Add the scrubbing filter to every handler there is now (root, Prefect's console and API
    handlers, any library's); idempotent."""
    loggers = [logging.getLogger(), *(item for item in logging.Logger.manager.loggerDict.values())]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
