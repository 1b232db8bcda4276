"""Tiny literal stores and configs for hand-computed metric scenarios."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from core.config import Config, parse_config
from core.schemas import SCHEMAS, conform

# 2026-W47 runs Monday 2026-11-16 00:00 to Monday 2026-11-23 00:00 (UTC in the default config).
WEEK = "2026-W47"


def t(text: str) -> datetime:
    """'2026-11-17 09:00' -> an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A table from a few rows; unspecified columns are null."""
    schema = SCHEMAS[name]
    full = [{column: row.get(column) for column in schema} for row in rows]
    return conform(name, pl.DataFrame(full, schema=schema))


def config(members: int = 3, timezone: str = "UTC", **overrides: Any) -> Config:
    """Team 'Core' managed by `mia` (github mia-gh, jira acc-mia, mia@x.io) with `members` reports
    m1..mN (github m1-gh.., jira acc-m1.., m1@x.io..)."""
    people = [{"id": "mia", "name": "Mia", "github": ["mia-gh"], "jira": ["acc-mia"], "emails": ["mia@x.io"]}]
    people += [
        {"id": f"m{i}", "github": [f"m{i}-gh"], "jira": [f"acc-m{i}"], "emails": [f"m{i}@x.io"]}
        for i in range(1, members + 1)
    ]
    data: dict[str, Any] = {
        "timezone": timezone,
        "bots": ["ci-robot"],
        "github": {"repos": ["acme/app"]},
        "jira": {
            "url": "https://acme.atlassian.net",
            "projects": ["DS"],
            "decision_statuses": ["Needs Decision"],
        },
        "delegation": {
            "strategic": {"labels": ["architecture"], "issue_types": ["Epic"]},
            "implementation": {"labels": ["design"], "components": ["modelling"]},
            "handover_labels": ["handover"],
        },
        "escalation": {
            "labels": ["escalation", "needs-manager"],
            "reasons": {
                "stakeholder": "stakeholder-misalignment",
                "tech-debate": "unresolved-technical-debate",
            },
        },
        "people": people,
        "teams": [
            {"name": "Core", "manager": "mia", "members": [f"m{i}" for i in range(1, members + 1)]},
        ],
    }
    data.update(overrides)
    return parse_config(data)
