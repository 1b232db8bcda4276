"""Escalations (SPEC §5.3), decision latency (§5.4) and the checklist (§5.5), worked out by hand."""

from __future__ import annotations

import json

import pytest

from core.weeks import Week
from metrics.weekly import metrics_document, team_weeks
from tests.metrics.builders import WEEK, config, frame, t


def issue(
    key: str,
    labels: list[str] | None = None,
    issue_type: str = "Task",
    created: str = "2026-11-02 09:00",
    resolved: str | None = None,
    assignee: str | None = None,
    reporter: str | None = "acc-m1",
    components: list[str] | None = None,
    project: str = "DS",
) -> dict:
    return {
        "key": key,
        "project": project,
        "issue_type": issue_type,
        "summary": f"Summary {key}",
        "url": f"https://acme.atlassian.net/browse/{key}",
        "status": "Open",
        "labels": labels or [],
        "components": components or [],
        "assignee": assignee,
        "reporter": reporter,
        "created_at": t(created),
        "updated_at": t(created),
        "resolved_at": t(resolved) if resolved else None,
    }


def event(
    key: str, eid: str, field: str, at: str, actor: str | None, old: str | None, new: str | None
) -> dict:
    return {
        "key": key,
        "event_id": eid,
        "field": field,
        "at": t(at),
        "actor": actor,
        "from_value": old,
        "to_value": new,
    }


def comment(key: str, cid: str, author: str | None, at: str, mentions: list[str] | None = None) -> dict:
    return {"key": key, "comment_id": cid, "author": author, "created_at": t(at), "mentions": mentions or []}


@pytest.fixture
def scenario() -> dict:
    issues = frame(
        "issues",
        [
            issue("DS-1", labels=["escalation"]),  # tactical
            issue("DS-2", issue_type="Epic"),  # strategic
            issue("DS-3", labels=["Design", "stakeholder"]),  # implementation (case-insensitive)
            issue("DS-4", resolved="2026-11-20 18:00"),  # tactical, resolved unanswered
            issue("DS-5", created="2026-11-18 09:00"),  # tactical, created this week
            issue("DS-6"),  # tactical, manager self-assigns
            issue("DS-7"),  # tactical, no activity this week
        ],
    )
    events = frame(
        "issue_events",
        [
            # DS-1: m1 adds "escalation" to "backend" Tue 10:00 -> escalation (label).
            event("DS-1", "101", "labels", "2026-11-17 10:00", "acc-m1", "backend", "backend escalation"),
            # DS-2: m2 moves it into Needs Decision Wed 09:00 -> escalation (decision_status); out Thu 09:00.
            event("DS-2", "201", "status", "2026-11-18 09:00", "acc-m2", "In Progress", "Needs Decision"),
            event("DS-2", "202", "status", "2026-11-19 09:00", "acc-m2", "Needs Decision", "In Progress"),
            # DS-3: m1 assigns it to mia Mon 08:00 -> escalation (assigned); never answered.
            event("DS-3", "301", "assignee", "2026-11-16 08:00", "acc-m1", "acc-m1", "acc-mia"),
            # DS-6: mia assigns it to herself: an event by the manager, not an escalation.
            event("DS-6", "601", "assignee", "2026-11-17 08:00", "acc-mia", None, "acc-mia"),
            # DS-7: label change last week only.
            event("DS-7", "701", "labels", "2026-11-10 08:00", "acc-m1", "", "escalation"),
        ],
    )
    comments = frame(
        "comments",
        [
            comment("DS-1", "c1", "acc-mia", "2026-11-17 16:00"),  # answers DS-1 after 6 h
            comment("DS-4", "c2", "acc-m2", "2026-11-20 12:00", ["acc-mia"]),  # escalation (mention)
            comment("DS-5", "c3", "acc-mia", "2026-11-18 10:00", ["acc-m1"]),  # manager mentions m1: no
        ],
    )
    return {"issues": issues, "issue_events": events, "comments": comments}


