"""The delegation plan on the team page, from the store through the metrics (SPEC §8)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app
from tests.flows.workspace import WEEK, write_workspace

PLAN = (
    'jira_projects = ["DS"]\n'
    'delegation_plan = [{ category = "tactical", since = "2026-W10" },'
    ' { category = "implementation", since = "2026-W12" }]\n'
)


def test_a_started_phase_and_a_later_one(tmp_path: Path) -> None:
    config = write_workspace(tmp_path)
    config.write_text(config.read_text("utf-8").replace('jira_projects = ["DS"]\n', PLAN, 1), "utf-8")
    result = CliRunner().invoke(app, ["report", "--config", str(config), "--week", WEEK])
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "out" / WEEK / "churn-retention.html").read_text("utf-8")
    section = re.search(r'<section id="plan".*?</section>', page, re.S)
    assert section is not None
    text = html.unescape(
        re.sub(r"\s+", " ", re.sub(r"<svg.*?</svg>|<[^>]+>", " ", section.group(0), flags=re.S))
    )
    assert 'data-verdict="settling in"' in section.group(0)
    # 2026-W10 is the start week: week 1 of the phase, so settling in (w < 6).
    assert "Tactical work, handed over since 2026-W10: week 1 (of 6–8)" in text
    # Tactical in 2026-W10: the workspace has no [delegation] rules, so both issues are tactical and
    # both are active (created in the week). DS-1 was escalated (label added, nino mentioned); nino
    # moved DS-1 (status change) and did nothing on DS-2 (he only reported it, which is no event):
    # rate 1 / 2 = 50 %, involvement 1 / 2 = 50 %.
    # The 4 baseline weeks 2026-W06..W09 hold nothing: no rate, no involvement.
    rows = re.findall(r"<tr(?: class=\"baseline\")?><td>(2026-W\d\d)</td>(.*?)</tr>", section.group(0))
    cells = [(week, re.findall(r'<td class="num">(.*?)</td>', rest)) for week, rest in rows]
    assert cells == [
        ("2026-W06", ["baseline", "0", "—", "—"]),
        ("2026-W07", ["baseline", "0", "—", "—"]),
        ("2026-W08", ["baseline", "0", "—", "—"]),
        ("2026-W09", ["baseline", "0", "—", "—"]),
        ("2026-W10", ["1", "2", "50 %", "50 %"]),
    ]
    assert "Next: implementation work from 2026-W12." in text
    other = (tmp_path / "out" / WEEK / "feature-store.html").read_text("utf-8")
    assert "No delegation plan for this team." in other


def test_the_trend_page_shows_the_practice_week_by_week(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from core.config import load_config
    from core.store import Store
    from flows.practice import store_checkin
    from metrics.selfcheck import ITEM_KEYS

    config = write_workspace(tmp_path)
    config.write_text(config.read_text("utf-8").replace('jira_projects = ["DS"]\n', PLAN, 1), "utf-8")
    answers = dict.fromkeys(ITEM_KEYS, "green") | {"team_health": "red"}  # mindset 5 green, 1 red
    store = Store(load_config(config).store_path)
    store_checkin(store, "Churn & Retention", WEEK, answers, datetime(2026, 3, 6, 12, tzinfo=UTC))
    # 2026-W10 and 2026-W11 (Mon 2 Mar to Sun 15 Mar 2026)
    result = CliRunner().invoke(
        app, ["report", "--config", str(config), "--from", "2026-03-02", "--to", "2026-03-15"]
    )
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "out" / "2026-W10_2026-W11" / "churn-retention.html").read_text("utf-8")
    section = re.search(r'<section id="practice-trend".*?</section>', page, re.S)
    assert section is not None
    rows = {
        week: html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip()
        for week, row in re.findall(r'<tr data-week="([^"]+)">(.*?)</tr>', section.group(0), re.S)
    }
    assert rows == {
        # the tactical phase started in 2026-W10 (week 1, then 2); implementation starts in W12
        "2026-W10": "2026-W10 ✕ Act now 5 green, 1 red ✓ Going strong 5 green ○ Settling in week 1",
        "2026-W11": "2026-W11 no self-check no self-check ○ Settling in week 2",
    }
