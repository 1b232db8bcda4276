"""Coding share (SPEC §5.1), each expected number worked out by hand from the definition."""

from __future__ import annotations

import pytest

from core.weeks import Week
from metrics.coding import size_target
from metrics.weekly import team_weeks
from tests.metrics.builders import WEEK, config, frame, t


def commit(
    sha: str, at: str, author: str | None = "mia-gh", email: str | None = None, pr: int | None = None
) -> dict:
    return {
        "repo": "acme/app",
        "sha": sha,
        "author": author,
        "author_email": email,
        "authored_at": t(at),
        "committed_at": t(at),
        "pr_number": pr,
    }


def coding(tables: dict, cfg=None, week: str = WEEK) -> dict:
    cfg = cfg or config()
    return team_weeks(tables, cfg, Week.parse(week, cfg.zone))[0].to_json()["coding"]


def test_three_commits_make_two_sessions() -> None:
    # 09:00 and 10:30 are 90 min apart (<= 120): one session 09:00-10:30 + 30 min = 2.0 h.
    # 15:00 is 4.5 h later: a session of its own, 0 + 30 min = 0.5 h.  Total 2.5 h; 2.5 / 40 = 6.25 %.
    commits = frame(
        "commits",
        [commit("a", "2026-11-17 09:00"), commit("b", "2026-11-17 10:30"), commit("c", "2026-11-17 15:00")],
    )
    result = coding({"commits": commits})
    # Three reports (one team): target 40 %; a complete week expects 40 h x 5 / 5 = 40 h.
    assert result == {
        "hours": 2.5,
        "share": 0.0625,
        "target": 0.40,
        "colour": "green",
        "reports": 3,
        "expected_hours": 40.0,
    }


def test_gap_of_exactly_two_hours_joins_and_one_minute_more_splits() -> None:
    # 09:00 -> 11:00 is exactly 120 min: joins, 2 h + 0.5 = 2.5 h.
    # Next day 09:00 -> 11:01 is 121 min: two sessions of 0.5 h each = 1.0 h.  Total 3.5 h.
    commits = frame(
        "commits",
        [
            commit("a", "2026-11-17 09:00"),
            commit("b", "2026-11-17 11:00"),
            commit("c", "2026-11-18 09:00"),
            commit("d", "2026-11-18 11:01"),
        ],
    )
    assert coding({"commits": commits})["hours"] == pytest.approx(3.5)


def test_session_is_cut_at_the_week_boundary() -> None:
    # Sunday 23:30 is in W47 (0.5 h); Monday 00:30 belongs to W48 (0.5 h there), though 60 min apart.
    commits = frame("commits", [commit("a", "2026-11-22 23:30"), commit("b", "2026-11-23 00:30")])
    assert coding({"commits": commits})["hours"] == 0.5
    assert coding({"commits": commits}, week="2026-W48")["hours"] == 0.5


def test_week_boundary_in_local_time_across_dst_change() -> None:
    # Europe/Berlin, 2026-W43: Mon 19 Oct 00:00 CEST (= 18 Oct 22:00 UTC) to Mon 26 Oct 00:00 CET
    # (= 25 Oct 23:00 UTC); clocks go back on 25 Oct.  Only the 22:30 UTC commit of 18 Oct is inside.
    cfg = config(timezone="Europe/Berlin")
    commits = frame(
        "commits",
        [
            commit("before", "2026-10-18 21:30"),  # 23:30 CEST Sunday: W42
            commit("inside", "2026-10-18 22:30"),  # 00:30 CEST Monday: W43
            commit("after", "2026-10-25 23:30"),  # 00:30 CET Monday 26 Oct: W44
        ],
    )
    assert coding({"commits": commits}, cfg, "2026-W43")["hours"] == 0.5
    assert coding({"commits": commits}, cfg, "2026-W44")["hours"] == 0.5


def test_handover_pr_commits_do_not_count() -> None:
    # PR 7 carries "Handover" (labels match case-insensitively): its commit is not coding; PR 8's is.
    prs = frame(
        "pull_requests",
        [
            {"repo": "acme/app", "number": 7, "author": "m1-gh", "labels": ["Handover"]},
            {"repo": "acme/app", "number": 8, "author": "m1-gh", "labels": ["feature"]},
        ],
    )
    commits = frame("commits", [commit("a", "2026-11-17 09:00", pr=7), commit("b", "2026-11-18 09:00", pr=8)])
    assert coding({"commits": commits, "pull_requests": prs})["hours"] == 0.5


