"""metrics.json is the typed results' `to_json()`: every key SPEC §6 lists, and nothing else."""

from __future__ import annotations

import json
from typing import Any

from core.weeks import Week
from metrics.weekly import metrics_document, team_weeks
from tests.metrics.builders import WEEK, config
from tests.metrics.test_escalations_decisions import scenario  # noqa: F401 - a fixture
from tests.reports.factory import busy_summary, evidence, make_team_week

# SPEC §6, v1 keys plus the v2 additions, written out from the SPEC text.
CATEGORY_ESCALATIONS = {"active", "escalated", "escalation_rate", "manager_involved", "reasons", "items"}
CATEGORY_DECISIONS = {"requested", "answered", "median_hours", "p90_hours", "pending", "stale"}
SPEC_TEAM: dict[str, Any] = {
    "team": None,
    "team_size": None,
    "coding": {"hours", "share", "target", "colour", "reports", "expected_hours"},
    "reviews": {
        "manager_review_share",
        "manager_pickup_hours",
        "team_pickup_hours",
        "waiting_on_manager",
        "top_reviewer_share",
        "colour",
    },
    "escalations": {"strategic", "implementation", "tactical", "strategic_without_manager"},
    "decisions": {"strategic", "implementation", "tactical", "colour"},
    "checklist": None,
}
WAITING = {"repo", "number", "age_hours"}
ITEM = {"key", "at", "kind", "by", "reasons"}
PENDING = {"key", "age_hours"}
STALE = {"count", "oldest_age_hours"}
LIGHT = {"item", "colour", "next_step", "too_few"}
CATEGORIES = ("strategic", "implementation", "tactical")


def spec_keys_only(team: dict[str, Any]) -> None:
    """Every key of SPEC §6 present at every level of a team entry, and no other."""
    assert set(team) == set(SPEC_TEAM)
    for section in ("coding", "reviews", "escalations", "decisions"):
        assert set(team[section]) == SPEC_TEAM[section], section
    for pr in team["reviews"]["waiting_on_manager"]:
        assert set(pr) == WAITING
    for category in CATEGORIES:
        escalations = team["escalations"][category]
        assert set(escalations) == CATEGORY_ESCALATIONS
        for item in escalations["items"]:
            assert set(item) == ITEM
        decisions = team["decisions"][category]
        assert set(decisions) == CATEGORY_DECISIONS
        assert set(decisions["stale"]) == STALE
        for pending in decisions["pending"]:
            assert set(pending) == PENDING
    assert [set(light) for light in team["checklist"]] == [LIGHT] * 5


def test_computed_week_writes_exactly_the_spec_keys(scenario: dict) -> None:  # noqa: F811
    cfg = config()
    week = Week.parse(WEEK, cfg.zone)
    document = json.loads(json.dumps(metrics_document(week, team_weeks(scenario, cfg, week))))
    assert set(document) == {"week", "as_of", "complete", "teams"}
    [team] = document["teams"]
    spec_keys_only(team)
    # the scenario has escalation items and an unanswered request (DS-3), so the lists are checked
    assert team["escalations"]["tactical"]["items"] and team["decisions"]["implementation"]["pending"]


def test_to_json_round_trips_a_full_entry() -> None:
    # A hand-written entry with something in every list (waiting PRs, items, pending, stale):
    # typed, then written back, it is the same document.
    entry = busy_summary("Churn & Retention", 3)
    tw = make_team_week(summary=entry, frames=evidence())
    written = json.loads(json.dumps(tw.to_json(), allow_nan=False))
    assert written == entry
    spec_keys_only(written)
    assert (
        written["reviews"]["waiting_on_manager"] and written["decisions"]["tactical"]["stale"]["count"] == 1
    )
