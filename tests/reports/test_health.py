"""Never a false all-clear (SPEC §7): a source that never synced or failed in this run greys the
lights it feeds, with the reason, and the subject says "data incomplete"."""

from __future__ import annotations

from metrics.result import ChecklistLight
from reports.email import weekly_message
from reports.health import grey_out, mark_incomplete, source_problems
from reports.render import PageContext, team_page
from tests.reports.factory import TeamWeekFactory, checklist

GREEN = checklist("green", "green", "green", "green", "green")


def typed(entries: list[dict[str, object]]) -> list[ChecklistLight]:
    return [ChecklistLight(**entry) for entry in entries]  # type: ignore[arg-type]


def colours(lights: list[ChecklistLight]) -> dict[str, str]:
    return {light.item: light.colour for light in lights}


def test_a_failed_github_greys_coding_and_reviews_only() -> None:
    lights = grey_out(typed(GREEN), {"github": "GitHub sync failed: acme/x: 401 Bad credentials"})
    assert colours(lights) == {
        "coding": "grey",
        "reviews": "grey",
        "tactical_ownership": "green",
        "strategic_involvement": "green",
        "decisions": "green",
    }
    assert lights[0].reason == "GitHub sync failed: acme/x: 401 Bad credentials"
    assert lights[2].reason is None


def test_a_red_light_of_a_failed_source_loses_its_next_step() -> None:
    red = checklist("red", "red", "red", "red", "red")
    lights = grey_out(typed(red), {"jira": "no data synced yet (Jira DS)"})
    assert colours(lights)["decisions"] == "grey" and lights[4].next_step is None
    assert colours(lights)["coding"] == "red" and lights[0].next_step == "Act on coding."


def test_source_problems_from_state_and_failures() -> None:
    sources = {"github": ["acme/churn", "acme/features"], "jira": ["DS"]}
    # Everything synced before, nothing failed now: no problem.
    synced = {"github": {"acme/churn", "acme/features"}, "jira": {"DS"}}
    assert source_problems(sources, synced, []) == {}
    # A repo without an entry in the sync state: never synced.
    partly = {"github": {"acme/churn"}, "jira": {"DS"}}
    assert source_problems(sources, partly, []) == {"github": "no data synced yet (GitHub acme/features)"}
    # A failure in this run wins over an older successful sync; another team's repo does not count.
    failures = [("jira", "DS", "401 refused"), ("github", "acme/other", "404")]
    assert source_problems(sources, synced, failures) == {"jira": "Jira sync failed: DS: 401 refused"}
    # A team reading every repo in the store (None): fine once any repo synced.
    assert source_problems({"github": None}, {"github": set()}, []) == {
        "github": "no data synced yet (GitHub)"
    }
    assert source_problems({"github": None}, {"github": {"*"}}, []) == {}


def test_subject_never_says_all_green_with_incomplete_data(team_week: TeamWeekFactory) -> None:
    tw = team_week()
    green = team_week(summary={**tw.to_json(), "checklist": GREEN})
    assert weekly_message(green, "").subject.endswith(": all green")
    failed = mark_incomplete(green, {"github": "GitHub sync failed: acme/x: 401"})
    assert weekly_message(failed, "").subject == (
        "Delegation radar — Churn & Retention — week 2026-W47: data incomplete"
    )
    # Red or yellow lights of the healthy source are still counted.
    busy = mark_incomplete(tw, {"jira": "no data synced yet (Jira)"})  # coding yellow, reviews red
    assert weekly_message(busy, "").subject.endswith(": data incomplete, 1 red, 1 yellow")
    # The metrics' own result is not changed (metrics.json keeps the measured colours).
    assert green.to_json()["checklist"] == GREEN


def test_the_page_shows_the_reason(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = mark_incomplete(team_week(), {"github": "GitHub sync failed: acme/x: 401 Bad credentials"})
    html = team_page(tw, [tw], context)
    assert html.count("Not judged:</strong> GitHub sync failed: acme/x: 401 Bad credentials") == 2
