"""Metric truth v2 (SPEC §5): as of an instant, no look-ahead, issue state at as_of, the manager as
the unit of coding, min_sample, stale requests.  Every expected number is worked out by hand.

2026-W47 runs Mon 16 Nov 00:00 to Mon 23 Nov 00:00 UTC (the default config's zone is UTC).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.config import parse_config
from core.weeks import Week
from metrics.weekly import team_weeks
from tests.metrics.builders import WEEK, config, frame, t
from tests.metrics.test_coding import commit
from tests.metrics.test_escalations_decisions import comment, event, issue
from tests.metrics.test_reviews import pr, request, review


def week_as_of(at: str | None = None, label: str = WEEK) -> Week:
    week = Week.parse(label, config().zone)
    return week if at is None else week.at(t(at))


def summary(tables: dict, at: str | None = None, cfg=None, label: str = WEEK, team: int = 0) -> dict:
    cfg = cfg or config()
    return team_weeks(tables, cfg, week_as_of(at, label))[team].to_json()


# --- the week in progress -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "days", "expected"),
    [
        ("2026-11-16 00:00:01", 1, 8.0),  # Monday 00:00 is before as_of: d = 1 -> 40 x 1/5 = 8 h
        ("2026-11-18 12:00", 3, 24.0),  # Mon, Tue, Wed begun: 40 x 3/5 = 24 h
        ("2026-11-20 15:00", 5, 40.0),  # Friday afternoon: all five working days begun
        ("2026-11-22 20:00", 5, 40.0),  # Sunday: still 5
    ],
)
def test_expected_hours_follow_the_working_days_begun(at: str, days: int, expected: float) -> None:
    assert week_as_of(at).workdays_before(config().zone) == days
    # 09:00 -> 10:00 on Monday: one session 1 h + 0.5 h = 1.5 h.
    commits = frame("commits", [commit("a", "2026-11-16 09:00"), commit("b", "2026-11-16 10:00")])
    coding = summary({"commits": commits}, at)["coding"]
    assert coding["expected_hours"] == expected
    assert coding["hours"] == (1.5 if t(at) > t("2026-11-16 10:00") else 0.0)


def test_wednesday_noon_share_is_against_three_days() -> None:
    # Sessions Mon 09:00-13:00 (4.5 h) and Tue 09:00-13:00 (4.5 h) = 9 h; Thursday's commit is later.
    # As of Wed 12:00: 9 / 24 = 37.5 % -> green against 40 % (3 reports); as a complete week
    # (Thursday 09:00 adds 0.5 h): 9.5 / 40 = 23.75 %.
    commits = frame(
        "commits",
        [
            commit("a", "2026-11-16 09:00"),
            commit("b", "2026-11-16 11:00"),
            commit("c", "2026-11-16 13:00"),
            commit("d", "2026-11-17 09:00"),
            commit("e", "2026-11-17 11:00"),
            commit("f", "2026-11-17 13:00"),
            commit("g", "2026-11-19 09:00"),
        ],
    )
    early = summary({"commits": commits}, "2026-11-18 12:00")["coding"]
    assert (early["hours"], early["share"], early["colour"]) == (9.0, 0.375, "green")
    full = summary({"commits": commits})["coding"]
    assert (full["hours"], full["share"]) == (9.5, pytest.approx(0.2375))


def test_document_says_as_of_and_complete() -> None:
    from metrics.weekly import metrics_document

    cfg = config()
    week = week_as_of("2026-11-20 15:00")
    document = metrics_document(week, team_weeks({}, cfg, week))
    assert (document["as_of"], document["complete"]) == ("2026-11-20T15:00:00Z", False)
    whole = week_as_of()
    document = metrics_document(whole, team_weeks({}, cfg, whole))
    assert (document["as_of"], document["complete"]) == ("2026-11-23T00:00:00Z", True)
    # An instant after the week's end means the complete week.
    assert week_as_of("2026-12-01 09:00") == whole


# --- no look-ahead ------------------------------------------------------------------------------


def test_review_after_as_of_does_not_count_in_the_share() -> None:
    # Five PRs by m1 merged Wed; mia reviews PR 1 Thu 10:00.  As of Wed 18:00: 0 / 5 = 0 % green;
    # as of the week's end: 1 / 5 = 20 %, still green; a 2nd review Mon 23 Nov (next week) never
    # counts in W47.
    prs = frame("pull_requests", [pr(n, "m1-gh", merged="2026-11-18 10:00") for n in range(1, 6)])
    reviews = frame(
        "reviews",
        [review(1, 1, "mia-gh", "2026-11-19 10:00"), review(2, 2, "mia-gh", "2026-11-23 10:00")],
    )
    tables = {"pull_requests": prs, "reviews": reviews}
    assert summary(tables, "2026-11-18 18:00")["reviews"]["manager_review_share"] == 0.0
    assert summary(tables)["reviews"]["manager_review_share"] == 0.2


def test_merge_after_as_of_leaves_the_pr_open_and_waiting() -> None:
    # PR 7 requested from mia Tue 12:00, merged Thu 12:00 without her review.  As of Wed 12:00 it
    # is open and waits 24 h (yellow); at the week's end it is merged: nothing waits.
    tables = {
        "pull_requests": frame("pull_requests", [pr(7, "m1-gh", merged="2026-11-19 12:00")]),
        "review_requests": frame("review_requests", [request(7, "mia-gh", "2026-11-17 12:00")]),
    }
    early = summary(tables, "2026-11-18 12:00")["reviews"]
    assert early["waiting_on_manager"] == [{"repo": "acme/app", "number": 7, "age_hours": 24.0}]
    assert early["colour"] == "yellow"
    assert summary(tables)["reviews"]["waiting_on_manager"] == []


def test_a_merge_at_the_instant_of_as_of_has_not_happened() -> None:
    # PR 7 requested from mia Tue 12:00, merged at exactly Wed 12:00.  As of Wed 12:00 the merge
    # is not there yet: the PR waits 24 h; a second later it is merged and nothing waits.
    tables = {
        "pull_requests": frame("pull_requests", [pr(7, "m1-gh", merged="2026-11-18 12:00")]),
        "review_requests": frame("review_requests", [request(7, "mia-gh", "2026-11-17 12:00")]),
    }
    at = summary(tables, "2026-11-18 12:00")["reviews"]["waiting_on_manager"]
    assert at == [{"repo": "acme/app", "number": 7, "age_hours": 24.0}]
    assert summary(tables, "2026-11-18 12:00:01")["reviews"]["waiting_on_manager"] == []


def test_answer_after_as_of_leaves_the_request_pending() -> None:
    # m1 mentions mia Mon 10:00, she answers Thu 10:00 (72 h).  As of Wed 10:00: pending 48 h,
    # yellow; at week end: answered after 72 h, red, nothing pending.
    tables = {
        "issues": frame("issues", [issue("DS-1")]),
        "comments": frame(
            "comments",
            [
                comment("DS-1", "q", "acc-m1", "2026-11-16 10:00", ["acc-mia"]),
                comment("DS-1", "a", "acc-mia", "2026-11-19 10:00"),
            ],
        ),
    }
    early = summary(tables, "2026-11-18 10:00")["decisions"]
    assert early["tactical"]["pending"] == [{"key": "DS-1", "age_hours": 48.0}]
    assert (early["tactical"]["answered"], early["colour"]) == (0, "yellow")
    late = summary(tables)["decisions"]
    assert (late["tactical"]["pending"], late["tactical"]["median_hours"], late["colour"]) == (
        [],
        72.0,
        "red",
    )


def test_label_added_after_week_end_does_not_recategorise_the_past_week() -> None:
    # DS-1 is an Epic today only because someone changed its type on Tue 24 Nov (W48), and got
    # "stakeholder" then too.  In W47 it was a Task with no labels: tactical, reason unspecified.
    tables = {
        "issues": frame("issues", [issue("DS-1", issue_type="Epic", labels=["stakeholder"])]),
        "issue_events": frame(
            "issue_events",
            [
                event("DS-1", "1", "issuetype", "2026-11-24 09:00", "acc-m1", "Task", "Epic"),
                event("DS-1", "2", "labels", "2026-11-24 09:00", "acc-m1", "", "stakeholder"),
            ],
        ),
        "comments": frame("comments", [comment("DS-1", "q", "acc-m1", "2026-11-17 10:00", ["acc-mia"])]),
    }
    past = summary(tables)["escalations"]
    assert (past["tactical"]["escalated"], past["strategic"]["active"]) == (1, 0)
    assert past["tactical"]["reasons"] == {"unspecified": 1}
    # W48 as of Tue 24 Nov 12:00 sees it as it is now: strategic, stakeholder-misalignment.
    now = summary(tables, "2026-11-24 12:00", label="2026-W48")["escalations"]
    assert (now["strategic"]["active"], now["tactical"]["active"]) == (1, 0)


def test_components_roll_back_per_component() -> None:
    # DS-1 has components [modelling, api] today; "modelling" was added Tue 24 Nov.  In W47 it had
    # [api] only: tactical, not implementation.
    tables = {
        "issues": frame("issues", [issue("DS-1", components=["modelling", "api"])]),
        "issue_events": frame(
            "issue_events",
            [event("DS-1", "1", "Component", "2026-11-24 09:00", "acc-m1", None, "modelling")],
        ),
        "comments": frame("comments", [comment("DS-1", "c", "acc-m1", "2026-11-17 10:00")]),
    }
    past = summary(tables)["escalations"]
    assert (past["tactical"]["active"], past["implementation"]["active"]) == (1, 0)


def test_a_component_removed_after_the_week_is_put_back() -> None:
    # DS-1 has components [api] today; "modelling" was removed from it Tue 24 Nov.  In W47 it had
    # [api, modelling]: an implementation issue, not a tactical one.
    tables = {
        "issues": frame("issues", [issue("DS-1", components=["api"])]),
        "issue_events": frame(
            "issue_events",
            [event("DS-1", "1", "Component", "2026-11-24 09:00", "acc-m1", "modelling", None)],
        ),
        "comments": frame("comments", [comment("DS-1", "c", "acc-m1", "2026-11-17 10:00")]),
    }
    past = summary(tables)["escalations"]
    assert (past["tactical"]["active"], past["implementation"]["active"]) == (0, 1)


def test_issue_created_after_as_of_does_not_exist() -> None:
    tables = {"issues": frame("issues", [issue("DS-1", created="2026-11-19 09:00")])}
    assert summary(tables, "2026-11-18 09:00")["escalations"]["tactical"]["active"] == 0
    assert summary(tables)["escalations"]["tactical"]["active"] == 1


def test_reassignment_after_as_of_keeps_the_issue_with_the_team_it_had() -> None:
    # DS is shared by Core (mia, m1) and Data (noa, n1).  DS-1 was assigned to m1 (Core) in W47
    # and moved to n1 (Data) on Tue 24 Nov: W47 counts it for Core.
    cfg = parse_config(
        {
            "people": [
                {"id": "mia", "jira": ["acc-mia"]},
                {"id": "m1", "jira": ["acc-m1"]},
                {"id": "noa", "jira": ["acc-noa"]},
                {"id": "n1", "jira": ["acc-n1"]},
            ],
            "teams": [
                {"name": "Core", "manager": "mia", "members": ["m1"], "jira_projects": ["DS"]},
                {"name": "Data", "manager": "noa", "members": ["n1"], "jira_projects": ["DS"]},
            ],
        }
    )
    tables = {
        "issues": frame("issues", [issue("DS-1", assignee="acc-n1", created="2026-11-17 09:00")]),
        "issue_events": frame(
            "issue_events",
            [event("DS-1", "1", "assignee", "2026-11-24 09:00", "acc-noa", "acc-m1", "acc-n1")],
        ),
    }
    core, data = team_weeks(tables, cfg, week_as_of())
    assert (
        core.to_json()["escalations"]["tactical"]["active"],
        data.to_json()["escalations"]["tactical"]["active"],
    ) == (
        1,
        0,
    )
    # Computed alone, each team says the same (one computation).
    alone = team_weeks(tables, cfg, week_as_of(), [cfg.teams[1]])
    assert [tw.team.name for tw in alone] == ["Data"]
    assert alone[0].to_json() == data.to_json()


# --- the manager as the unit of coding --------------------------------------------------------


def two_teams(first: int, second: int) -> object:
    """mia manages Core (`first` reports, repo acme/app) and Data (`second` reports, acme/data)."""
    people = [{"id": "mia", "github": ["mia-gh"], "emails": ["mia@x.io"]}]
    people += [{"id": f"p{i}"} for i in range(first + second)]
    return parse_config(
        {
            "github": {"repos": ["acme/app", "acme/data"]},
            "people": people,
            "teams": [
                {
                    "name": "Core",
                    "manager": "mia",
                    "members": [f"p{i}" for i in range(first)],
                    "repos": ["acme/app"],
                },
                {
                    "name": "Data",
                    "manager": "mia",
                    "members": [f"p{i}" for i in range(first, first + second)],
                    "repos": ["acme/data"],
                },
            ],
        }
    )


def test_a_manager_of_two_teams_is_held_to_the_target_of_all_reports() -> None:
    # 9 + 14 = 23 reports: target 10 %, red from 30 %.  Commits only in acme/data (Data's repo):
    # Mon 09:00-14:00 -> 5.5 h; Tue 09:00-14:00 -> 5.5 h; 11 h / 40 = 27.5 %: yellow on both
    # pages (Core's page sees the coding in the other team's repo).
    cfg = two_teams(9, 14)
    commits = [
        {**commit(sha, at), "repo": "acme/data"}
        for sha, at in [
            ("a", "2026-11-16 09:00"),
            ("b", "2026-11-16 11:00"),
            ("c", "2026-11-16 13:00"),
            ("d", "2026-11-16 14:00"),
            ("e", "2026-11-17 09:00"),
            ("f", "2026-11-17 11:00"),
            ("g", "2026-11-17 13:00"),
            ("h", "2026-11-17 14:00"),
        ]
    ]
    core, data = team_weeks({"commits": frame("commits", commits)}, cfg, week_as_of())
    for team_week in (core, data):
        coding = team_week.to_json()["coding"]
        assert (coding["reports"], coding["target"], coding["hours"]) == (23, 0.10, 11.0)
        assert (coding["share"], coding["colour"]) == (0.275, "yellow")
    assert core.to_json()["team_size"] == 9
    assert core.to_json()["coding"] == data.to_json()["coding"]


def test_a_sha_in_two_repos_counts_once_for_the_manager() -> None:
    cfg = two_teams(2, 2)
    commits = [
        {**commit("a", "2026-11-16 09:00"), "repo": "acme/app"},
        {**commit("a", "2026-11-16 09:00"), "repo": "acme/data"},
    ]
    core, _ = team_weeks({"commits": frame("commits", commits)}, cfg, week_as_of())
    assert core.to_json()["coding"]["hours"] == 0.5


def test_a_sha_in_two_repos_of_one_team_is_one_commit_of_the_team() -> None:
    # The team's repos are acme/app and its mirror acme/mirror.  mia's commit a is in both, m1's
    # commit b in acme/app only: the team made two commits, one of them the manager's: 1 / 2.
    cfg = config(github={"repos": ["acme/app", "acme/mirror"]})
    commits = [
        commit("a", "2026-11-16 09:00"),
        {**commit("a", "2026-11-16 09:00"), "repo": "acme/mirror"},
        commit("b", "2026-11-16 10:00", author="m1-gh"),
    ]
    (core,) = team_weeks({"commits": frame("commits", commits)}, cfg, week_as_of())
    assert core.coding.manager_commit_share == 0.5  # the page's "your commits" share


@pytest.mark.parametrize("mirror_first", [False, True])
def test_a_commit_stored_twice_is_the_copy_that_names_its_person(mirror_first: bool) -> None:
    # Commit a is in acme/app under an old login nobody mapped (mia@x.io as its email) and in the
    # mirror under no login, only mia@x.io: the copy that names a person is the one kept, in any
    # order.  The team made two commits (a by mia, b by m1): 1 / 2; nobody is unmapped.
    cfg = config(github={"repos": ["acme/app", "acme/mirror"]})
    app = commit("a", "2026-11-16 09:00", author="mia-old-login", email="mia@x.io")
    mirror = {**commit("a", "2026-11-16 09:00", author=None, email="mia@x.io"), "repo": "acme/mirror"}
    rows = [mirror, app] if mirror_first else [app, mirror]
    rows.append(commit("b", "2026-11-16 10:00", author="m1-gh"))
    (core,) = team_weeks({"commits": frame("commits", rows)}, cfg, week_as_of())
    assert core.coding.manager_commit_share == 0.5
    assert core.unmapped.height == 0


@pytest.mark.parametrize(
    ("reports", "hours", "colour"),
    [
        # 7-10 reports: green < 20 %, yellow 20-40 %, red >= 40 %.
        (10, 7.5, "green"),  # 7.5 / 40 = 18.75 %
        (10, 15.5, "yellow"),  # 38.75 %
        (10, 16.0, "red"),  # 40 %
        # 11-12 reports: red from 30 % (more than 10 people).
        (11, 11.5, "yellow"),  # 28.75 %
        (11, 12.0, "red"),  # 30 %
        # <= 6: green < 40 %, yellow 40-60 %, red >= 60 %.
        (6, 15.5, "green"),  # 38.75 %
        (6, 16.0, "yellow"),  # 40 %
        (6, 24.0, "red"),  # 60 %
        # >= 13: green < 10 %, yellow 10-30 %, red >= 30 %.
        (13, 3.5, "green"),  # 8.75 %
        (13, 4.0, "yellow"),  # 10 %
        (13, 12.0, "red"),  # 30 %
    ],
)
def test_coding_colour_edges_by_reports(reports: int, hours: float, colour: str) -> None:
    # One commit per session on separate days would cap at 0.5 h each; build one session of
    # exactly `hours`: first commit 00:00 Monday, last at hours - 0.5, every 2 h in between.
    minutes = int((hours - 0.5) * 60)
    stamps = [*range(0, minutes, 120), minutes]
    commits = [
        commit(f"s{i}", (datetime(2026, 11, 16) + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M"))
        for i, m in enumerate(stamps)
    ]
    coding = summary({"commits": frame("commits", commits)}, cfg=config(members=reports))["coding"]
    assert coding["hours"] == pytest.approx(hours)
    assert coding["colour"] == colour


# --- honest small numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(("active", "colour", "few"), [(4, "grey", True), (5, "red", False)])
def test_tactical_light_needs_min_sample_active_issues(active: int, colour: str, few: bool) -> None:
    # One escalation among 4 tactical issues: 25 % but too few to judge (grey, too_few).  Two
    # among 5: 40 % > 2 x 10 %: red, judged.
    escalated = 1 if active == 4 else 2
    issues = [issue(f"DS-{i}", created="2026-11-17 09:00") for i in range(active)]
    comments = [comment(f"DS-{i}", "q", "acc-m2", "2026-11-17 10:00", ["acc-mia"]) for i in range(escalated)]
    light = summary({"issues": frame("issues", issues), "comments": frame("comments", comments)})[
        "checklist"
    ][2]
    assert (light["item"], light["colour"], light["too_few"]) == ("tactical_ownership", colour, few)


@pytest.mark.parametrize(("days", "where"), [(27, "pending"), (28, "pending"), (29, "stale")])
def test_requests_older_than_stale_after_days_are_stale(days: int, where: str) -> None:
    # A mention made `days` days before the week's end (Mon 23 Nov 00:00), never answered.
    # Exactly 28 days is not older than 28 days: still pending.
    at = (t("2026-11-23 00:00") - timedelta(days=days)).strftime("%Y-%m-%d %H:%M")
    tables = {
        "issues": frame("issues", [issue("DS-1", created="2026-10-01 09:00")]),
        "comments": frame("comments", [comment("DS-1", "q", "acc-m1", at, ["acc-mia"])]),
    }
    decisions = summary(tables)["decisions"]
    tactical = decisions["tactical"]
    if where == "pending":
        assert tactical["pending"] == [{"key": "DS-1", "age_hours": days * 24.0}]
        assert tactical["stale"] == {"count": 0, "oldest_age_hours": None}
        assert decisions["colour"] == "red"
    else:
        assert tactical["pending"] == []
        assert tactical["stale"] == {"count": 1, "oldest_age_hours": 29 * 24.0}
        assert decisions["colour"] == "grey"  # a stale request does not colour the light


def test_one_pending_entry_per_issue_by_its_oldest_open_request() -> None:
    # DS-1: mentions Mon 10:00 and Wed 10:00, neither answered: one entry, 110 h (Mon 10:00 ->
    # Mon 23 Nov 00:00 = 6 d 14 h).  DS-2: one mention Thu 00:00 -> 72 h.  Oldest first.
    tables = {
        "issues": frame("issues", [issue("DS-1"), issue("DS-2")]),
        "comments": frame(
            "comments",
            [
                comment("DS-1", "q1", "acc-m1", "2026-11-16 10:00", ["acc-mia"]),
                comment("DS-1", "q2", "acc-m2", "2026-11-18 10:00", ["acc-mia"]),
                comment("DS-2", "q3", "acc-m1", "2026-11-20 00:00", ["acc-mia"]),
            ],
        ),
    }
    tactical = summary(tables)["decisions"]["tactical"]
    assert tactical["requested"] == 3
    assert tactical["pending"] == [{"key": "DS-1", "age_hours": 158.0}, {"key": "DS-2", "age_hours": 72.0}]


def test_request_on_an_already_resolved_issue_is_closed_at_once() -> None:
    # DS-1 was resolved Mon 09:00; a mention Tue 10:00 is a request (counted) but closed at once:
    # never answered, never pending, so the light stays grey.
    tables = {
        "issues": frame("issues", [issue("DS-1", resolved="2026-11-16 09:00")]),
        "comments": frame("comments", [comment("DS-1", "q", "acc-m1", "2026-11-17 10:00", ["acc-mia"])]),
    }
    decisions = summary(tables)["decisions"]
    assert (decisions["tactical"]["requested"], decisions["tactical"]["answered"]) == (1, 0)
    assert decisions["tactical"]["pending"] == []
    assert decisions["colour"] == "grey"


def test_an_issue_with_two_reasons_counts_once_under_each() -> None:
    # DS-1 (labels stakeholder, tech-debate) escalated twice in the week; DS-2 (stakeholder) once.
    # Escalated issues: 2.  Reasons: stakeholder-misalignment 2 (DS-1, DS-2), technical debate 1.
    tables = {
        "issues": frame(
            "issues",
            [issue("DS-1", labels=["stakeholder", "tech-debate"]), issue("DS-2", labels=["stakeholder"])],
        ),
        "comments": frame(
            "comments",
            [
                comment("DS-1", "q1", "acc-m1", "2026-11-16 10:00", ["acc-mia"]),
                comment("DS-1", "q2", "acc-m2", "2026-11-17 10:00", ["acc-mia"]),
                comment("DS-2", "q3", "acc-m1", "2026-11-18 10:00", ["acc-mia"]),
            ],
        ),
    }
    tactical = summary(tables)["escalations"]["tactical"]
    assert tactical["escalated"] == 2
    assert tactical["reasons"] == {"stakeholder-misalignment": 2, "unresolved-technical-debate": 1}
    assert [(item["key"], item["by"]) for item in tactical["items"]] == [
        ("DS-1", "m1"),
        ("DS-1", "m2"),
        ("DS-2", "m1"),
    ]
    assert tactical["items"][0]["reasons"] == ["stakeholder-misalignment", "unresolved-technical-debate"]


def test_unmapped_escalator_is_named_by_raw_identity() -> None:
    tables = {
        "issues": frame("issues", [issue("DS-1")]),
        "comments": frame(
            "comments", [comment("DS-1", "q", "acc-stranger", "2026-11-16 10:00", ["acc-mia"])]
        ),
    }
    item = summary(tables)["escalations"]["tactical"]["items"][0]
    assert (item["kind"], item["by"]) == ("mention", "acc-stranger")


def test_a_record_at_the_instant_of_as_of_is_not_seen() -> None:
    # As of Wed 12:00, "from as_of on" includes the instant itself: the request to mia made at
    # exactly Wed 12:00 is not there yet, so nothing waits; a second later it would (0 h).
    tables = {
        "pull_requests": frame("pull_requests", [pr(7, "m1-gh", created="2026-11-17 09:00")]),
        "review_requests": frame("review_requests", [request(7, "mia-gh", "2026-11-18 12:00")]),
    }
    assert summary(tables, "2026-11-18 12:00")["reviews"]["waiting_on_manager"] == []
    later = summary(tables, "2026-11-18 12:00:01")["reviews"]["waiting_on_manager"]
    assert [row["number"] for row in later] == [7]


def test_a_change_at_the_instant_of_as_of_is_rolled_back() -> None:
    # DS-1 is an Epic today; its type changed from Task at exactly Wed 12:00. As of Wed 12:00 that
    # change has not happened: DS-1 (commented on Tue, so active) is a tactical issue, not a
    # strategic one. A second later it is strategic.
    tables = {
        "issues": frame("issues", [issue("DS-1", issue_type="Epic")]),
        "issue_events": frame(
            "issue_events", [event("DS-1", "101", "issuetype", "2026-11-18 12:00", "acc-m1", "Task", "Epic")]
        ),
        "comments": frame("comments", [comment("DS-1", "c1", "acc-m1", "2026-11-17 10:00")]),
    }

    def active(at: str) -> tuple[int, int]:
        escalations = summary(tables, at)["escalations"]
        return escalations["tactical"]["active"], escalations["strategic"]["active"]

    assert active("2026-11-18 12:00") == (1, 0)
    assert active("2026-11-18 12:00:01") == (0, 1)


def test_a_comment_at_the_first_instant_of_the_week_is_in_it() -> None:
    # m1's comment on DS-1 at Mon 16 Nov 00:00 exactly, the week's first instant: DS-1 is active
    # in the week (a tactical issue), and the week read without what is older still sees it.
    tables = {
        "issues": frame("issues", [issue("DS-1")]),
        "comments": frame("comments", [comment("DS-1", "c1", "acc-m1", "2026-11-16 00:00")]),
    }
    assert summary(tables)["escalations"]["tactical"]["active"] == 1


def test_people_without_jira_identities_still_get_their_jira_numbers(tmp_path: Path) -> None:
    # Nobody in the config has a Jira account listed; m1's raw account comments on DS-1 on Monday
    # and mentions another raw account.  DS-1 is active in the week (tactical, 1); nothing can be
    # tied to mia, so nothing is escalated to her or involves her.
    cfg = parse_config(
        {
            "github": {"repos": ["acme/app"]},
            "jira": {"url": "https://acme.atlassian.net", "projects": ["DS"]},
            "people": [{"id": "mia"}, {"id": "m1"}],
            "teams": [{"name": "Core", "manager": "mia", "members": ["m1"]}],
        },
        tmp_path / "radar.toml",
    )
    tables = {
        "issues": frame("issues", [issue("DS-1")]),
        "comments": frame("comments", [comment("DS-1", "c", "acc-m1", "2026-11-16 10:00", ["acc-mia"])]),
    }
    tactical = summary(tables, cfg=cfg)["escalations"]["tactical"]
    assert (tactical["active"], tactical["escalated"], tactical["manager_involved"]) == (1, 0, 0)