def test_commit_without_login_matched_by_email_and_bots_ignored() -> None:
    # The login-less commit with MIA@x.io is the manager's (emails match case-insensitively): 0.5 h.
    # Team commits this week: mia 1, m1 1, and a bot (ignored) -> manager commit share 1 / 2 = 0.5.
    cfg = config()
    commits = frame(
        "commits",
        [
            commit("a", "2026-11-17 09:00", author=None, email="MIA@x.io"),
            commit("b", "2026-11-17 09:00", author="M1-GH"),
            commit("c", "2026-11-17 09:00", author="dependabot[bot]"),
            commit("d", "2026-11-17 09:00", author="ci-robot"),
        ],
    )
    week = team_weeks({"commits": commits}, cfg, Week.parse(WEEK, cfg.zone))[0]
    assert week.to_json()["coding"]["hours"] == 0.5
    assert week.coding.manager_commit_share == 0.5
    assert week.unmapped.is_empty()


def test_same_sha_counted_once() -> None:
    # One commit pushed to two of the team's repos (a fork and its source) is one commit:
    # a single 0.5 h session, not two overlapping ones; and only one of the two team commits.
    cfg = config(github={"repos": ["acme/app", "acme/app-fork"]})
    commits = frame(
        "commits",
        [commit("a", "2026-11-17 09:00", pr=3), {**commit("a", "2026-11-17 09:00"), "repo": "acme/app-fork"}],
    )
    week = team_weeks({"commits": commits}, cfg, Week.parse(WEEK, cfg.zone))[0]
    assert week.to_json()["coding"]["hours"] == 0.5
    assert week.coding.sessions["commits"].to_list() == [1]


@pytest.mark.parametrize(
    ("size", "target"), [(1, 0.40), (6, 0.40), (7, 0.20), (12, 0.20), (13, 0.10), (20, 0.10)]
)
def test_team_size_bands(size: int, target: float) -> None:
    assert size_target(size) == target
    assert coding({}, config(members=size))["target"] == target


def _hours_of_commits(total_hours: float) -> list[dict]:
    # One session from 09:00 to 09:00 + (total - 0.5) h, commits every 60 min (and the end): total h.
    span_minutes = int((total_hours - 0.5) * 60)
    minutes = [*list(range(0, span_minutes, 60)), span_minutes]
    rows = []
    for i, minute in enumerate(minutes):
        day = 16 + (minute // (24 * 60))
        rest = minute % (24 * 60)
        rows.append(commit(f"s{i}", f"2026-11-{day:02d} {rest // 60:02d}:{rest % 60:02d}"))
    return rows


@pytest.mark.parametrize(
    ("total", "colour"),
    [(7.5, "green"), (8.0, "yellow"), (15.5, "yellow"), (16.0, "red")],
)
def test_colour_edges_for_seven_reports(total: float, colour: str) -> None:
    # Team of 7: target 20 %.  8 h / 40 = 20 % -> yellow (from target); 16 h / 40 = 40 % -> red
    # (target + 20 points); 7.5 h = 18.75 % green; 15.5 h = 38.75 % yellow.
    result = coding({"commits": frame("commits", _hours_of_commits(total))}, config(members=7))
    assert result["hours"] == pytest.approx(total)
    assert result["colour"] == colour


def test_share_is_capped_at_one() -> None:
    # 50 h of sessions in a 40 h week -> share 1.0, red.
    result = coding({"commits": frame("commits", _hours_of_commits(50.0))})
    assert result["hours"] == pytest.approx(50.0)
    assert result["share"] == 1.0
    assert result["colour"] == "red"


def test_empty_week() -> None:
    # No commits: 0 h is a measured 0 % (below every target), so green.
    assert coding({}) == {
        "hours": 0.0,
        "share": 0.0,
        "target": 0.40,
        "colour": "green",
        "reports": 3,
        "expected_hours": 40.0,
    }


def test_two_managers_committing_at_the_same_hours_keep_their_own_sessions() -> None:
    # Mia (team Core) commits at 10:00 and 11:00, Leo (team Edge) at 10:30, all on Tue 17 Nov.
    # Mia's commits are 60 min apart (<= 120): one session 10:00-11:00 + 30 min = 1.5 h.
    # Leo's one commit: 0 + 30 min = 0.5 h. Leo's commit between Mia's must not cut her session
    # in two (that would give her 0.5 + 0.5 = 1.0 h).
    cfg = config(
        people=[
            {"id": "mia", "github": ["mia-gh"]},
            {"id": "leo", "github": ["leo-gh"]},
            {"id": "m1", "github": ["m1-gh"]},
            {"id": "m2", "github": ["m2-gh"]},
        ],
        teams=[
            {"name": "Core", "manager": "mia", "members": ["m1"]},
            {"name": "Edge", "manager": "leo", "members": ["m2"]},
        ],
    )
    commits = frame(
        "commits",
        [
            commit("a", "2026-11-17 10:00", author="mia-gh"),
            commit("b", "2026-11-17 10:30", author="leo-gh"),
            commit("c", "2026-11-17 11:00", author="mia-gh"),
        ],
    )
    weeks = team_weeks({"commits": commits}, cfg, Week.parse(WEEK, cfg.zone))
    hours = {week.team.name: week.to_json()["coding"]["hours"] for week in weeks}
    assert hours == {"Core": 1.5, "Edge": 0.5}
