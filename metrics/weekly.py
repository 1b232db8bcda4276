"""One week for every team: the four signals, the checklist, and the metrics.json document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from core.config import Config, Team
from core.weeks import Week
from metrics.result import TeamWeek

Tables = Mapping[str, pl.DataFrame]


def team_weeks(tables: Tables, config: Config, week: Week, teams: Sequence[Team] | None = None) -> list[TeamWeek]:
    """Every team's TeamWeek for `week` (all teams when `teams` is None), in config order."""
    raise NotImplementedError


def metrics_document(week: Week, results: Sequence[TeamWeek]) -> dict[str, Any]:
    """The metrics.json document of SPEC §6: {"week": label, "teams": [summary, ...]}."""
    return {"week": week.label, "teams": [r.summary for r in results]}