def summary_of(tables: dict, week: str = WEEK, **overrides) -> dict:
    cfg = config(**overrides)
    return team_weeks(tables, cfg, Week.parse(week, cfg.zone))[0].to_json()


def test_escalations_per_category(scenario: dict) -> None:
    result = summary_of(scenario)["escalations"]
    # Tactical active: DS-1 (event), DS-4 (comment, resolution), DS-5 (created), DS-6 (event) = 4;
    # DS-7 only moved last week.  Escalated: DS-1 (label), DS-4 (mention) = 2 -> 50 %.
    # Manager involved: DS-1 (comment), DS-5 (comment), DS-6 (event) = 3.  No reason labels.
    assert result["tactical"] == {
        "active": 4,
        "escalated": 2,
        "escalation_rate": 0.5,
        "manager_involved": 3,
        "reasons": {"unspecified": 2},
        "items": [
            {
                "key": "DS-1",
                "at": "2026-11-17T10:00:00Z",
                "kind": "label",
                "by": "m1",
                "reasons": ["unspecified"],
            },
            {
                "key": "DS-4",
                "at": "2026-11-20T12:00:00Z",
                "kind": "mention",
                "by": "m2",
                "reasons": ["unspecified"],
            },
        ],
    }
    # Strategic: DS-2 active and escalated; mia never touched it.
    assert result["strategic"] == {
        "active": 1,
        "escalated": 1,
        "escalation_rate": 1.0,
        "manager_involved": 0,
        "reasons": {"unspecified": 1},
        "items": [
            {
                "key": "DS-2",
                "at": "2026-11-18T09:00:00Z",
                "kind": "status",
                "by": "m2",
                "reasons": ["unspecified"],
            }
        ],
    }
    assert result["strategic_without_manager"] == ["DS-2"]
    # Implementation: DS-3, reason from its "stakeholder" label.
    assert result["implementation"] == {
        "active": 1,
        "escalated": 1,
        "escalation_rate": 1.0,
        "manager_involved": 0,
        "reasons": {"stakeholder-misalignment": 1},
        "items": [
            {
                "key": "DS-3",
                "at": "2026-11-16T08:00:00Z",
                "kind": "assign",
                "by": "m1",
                "reasons": ["stakeholder-misalignment"],
            }
        ],
    }


def test_decision_latency(scenario: dict) -> None:
    result = summary_of(scenario)["decisions"]
    # DS-1 requested Tue 10:00, mia comments 16:00 -> 6 h.  DS-4 resolved before any answer: closed.
    # DS-7's label escalation of Mon 10 Nov 08:00 was never answered: pending 12 d 16 h = 304 h.
    assert result["tactical"] == {
        "requested": 2,
        "answered": 1,
        "median_hours": 6.0,
        "p90_hours": 6.0,
        "pending": [{"key": "DS-7", "age_hours": 304.0}],
        "stale": {"count": 0, "oldest_age_hours": None},
    }
    # DS-2 entered Needs Decision Wed 09:00 and left it Thu 09:00 -> answered by the exit after 24 h.
    assert result["strategic"] == {
        "requested": 1,
        "answered": 1,
        "median_hours": 24.0,
        "p90_hours": 24.0,
        "pending": [],
        "stale": {"count": 0, "oldest_age_hours": None},
    }
    # DS-3 assigned Mon 16 Nov 08:00, still open at Mon 23 Nov 00:00 -> 160 h pending.
    assert result["implementation"] == {
        "requested": 1,
        "answered": 0,
        "median_hours": None,
        "p90_hours": None,
        "pending": [{"key": "DS-3", "age_hours": 160.0}],
        "stale": {"count": 0, "oldest_age_hours": None},
    }
    # Longest wait: 160 h pending -> red.
    assert result["colour"] == "red"


