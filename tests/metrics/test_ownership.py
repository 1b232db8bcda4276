"""Which team a pull request or an issue belongs to, and the order evidence is listed in, at the
edges the everyday scenarios do not reach: a team listing its own repos, teams with no members,
a team listing no Jira project, a closed pull request, equal waits. Each number by hand."""

from __future__ import annotations

from typing import Any

from core.config import Config
from core.weeks import Week
from metrics.result import TeamWeek
from metrics.weekly import team_weeks
from tests.metrics.builders import WEEK, config, frame, t
from tests.metrics.test_escalations_decisions import comment, event, issue
from tests.metrics.test_reviews import pr, request


def by_team(tables: dict[str, Any], cfg: Config) -> dict[str, TeamWeek]:
    return {week.team.name: week for week in team_weeks(tables, cfg, Week.parse(WEEK, cfg.zone))}


def test_a_pull_request_outside_the_teams_listed_repos_is_not_the_teams() -> None:
    # Core lists only acme/app. Both PRs are m1's, open, with a request to mia since Tue 10:00
    # that she never answered; only app#5 is a team PR, so only it waits on her.
    cfg = config(teams=[{"name": "Core", "manager": "mia", "members": ["m1"], "repos": ["acme/app"]}])
    tables = {
        "pull_requests": frame("pull_requests", [pr(5, "m1-gh"), {**pr(6, "m1-gh"), "repo": "acme/other"}]),
        "review_requests": frame(
            "review_requests",
            [
                request(5, "mia-gh", "2026-11-17 10:00"),
                {**request(6, "mia-gh", "2026-11-17 10:00"), "repo": "acme/other"},
            ],
        ),
    }
    waiting = by_team(tables, cfg)["Core"].to_json()["reviews"]["waiting_on_manager"]
    # Tue 10:00 to the week's end, Mon 23 Nov 00:00: 14 + 24 x 5 = 134 h
    assert waiting == [{"repo": "acme/app", "number": 5, "age_hours": 134.0}]


def test_a_pull_request_closed_without_merging_waits_on_no_one() -> None:
    # Both open requests to mia since Tue 10:00; #7 was closed (not merged) on Wed: at week end
    # only #5 is open, so only #5 waits.
    tables = {
        "pull_requests": frame(
            "pull_requests",
            [pr(5, "m1-gh"), {**pr(7, "m2-gh"), "state": "closed", "closed_at": t("2026-11-18 12:00")}],
        ),
        "review_requests": frame(
            "review_requests",
            [request(5, "mia-gh", "2026-11-17 10:00"), request(7, "mia-gh", "2026-11-17 10:00")],
        ),
    }
    waiting = by_team(tables, config())["Core"].to_json()["reviews"]["waiting_on_manager"]
    assert [row["number"] for row in waiting] == [5]


def test_teams_of_managers_alone_sharing_a_project_split_it_by_assignee() -> None:
    # Core (mia) and Edge (leo) have no members and both read DS. DS-1 is assigned to leo: Edge's.
    # DS-2 is assigned to mia: Core's. DS-3 has no assignee and no reporter: the first team listing
    # DS in the config, Core. Each has a comment on Tue (activity in the week): tactical issues
    # active, Core 2 and Edge 1.
    cfg = config(
        people=[{"id": "mia", "jira": ["acc-mia"]}, {"id": "leo", "jira": ["acc-leo"]}],
        teams=[{"name": "Core", "manager": "mia"}, {"name": "Edge", "manager": "leo"}],
    )
    tables = {
        "issues": frame(
            "issues",
            [
                issue("DS-1", assignee="acc-leo", reporter=None),
                issue("DS-2", assignee="acc-mia", reporter=None),
                issue("DS-3", reporter=None),
            ],
        ),
        "comments": frame(
            "comments", [comment(f"DS-{n}", f"c{n}", "acc-x", "2026-11-17 10:00") for n in (1, 2, 3)]
        ),
    }
    teams = by_team(tables, cfg)
    active = {name: week.to_json()["escalations"]["tactical"]["active"] for name, week in teams.items()}
    assert active == {"Core": 2, "Edge": 1}


def test_a_team_that_lists_no_jira_project_has_no_issues() -> None:
    # Core lists no project (jira_projects = []); Edge reads DS: DS-1, commented on Tue (active
    # in the week), is Edge's only.
    cfg = config(
        people=[
            {"id": "mia", "jira": ["acc-mia"]},
            {"id": "leo", "jira": ["acc-leo"]},
            {"id": "m1", "jira": ["acc-m1"]},
        ],
        teams=[
            {"name": "Core", "manager": "mia", "members": ["m1"], "jira_projects": []},
            {"name": "Edge", "manager": "leo", "jira_projects": ["DS"]},
        ],
    )
    tables = {
        "issues": frame("issues", [issue("DS-1")]),
        "comments": frame("comments", [comment("DS-1", "c1", "acc-x", "2026-11-17 10:00")]),
    }
    teams = by_team(tables, cfg)
    active = {name: week.to_json()["escalations"]["tactical"]["active"] for name, week in teams.items()}
    assert active == {"Core": 0, "Edge": 1}


def test_answers_of_equal_wait_are_listed_by_key() -> None:
    # DS-2, DS-10 and DS-5 each wait 5 h (request Wed 09:00 by m2, mia's comment Wed 14:00);
    # DS-7 waits 6 h (09:00 to 15:00). Longest first, then by key as text: DS-10 < DS-2 < DS-5.
    keys = ["DS-2", "DS-10", "DS-5", "DS-7"]
    tables = {
        "issues": frame("issues", [issue(key) for key in keys]),
        "issue_events": frame(
            "issue_events",
            [
                event(key, f"e{i}", "status", "2026-11-18 09:00", "acc-m2", "Open", "Needs Decision")
                for i, key in enumerate(keys)
            ],
        ),
        "comments": frame(
            "comments",
            [
                comment(key, f"c{i}", "acc-mia", "2026-11-18 15:00" if key == "DS-7" else "2026-11-18 14:00")
                for i, key in enumerate(keys)
            ],
        ),
    }
    answered = by_team(tables, config())["Core"].decisions.answered
    assert answered.select("key", "wait_hours").rows() == [
        ("DS-7", 6.0),
        ("DS-10", 5.0),
        ("DS-2", 5.0),
        ("DS-5", 5.0),
    ]
