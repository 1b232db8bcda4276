"""Header and URL reading both clients share: which transport failures count as broken (the policy
retries them), `Retry-After` and rate-limit headers, the `Link` header's next page and the
same-origin rule for redirects and `next` links. What is retried and how long to wait is decided
in one place, `connectors.policy`."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

# No answer, or an answer cut off mid-body (fewer bytes than its Content-Length: requests raises
# ChunkedEncodingError, which is neither a ConnectionError nor a Timeout): both are retried.
BROKEN_TRANSPORT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def utc_now() -> datetime:
    return datetime.now(UTC)


def header_number(value: str | None) -> float | None:
    """A numeric header (`X-RateLimit-Remaining`, a reset epoch, `Retry-After` in seconds); None
    when it is missing or not a finite number (`nan`, `inf`, `1e400` say nothing usable)."""
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def epoch_time(value: str | None) -> datetime | None:
    """An epoch-seconds header (`X-RateLimit-Reset`) as a UTC time; None when it is missing, not a
    finite number, or outside the years a datetime can hold (`1e20`)."""
    seconds = header_number(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` in seconds, given as a number or an HTTP date."""
    if not value:
        return None
    seconds = header_number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        float(value)
    except ValueError:
        pass
    else:
        return None  # `nan`, `inf`: a number that names no wait
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def iso_time(value: str | None) -> datetime | None:
    """An ISO 8601 header value as an aware datetime (naive ones are taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(header: str | None) -> str | None:
    """The `rel="next"` URL of a `Link` header, if any."""
    if not header:
        return None
    match = _LINK_NEXT.search(header)
    return match.group(1) if match else None


def same_origin(url: str, base: str) -> bool:
    """True when `url` has the scheme, host and port of `base`: credentials go only there."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
