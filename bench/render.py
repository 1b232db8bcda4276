"""Report rendering at organisation scale: one team page, and 60 team pages plus the comparison page.

The TeamWeeks come from the organisation-scale store (bench/metrics_scale.py writes it): the
report week and the seven before it for the sparklines, all teams in one `compute_weeks` pass.
Also timed, for reference: one team's history the way `flows.outputs.histories` builds it for
`--team` (every team is computed; one is kept).

`python -m bench.render [--scale 1.0] [--json FILE]`
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import ORG_NOW, OrgScale, write_org_store
from bench.metrics_scale import DATA, report_weeks
from core.config import load_config
from core.store import Store
from metrics.weekly import compute_weeks

HISTORY_WEEKS = 8
QUARTER_WEEKS = 52


def measure(scale: float = 1.0, folder: Path = DATA / "org") -> dict[str, Any]:
    from flows.outputs import histories as one_team_histories
    from reports.render import PageContext, comparison_page, link_hosts, quarter_page, team_page
    from reports.slug import unique_slugs

    config_path = write_org_store(
        folder if scale == 1.0 else folder.with_name(f"org-{scale:g}"), OrgScale().scaled(scale)
    )
    config = load_config(config_path)
    weeks = report_weeks(config, HISTORY_WEEKS)
    tables = Store(config.store_path).read_all()
    started = time.perf_counter()
    results = compute_weeks(tables, config, weeks)
    computed = time.perf_counter() - started
    week = weeks[-1]
    histories = {team.name: [results[w.label][i] for w in weeks] for i, team in enumerate(config.teams)}
    context = PageContext(
        timezone=config.zone.key,
        freshness={"github": ORG_NOW, "jira": ORG_NOW},
        allowed_hosts=sorted(link_hosts(config)),
        generated_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
        jira_configured=True,
    )
    first_team = config.teams[0].name

    started = time.perf_counter()
    first = team_page(histories[first_team][-1], histories[first_team], context)
    first_seconds = time.perf_counter() - started  # includes compiling the templates

    repeats = 5
    started = time.perf_counter()
    for _ in range(repeats):
        team_page(histories[first_team][-1], histories[first_team], context)
    one_seconds = (time.perf_counter() - started) / repeats

    slugs = unique_slugs([team.name for team in config.teams])
    started = time.perf_counter()
    pages = [team_page(history[-1], history, context) for history in histories.values()]
    index = comparison_page(week, [history[-1] for history in histories.values()], slugs, context)
    all_seconds = time.perf_counter() - started

    # the quarter index of a 52-week range run: its cost grows with teams x weeks, not with what
    # the weeks hold, so the computed weeks stand in for a year of them
    year = {
        name: [history[i % len(history)] for i in range(QUARTER_WEEKS)] for name, history in histories.items()
    }
    started = time.perf_counter()
    quarter = quarter_page(year, slugs, context)
    quarter_seconds = time.perf_counter() - started

    started = time.perf_counter()
    one_team_histories(tables, config, week, [config.teams[0]])
    history_seconds = time.perf_counter() - started

    return {
        "teams": len(config.teams),
        "compute_weeks_8_weeks_seconds": computed,
        "first_page_seconds": first_seconds,
        "one_page_seconds": one_seconds,
        "all_pages_seconds": all_seconds,
        "pages": len(pages) + 1,
        "team_page_kib": len(first.encode()) / 1024,
        "comparison_page_kib": len(index.encode()) / 1024,
        "team_history_one_team_seconds": history_seconds,
        "quarter_weeks": QUARTER_WEEKS,
        "quarter_index_seconds": quarter_seconds,
        "quarter_index_kib": len(quarter.encode()) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    figures = measure(arguments.scale)
    text = json.dumps(figures, indent=2)
    if arguments.json:
        arguments.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
