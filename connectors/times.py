"""The sources' timestamps as aware UTC datetimes: one home for both spellings.

GitHub and Jira are read with different rules on purpose, and each keeps its own: GitHub's `Z`
is spelled `+00:00` before parsing (so odd strings such as `2026-01-31Z` still read as midnight
UTC), Jira's values are parsed as they come.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: str | None) -> datetime | None:
    """Jira's `2026-11-03T09:00:00.000+0400` (or ISO with `Z`/`+04:00`) as an aware UTC datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def parse_github_time(value: str | None) -> datetime | None:
    """GitHub's ISO 8601 timestamps (`2026-01-31T12:00:00Z`) as aware UTC datetimes."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
