"""The sources' timestamps: GitHub's and Jira's spellings, each read by its own rule."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from connectors.times import parse_github_time, parse_time


def test_github_times_in_utc() -> None:
    # `Z` is UTC: 12:00Z stays 12:00 UTC, with or without fractional seconds.
    assert parse_github_time("2026-01-31T12:00:00Z") == datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_github_time("2026-01-31T12:00:00.250Z") == datetime(
        2026, 1, 31, 12, 0, 0, 250000, tzinfo=UTC
    )
    assert parse_github_time(None) is None
    assert parse_github_time("") is None


def test_the_two_rules_differ_only_where_a_z_is_not_at_the_end() -> None:
    # Both read a well-formed time alike: 12:00 at +04:00 is 08:00 UTC.
    for value in ("2026-01-31T12:00:00+04:00", "2026-01-31T12:00:00Z"):
        assert parse_github_time(value) == parse_time(value)
    assert parse_github_time("2026-01-31T12:00:00+04:00") == datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    # GitHub's rule spells every `Z` as +00:00 first, so a date with a zone reads as its midnight
    # UTC; Jira's rule takes the text as it comes and refuses it.
    assert parse_github_time("2026-01-31Z") == datetime(2026, 1, 31, 0, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("2026-01-31Z")


def test_both_rules_give_utc_whatever_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A time is handed on in UTC (offset 0), not in the zone of the machine the sync runs on."""
    with monkeypatch.context() as patch:
        patch.setenv("TZ", "Asia/Tbilisi")
        time.tzset()
        parsed = [parse_time("2026-11-03T09:00:00.000+0400"), parse_github_time("2026-11-03T05:00:00Z")]
    time.tzset()
    for moment in parsed:
        assert moment is not None
        assert moment.utcoffset() == timedelta(0)
        assert moment.isoformat() == "2026-11-03T05:00:00+00:00"
