"""The demo workspace shows the Friday practice: every team has a plan and a self-check in the
last week, and the verdicts and disagreements the demo is built to show."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from core.config import load_config
from core.store import Store
from core.weeks import Week
from demo.teams import DEFAULT_LAST_WEEK, TEAMS
from demo.workspace import write_demo_workspace
from flows.outputs import write_week


def test_demo_pages_show_plans_and_self_checks(tmp_path: Path) -> None:
    config = load_config(write_demo_workspace(tmp_path))
    assert {t.name: [(p.category, p.since) for p in t.delegation_plan] for t in config.teams} == {
        "Forecasting": [("tactical", "2026-W37"), ("implementation", "2026-W46")],
        "Churn & Retention": [("tactical", "2026-W40")],
        "Data Platform": [("tactical", "2026-W41")],
    }
    checkins = Store(config.store_path).read("checkins")
    assert checkins.height == 11 * sum(len(spec.checkins) for spec in TEAMS)  # 5 check-ins
    week = Week.parse(DEFAULT_LAST_WEEK, config.zone)
    output = write_week(config, Store(config.store_path).scan_all(), week, generated_at=datetime.now(UTC))
    pages = {name: path.read_text("utf-8") for name, path in output.pages.items()}
    verdicts = {name: re.findall(r'data-verdict="([^"]+)"', page) for name, page in pages.items()}
    assert verdicts == {
        "Forecasting": ["on track", "settling in"],  # tactical week 11; implementation week 2
        "Churn & Retention": ["stuck"],
        "Data Platform": ["stuck"],
    }
    for page in pages.values():
        assert 'id="selfcheck-missing"' not in page and page.count('data-self="') == 11
    # The Churn & Retention manager says green on coding time; the commits say red.
    assert 'data-pair="coding_time:coding"' in pages["Churn & Retention"]
