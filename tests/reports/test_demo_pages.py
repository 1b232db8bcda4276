"""The pages on the bundled demo workspace, through the real metrics (no Prefect, no network)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.config import load_config
from core.state import SyncState
from core.store import Store
from core.weeks import Week
from demo.workspace import write_demo_workspace
from metrics.result import TeamWeek
from metrics.weekly import team_weeks
from reports.change import ordinal
from reports.email import weekly_message
from reports.render import PageContext, comparison_page, link_hosts, team_page, trend_page
from reports.slug import unique_slugs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[PageContext, list[list[TeamWeek]], Week]:
    config = load_config(write_demo_workspace(tmp_path_factory.mktemp("demo")))
    tables = Store(config.store_path).read_all()
    last = Week.parse("2026-W47", config.zone)
    weeks = [last.previous(config.zone, n) for n in range(7, -1, -1)]
    per_week = [team_weeks(tables, config, week) for week in weeks]
    context = PageContext(
        timezone=config.timezone,
        freshness=SyncState(Store(config.store_path)).last_synced(),
        allowed_hosts=link_hosts(config),
        generated_at=datetime(2026, 11, 27, 7, 0, tzinfo=UTC),
        readme_url="definitions.html",
    )
    return context, per_week, last


def test_demo_pages_render(demo: tuple[PageContext, list[list[TeamWeek]], Week], tmp_path: Path) -> None:
    context, per_week, last = demo
    current = per_week[-1]
    assert len(current) >= 2
    slugs = unique_slugs([tw.team.name for tw in current])
    index = comparison_page(last, current, slugs, context)
    assert index.count('data-light="') == len(current) * 6 + 4
    streaks: list[str] = []
    for position, tw in enumerate(current):
        history = [week[position] for week in per_week]
        html = team_page(tw, history, context)
        assert len(re.findall(r'<li data-item="', html)) == 5
        assert f'href="{slugs[tw.team.name]}.html"' in index
        # every link goes to a configured host, the definitions page or a section of the page
        for href in re.findall(r'href="([^"]+)"', html):
            assert (
                href == "definitions.html#how-the-numbers-are-computed"
                or href.startswith("#")
                or href.split("/")[2] in context.allowed_hosts
            )
        trend = trend_page(history, context)
        assert trend.count('<th scope="row">2026-W') == 8
        message = weekly_message(tw, html, context.allowed_hosts, history=history[:-1])
        assert message.subject.startswith(f"Delegation radar — {tw.team.name} — week 2026-W47: ")
        # the coding light's run of red or yellow weeks, counted from the summaries themselves
        coding = [week.light("coding").colour for week in history]
        run = len(coding) - max(
            (i + 1 for i, c in enumerate(coding) if c not in ("red", "yellow")), default=0
        )
        if coding[-1] in ("red", "yellow") and run >= 2:
            assert f"coding {ordinal(run)} week" in message.subject
            assert f"{ordinal(run)} week in a row" in html
            streaks.append(tw.team.name)
        (tmp_path / f"{slugs[tw.team.name]}.html").write_text(html, encoding="utf-8")
    assert "Churn & Retention" in streaks  # the demo manager who keeps coding