def test_checklist(scenario: dict) -> None:
    lights = summary_of(scenario)["checklist"]
    assert [(light["item"], light["colour"]) for light in lights] == [
        ("coding", "green"),  # no commits: 0 %
        ("reviews", "green"),  # nothing merged, nothing waiting
        ("tactical_ownership", "grey"),  # 50 % > 2 x 10 %, but 4 active < min_sample 5: too few
        ("strategic_involvement", "red"),  # 0 of 1 strategic issues involve mia
        ("decisions", "red"),
    ]
    assert all(light["next_step"] for light in lights if light["colour"] in ("red", "yellow"))
    assert all(light["next_step"] is None for light in lights if light["colour"] in ("green", "grey"))
    # too_few: 4 active tactical issues (0 < 4 < 5); no PR merged (0 is not "too few", it is none).
    assert [light["too_few"] for light in lights] == [False, False, True, False, False]


def test_comment_answers_a_status_request_before_the_exit() -> None:
    # Entered Needs Decision Mon 09:00; mia comments Mon 11:00 (2 h); the issue leaves it Tue.
    tables = {
        "issues": frame("issues", [issue("DS-9")]),
        "issue_events": frame(
            "issue_events",
            [
                event("DS-9", "1", "status", "2026-11-16 09:00", "acc-m1", "To Do", "Needs Decision"),
                event("DS-9", "2", "status", "2026-11-17 09:00", "acc-m1", "Needs Decision", "Done"),
            ],
        ),
        "comments": frame("comments", [comment("DS-9", "c", "acc-mia", "2026-11-16 11:00")]),
    }
    result = summary_of(tables)["decisions"]["tactical"]
    assert (result["answered"], result["median_hours"]) == (1, 2.0)


def test_p90_uses_linear_interpolation() -> None:
    # Five mentions on five issues answered after 1, 2, 3, 4 and 10 h.
    # Median 3; p90 at rank 0.9 x 4 = 3.6 -> 4 + 0.6 x (10 - 4) = 7.6 (nearest would give 10).
    lags = [1, 2, 3, 4, 10]
    issues = [issue(f"DS-{i}") for i in range(5)]
    comments = []
    for i, lag in enumerate(lags):
        comments.append(comment(f"DS-{i}", f"q{i}", "acc-m1", "2026-11-17 08:00", ["acc-mia"]))
        comments.append(comment(f"DS-{i}", f"a{i}", "acc-mia", f"2026-11-17 {8 + lag:02d}:00"))
    result = summary_of({"issues": frame("issues", issues), "comments": frame("comments", comments)})
    tactical = result["decisions"]["tactical"]
    assert tactical["median_hours"] == 3.0
    assert tactical["p90_hours"] == pytest.approx(7.6)
    # Longest answered wait 10 h -> green; every issue escalated -> 100 % tactical rate, red.
    assert result["decisions"]["colour"] == "green"
    assert result["escalations"]["tactical"]["escalation_rate"] == 1.0


@pytest.mark.parametrize(("lag", "colour"), [(23, "green"), (24, "yellow"), (71, "yellow"), (72, "red")])
def test_decision_colour_edges(lag: int, colour: str) -> None:
    # A mention Mon 16 Nov 00:00 answered `lag` hours later (inside the week).
    tables = {
        "issues": frame("issues", [issue("DS-1")]),
        "comments": frame(
            "comments",
            [
                comment("DS-1", "q", "acc-m1", "2026-11-16 00:00", ["acc-mia"]),
                comment("DS-1", "a", "acc-mia", f"2026-11-{16 + lag // 24:02d} {lag % 24:02d}:00"),
            ],
        ),
    }
    assert summary_of(tables)["decisions"]["colour"] == colour


@pytest.mark.parametrize(
    ("escalated", "active", "colour"), [(1, 10, "green"), (2, 10, "yellow"), (3, 10, "red")]
)
def test_tactical_ownership_edges(escalated: int, active: int, colour: str) -> None:
    # 1/10 = 10 % <= 10 % green; 2/10 = 20 % <= 2 x 10 % yellow; 3/10 = 30 % red.
    issues = [issue(f"DS-{i}", created="2026-11-17 09:00") for i in range(active)]
    comments = [comment(f"DS-{i}", "q", "acc-m2", "2026-11-17 10:00", ["acc-mia"]) for i in range(escalated)]
    result = summary_of({"issues": frame("issues", issues), "comments": frame("comments", comments)})
    assert result["escalations"]["tactical"]["escalation_rate"] == pytest.approx(escalated / active)
    light = result["checklist"][2]
    assert (light["item"], light["colour"]) == ("tactical_ownership", colour)


