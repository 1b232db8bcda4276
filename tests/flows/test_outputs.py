"""Pages and metrics.json written by plain functions (no Prefect): layout, key order, no NaN."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.config import load_config
from core.store import Store
from core.weeks import Week
from flows.outputs import UnknownTeam, select_teams, write_range, write_week
from tests.flows.workspace import TEAM_A, TEAM_B, WEEK, write_workspace

GENERATED = datetime(2026, 3, 13, 5, 0, tzinfo=UTC)


def test_write_week_writes_metrics_pages_and_index(tmp_path: Path) -> None:
    config = load_config(write_workspace(tmp_path))
    tables = Store(config.store_path).read_all()
    output = write_week(config, tables, Week.parse(WEEK, config.zone), generated_at=GENERATED)

    folder = tmp_path / "out" / WEEK
    assert output.folder == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "churn-retention.html", "definitions.html", "feature-store.html", "index.html", "metrics.json",
    ]  # fmt: skip
    text = (folder / "metrics.json").read_text("utf-8")
    assert "NaN" not in text and "Infinity" not in text
    document = json.loads(text)
    assert list(document) == ["week", "as_of", "complete", "teams"]
    assert document["week"] == WEEK
    assert [team["team"] for team in document["teams"]] == [TEAM_A, TEAM_B]
    for team in document["teams"]:  # SPEC §6's order
        assert list(team) == [
            "team",
            "team_size",
            "coding",
            "reviews",
            "escalations",
            "decisions",
            "checklist",
        ]
    assert "Churn &amp; Retention" in (folder / "churn-retention.html").read_text("utf-8")
    index = (folder / "index.html").read_text("utf-8")
    assert "churn-retention.html" in index and "feature-store.html" in index


def test_one_team_and_an_unknown_team(tmp_path: Path) -> None:
    config = load_config(write_workspace(tmp_path))
    tables = Store(config.store_path).read_all()
    output = write_week(config, tables, Week.parse(WEEK, config.zone), select_teams(config, TEAM_B))
    document = json.loads(output.metrics_path.read_text("utf-8"))
    assert [team["team"] for team in document["teams"]] == [TEAM_B]
    assert list(output.pages) == [TEAM_B]
    with pytest.raises(UnknownTeam, match="'Churn & Retention', 'Feature Store'"):
        select_teams(config, "Nope")


def test_range_writes_every_week_and_a_trend_page_per_team(tmp_path: Path) -> None:
    config = load_config(write_workspace(tmp_path))
    tables = Store(config.store_path).read_all()
    # 23 Feb (Mon, W09) to 15 Mar (Sun, W11): three weeks.
    output = write_range(config, tables, date(2026, 2, 23), date(2026, 3, 15), generated_at=GENERATED)
    assert [w.week.label for w in output.weeks] == ["2026-W09", "2026-W10", "2026-W11"]
    for label in ("2026-W09", "2026-W10", "2026-W11"):
        assert json.loads((tmp_path / "out" / label / "metrics.json").read_text("utf-8"))["week"] == label
    assert output.trend_folder == tmp_path / "out" / "2026-W09_2026-W11"
    assert sorted(p.name for p in output.trend_folder.iterdir()) == [
        "churn-retention.html",
        "definitions.html",
        "feature-store.html",
        "index.html",
    ]
    # the quarter view links each team's trend page and counts the three weeks
    index = (output.trend_folder / "index.html").read_text("utf-8")
    assert 'href="churn-retention.html"' in index and 'href="feature-store.html"' in index
    assert "All teams — 2026-W09 to 2026-W11" in index and "3 weeks" in index
