"""The evidence lists through the real metrics: the hand-computed store of
tests/metrics/test_escalations_decisions.py (`scenario`), computed and drawn as a team page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl

from core.weeks import Week
from metrics.weekly import team_weeks
from reports.render import PageContext, link_hosts, team_page
from tests.metrics.builders import WEEK, config
from tests.metrics.test_escalations_decisions import scenario  # noqa: F401 - the store fixture


def rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-key="([^"]+)"', body)


def test_evidence_frames_and_lists_from_a_store(scenario: dict) -> None:  # noqa: F811
    cfg = config()
    (tw,) = team_weeks(scenario, cfg, Week.parse(WEEK, cfg.zone))
    # answered in the week, longest wait first: DS-2 left Needs Decision after 24 h, DS-1 got
    # mia's comment after 6 h
    assert tw.decisions.answered.select("key", "category", "wait_hours").to_dicts() == [
        {"key": "DS-2", "category": "strategic", "wait_hours": 24.0},
        {"key": "DS-1", "category": "tactical", "wait_hours": 6.0},
    ]
    # the issues the evidence names: the four escalated ones (DS-2 also moved without mia)
    assert tw.escalations.issues.get_column("key").to_list() == ["DS-1", "DS-2", "DS-3", "DS-4"]
    assert tw.escalations.issues.filter(pl.col("key") == "DS-2").get_column("summary").to_list() == [
        "Summary DS-2"
    ]

    context = PageContext(
        timezone="UTC",
        freshness={},
        allowed_hosts=link_hosts(cfg),
        generated_at=datetime(2026, 11, 23, 8, tzinfo=UTC),
        readme_url="definitions.html",
    )
    html = team_page(tw, [tw], context)
    # escalations by time: DS-3 Mon 08:00 (assigned), DS-1 Tue 10:00 (label), DS-2 Wed 09:00
    # (decision status), DS-4 Fri 12:00 (mention)
    assert rows(html, "escalations-table") == ["DS-3", "DS-1", "DS-2", "DS-4"]
    ds3 = html.split('<tr data-key="DS-3">', 1)[1].split("</tr>", 1)[0]
    assert 'href="https://acme.atlassian.net/browse/DS-3"' in ds3 and "Summary DS-3" in ds3
    assert "assigned to you" in ds3 and ">m1<" in ds3 and "Stakeholders disagree or are unhappy" in ds3
    assert "Mon 16 Nov 2026, 08:00" in ds3
    # strategic without you: DS-2
    strategic = html.split('id="strategic-list"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r">(DS-\d+)</a>", strategic) == ["DS-2"]
    # one step per reason: unspecified for DS-1, DS-2, DS-4 (3 issues), stakeholders for DS-3
    reasons = re.findall(r'<li data-reason="([^"]+)">(.*?)</li>', html, re.S)
    assert [(name, re.findall(r">(DS-\d+)</a>", body)) for name, body in reasons] == [
        ("unspecified", ["DS-1", "DS-2", "DS-4"]),
        ("stakeholder-misalignment", ["DS-3"]),
    ]
    # pending oldest first: DS-7 304 h, DS-3 160 h; answered longest wait first
    assert rows(html, "pending-table") == ["DS-7", "DS-3"]
    assert rows(html, "answered-table") == ["DS-2", "DS-1"]
    answered = html.split('id="answered-table"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'data-label="Waited">([^<]+)<', answered) == ["24 h", "6 h"]