@pytest.mark.parametrize(("involved", "colour"), [(2, "green"), (1, "yellow"), (0, "red")])
def test_strategic_involvement_edges(involved: int, colour: str) -> None:
    # Two strategic epics active; mia comments on `involved` of them: 2/2 green, 1/2 = 50 % yellow, 0 red.
    issues = [issue(f"DS-{i}", issue_type="Epic", created="2026-11-17 09:00") for i in range(2)]
    comments = [comment(f"DS-{i}", "a", "acc-mia", "2026-11-18 10:00") for i in range(involved)]
    result = summary_of({"issues": frame("issues", issues), "comments": frame("comments", comments)})
    assert result["checklist"][3]["colour"] == colour


def test_reopened_label_list_and_manager_label_change_not_answering_itself() -> None:
    # "needs-manager" was already in the old list: not added, no escalation.  Then m1 adds
    # "escalation" while "needs-manager" stays: one escalation.
    tables = {
        "issues": frame("issues", [issue("DS-1")]),
        "issue_events": frame(
            "issue_events",
            [
                event(
                    "DS-1", "1", "labels", "2026-11-16 09:00", "acc-m1", "needs-manager", "needs-manager ml"
                ),
                event(
                    "DS-1",
                    "2",
                    "labels",
                    "2026-11-16 10:00",
                    "acc-m1",
                    "needs-manager ml",
                    "ESCALATION needs-manager ml",
                ),
            ],
        ),
    }
    result = summary_of(tables)
    assert result["decisions"]["tactical"]["requested"] == 1
    assert result["decisions"]["tactical"]["pending"] == [{"key": "DS-1", "age_hours": 158.0}]


def test_project_shared_by_two_teams_goes_by_assignee_then_reporter() -> None:
    cfg_people = [
        {"id": "mia", "jira": ["acc-mia"]},
        {"id": "m1", "jira": ["acc-m1"]},
        {"id": "noa", "jira": ["acc-noa"]},
        {"id": "n1", "jira": ["acc-n1"]},
    ]
    teams = [
        {"name": "Core", "manager": "mia", "members": ["m1"], "jira_projects": ["DS"]},
        {"name": "Data", "manager": "noa", "members": ["n1"], "jira_projects": ["DS"]},
    ]
    from core.config import parse_config

    cfg = parse_config({"people": cfg_people, "teams": teams})
    issues = frame(
        "issues",
        [
            issue(
                "DS-1", assignee="acc-n1", reporter="acc-m1", created="2026-11-17 09:00"
            ),  # Data (assignee)
            issue("DS-2", assignee=None, reporter="acc-m1", created="2026-11-17 09:00"),  # Core (reporter)
            issue(
                "DS-3", assignee="acc-x", reporter="acc-noa", created="2026-11-17 09:00"
            ),  # Data (reporter)
        ],
    )
    core, data = team_weeks({"issues": issues}, cfg, Week.parse(WEEK, cfg.zone))
    assert core.to_json()["escalations"]["tactical"]["active"] == 1
    assert data.to_json()["escalations"]["tactical"]["active"] == 2


def test_empty_week_document_has_nulls_not_nan() -> None:
    cfg = config()
    week = Week.parse(WEEK, cfg.zone)
    document = metrics_document(week, team_weeks({}, cfg, week))
    text = json.dumps(document, allow_nan=False)
    team = json.loads(text)["teams"][0]
    assert team["decisions"]["colour"] == "grey"
    assert team["escalations"]["tactical"]["escalation_rate"] is None
    assert [light["colour"] for light in team["checklist"]] == ["green", "green", "grey", "grey", "grey"]
    assert list(team) == ["team", "team_size", "coding", "reviews", "escalations", "decisions", "checklist"]
