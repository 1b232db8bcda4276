"""Fixtures for the report tests: a TeamWeek factory and a page context."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reports.render import PageContext
from tests.reports.factory import HOSTS, SYNCED, ZONE_NAME, TeamWeekFactory, make_team_week


@pytest.fixture
def team_week() -> TeamWeekFactory:
    return make_team_week


@pytest.fixture
def context() -> PageContext:
    return PageContext(
        timezone=ZONE_NAME,
        freshness={"GitHub": SYNCED, "Jira": SYNCED},
        allowed_hosts=HOSTS,
        generated_at=datetime(2026, 11, 27, 4, 5, tzinfo=UTC),
        readme_url="https://github.com/acme/delegation-radar/blob/main/README.md",
    )
