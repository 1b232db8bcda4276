"""The demo workspace: deterministic, schema-exact, and showing every colour of the Friday checklist."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from core.config import Config, load_config
from core.schemas import PRIMARY_KEYS, SCHEMAS
from core.state import STATE_FILE, SyncState
from core.store import Store, part_name
from core.weeks import Week
from demo.teams import DEFAULT_LAST_WEEK, TEAMS, WEEKS
from demo.workspace import write_demo_workspace
from metrics.checklist import CHECKLIST_ITEMS
from metrics.scope import Identities
from metrics.weekly import team_weeks

COLOURS = ("green", "yellow", "red", "grey")
LETTER = {"g": "green", "y": "yellow", "r": "red", ".": "grey"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, dict[str, pl.DataFrame]]:
    config = load_config(write_demo_workspace(tmp_path_factory.mktemp("demo")))
    return config, Store(config.store_path).read_all()


@pytest.fixture(scope="module")
def checklists(workspace: tuple[Config, dict[str, pl.DataFrame]]) -> dict[tuple[str, int], dict[str, str]]:
    """(team, week index) -> item -> colour, over the 13 demo weeks."""
    config, tables = workspace
    last = Week.parse(DEFAULT_LAST_WEEK, config.zone)
    result: dict[tuple[str, int], dict[str, str]] = {}
    for index in range(WEEKS):
        week = last.previous(config.zone, WEEKS - 1 - index)
        for team_week in team_weeks(tables, config, week):
            result[(team_week.team.name, index)] = team_week.colours()
    return result


@pytest.fixture(scope="module")
def empty_week_colours(workspace: tuple[Config, dict[str, pl.DataFrame]]) -> dict[str, str]:
    """What the metrics say about a week with no data at all (the colour of "nothing to judge")."""
    config, _ = workspace
    empty = {name: pl.DataFrame(schema=schema) for name, schema in SCHEMAS.items()}
    week = Week.parse(DEFAULT_LAST_WEEK, config.zone)
    [result] = team_weeks(empty, config, week, teams=config.teams[:1])
    return result.colours()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def test_same_seed_and_week_give_byte_identical_files(tmp_path: Path) -> None:
    week = Week.parse("2026-W10", Config(timezone="Europe/Berlin").zone)
    write_demo_workspace(tmp_path / "a", week, seed=3)
    write_demo_workspace(tmp_path / "b", week, seed=3)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    # The config, the sync state, and each table's parts: one file per repo of the GitHub tables.
    assert sorted(name for name in first if name.count("/") < 2) == ["data/" + STATE_FILE, "radar.toml"]
    assert {name.split("/")[1] for name in first if name.count("/") == 2} == {f"{t}.parquet" for t in SCHEMAS}
    repos = load_config(tmp_path / "a" / "radar.toml").github.repos  # type: ignore[union-attr]
    commits = sorted(name for name in first if name.startswith("data/commits.parquet/"))
    assert commits == sorted(f"data/commits.parquet/{part_name('commits', repo)}" for repo in repos)
    assert first == second


def test_writing_again_over_an_existing_workspace_gives_the_same_files(tmp_path: Path) -> None:
    write_demo_workspace(tmp_path)
    before = _files(tmp_path)
    write_demo_workspace(tmp_path)
    assert _files(tmp_path) == before


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    one = Store(load_config(write_demo_workspace(tmp_path / "a", seed=7)).store_path).read("commits")
    two = Store(load_config(write_demo_workspace(tmp_path / "b", seed=8)).store_path).read("commits")
    assert not one.equals(two)


def test_tables_have_exact_schemas_and_unique_primary_keys(workspace: tuple[Config, Any]) -> None:
    config, _ = workspace
    for table, schema in SCHEMAS.items():
        # Read the files themselves, not through the store (which would conform the types).
        parts = [pl.read_parquet(path) for _, path in Store(config.store_path).parts(table)]
        assert [part.schema for part in parts] == [schema] * len(parts), table
        frame = pl.concat(parts)
        assert frame.height > 0, table
        key = list(PRIMARY_KEYS[table])
        assert frame.select(key).is_duplicated().sum() == 0, table


def test_config_is_offline_ready_with_relative_paths(tmp_path: Path) -> None:
    path = write_demo_workspace(tmp_path)
    text = path.read_text("utf-8")
    config = load_config(path)
    assert 'store = "data"' in text and 'output = "out"' in text
    assert config.store_path == (tmp_path / "data").resolve()
    assert config.output_path == (tmp_path / "out").resolve()
    assert config.email is None  # messages are written as .eml files
    assert config.timezone == "Europe/Berlin"
    assert config.github is not None and config.github.token == "env:GITHUB_TOKEN"
    assert config.jira is not None and config.jira.token.startswith("env:")
    assert config.escalation.reasons and config.delegation.handover_labels == ["handover"]
    synced = SyncState(Store(config.store_path)).last_synced()
    week = Week.parse(DEFAULT_LAST_WEEK, config.zone)
    assert synced == {"github": week.end, "jira": week.end}


def test_data_covers_the_13_weeks_ending_with_the_given_week(tmp_path: Path) -> None:
    # The CLI hands over the last complete week as computed in UTC; the demo reads its label.
    week = Week.of(date(2025, 3, 12), Config().zone)
    config = load_config(write_demo_workspace(tmp_path, week))
    local = Week.parse(week.label, config.zone)
    first = local.previous(config.zone, WEEKS - 1)
    tables = Store(config.store_path).read_all()
    commits = tables["commits"].get_column("authored_at")
    assert commits.min() >= first.start  # type: ignore[operator]
    assert commits.max() < local.end  # type: ignore[operator]
    for table, column in (("reviews", "submitted_at"), ("issue_events", "at"), ("comments", "created_at")):
        assert tables[table].get_column(column).max() < local.end, table  # type: ignore[operator]
    prs = tables["pull_requests"]
    assert prs.get_column("updated_at").max() < local.end  # type: ignore[operator]
    assert prs.filter(pl.col("state") == "open").height > 0  # some are still open at the end


def test_team_sizes_and_managers(workspace: tuple[Config, Any]) -> None:
    config, _ = workspace
    assert [(team.name, len(team.members)) for team in config.teams] == [
        ("Forecasting", 4),
        ("Churn & Retention", 9),
        ("Data Platform", 14),
    ]
    assert all(team.manager not in team.members for team in config.teams)


def test_bots_and_unmapped_identities_are_present(
    workspace: tuple[Config, Mapping[str, pl.DataFrame]],
) -> None:
    config, tables = workspace
    ids = Identities.of(config)
    prs, commits, reviews = tables["pull_requests"], tables["commits"], tables["reviews"]
    assert "dependabot[bot]" in prs.get_column("author").to_list()
    assert "dependabot[bot]" in commits.get_column("author").to_list()
    assert config.bots == ["release-bot"]
    assert "release-bot" in commits.get_column("author").to_list()

    logins = pl.concat(
        [prs.get_column("author"), reviews.get_column("reviewer"), commits.get_column("author")]
    )
    unmapped = {
        login
        for login in logins.drop_nulls().unique().to_list()
        if login.lower() not in ids.github and not login.endswith("[bot]") and login not in config.bots
    }
    assert "jo-contractor" in unmapped
    no_login = commits.filter(pl.col("author").is_null())
    emails = no_login.get_column("author_email").str.to_lowercase().to_list()
    assert any(email in ids.emails for email in emails)  # matched by email only
    assert any(email not in ids.emails for email in emails)  # an unmapped address

    jira_people = pl.concat(
        [tables["comments"].get_column("author"), tables["issues"].get_column("reporter")]
    ).drop_nulls()
    assert any(identity not in ids.jira for identity in jira_people.unique().to_list())


def test_github_data_has_the_cases_the_metrics_must_handle(workspace: tuple[Config, Any]) -> None:
    config, tables = workspace
    prs, requests, commits = tables["pull_requests"], tables["review_requests"], tables["commits"]
    assert prs.filter(pl.col("draft")).height > 0
    assert prs.filter(pl.col("state") == "closed").height > 0  # closed without merging
    handover = prs.filter(pl.col("labels").list.contains("handover"))
    assert handover.height > 0
    assert (
        commits.join(
            handover.select("repo", pl.col("number").alias("pr_number")), on=["repo", "pr_number"]
        ).height
        > 0
    )
    assert requests.filter(pl.col("removed_at").is_not_null()).height > 0
    assert requests.filter(pl.col("reviewer").str.starts_with("team:")).height > 0
    assert commits.filter(pl.col("pr_number").is_null()).height > 0  # straight to the default branch
    assert prs.filter(~pl.col("url").str.starts_with("https://github.com/acme/")).height == 0
    urls = prs.select(pl.format("https://github.com/{}/pull/{}", "repo", "number")).to_series()
    assert urls.equals(prs.get_column("url"), check_names=False)
    assert config.github.base_url == "https://api.github.com"


def test_jira_data_has_the_cases_the_metrics_must_handle(workspace: tuple[Config, Any]) -> None:
    config, tables = workspace
    events, comments, issues = tables["issue_events"], tables["comments"], tables["issues"]
    managers = [config.person(team.manager).jira[0] for team in config.teams]
    status = events.filter(pl.col("field") == "status")
    assert status.filter(pl.col("to_value") == "Needs Decision").height > 0
    assert status.filter(pl.col("from_value") == "Needs Decision").height > 0
    assigned = events.filter((pl.col("field") == "assignee") & pl.col("to_value").is_in(managers))
    assert assigned.filter(~pl.col("actor").is_in(managers)).height > 0  # assigned by someone else
    labels = events.filter(pl.col("field") == "labels")
    assert labels.filter(pl.col("to_value").str.contains(" needs-manager| escalation")).height > 0
    mentions = comments.filter(pl.col("mentions").list.eval(pl.element().is_in(managers)).list.any())
    assert mentions.height > 0
    assert issues.filter(pl.col("resolved_at").is_not_null()).height > 0
    assert issues.filter(pl.col("parent_key").is_not_null()).height > 0
    assert set(issues.get_column("issue_type").to_list()) >= {"Epic", "Story", "Task", "Bug"}
    assert issues.filter(~pl.col("url").str.starts_with(f"{config.jira.url}/browse/")).height == 0


def test_every_colour_the_metrics_can_give_appears_for_every_item(
    checklists: dict[tuple[str, int], dict[str, str]], empty_week_colours: dict[str, str]
) -> None:
    seen = {item: {colours[item] for colours in checklists.values()} for item in CHECKLIST_ITEMS}
    for item in CHECKLIST_ITEMS:
        # Green, yellow and red always; grey for every item that the metrics make grey when
        # there is nothing to judge (an empty week).
        expected = {"green", "yellow", "red"} | ({"grey"} if empty_week_colours[item] == "grey" else set())
        assert seen[item] >= expected, item


def test_the_offsite_week_is_a_week_with_nothing_to_judge(
    workspace: tuple[Config, Mapping[str, pl.DataFrame]],
    checklists: dict[tuple[str, int], dict[str, str]],
    empty_week_colours: dict[str, str],
) -> None:
    config, tables = workspace
    [spec] = [spec for spec in TEAMS if spec.offsite_week is not None]
    assert spec.offsite_week is not None
    week = Week.parse(DEFAULT_LAST_WEEK, config.zone).previous(config.zone, WEEKS - 1 - spec.offsite_week)
    in_week = (pl.col("t") >= week.start) & (pl.col("t") < week.end)
    repos = list(spec.repos)
    for table, column in (
        ("commits", "authored_at"),
        ("reviews", "submitted_at"),
        ("pull_requests", "created_at"),
    ):
        rows = tables[table].filter(pl.col("repo").is_in(repos)).rename({column: "t"}).filter(in_week)
        assert rows.height == 0, table
    keys = tables["issues"].filter(pl.col("project") == spec.project).get_column("key").implode()
    for table, column in (("issue_events", "at"), ("comments", "created_at")):
        rows = tables[table].filter(pl.col("key").is_in(keys)).rename({column: "t"}).filter(in_week)
        assert rows.height == 0, table
    assert checklists[(spec.name, spec.offsite_week)] == empty_week_colours


def test_every_team_week_shows_its_planned_colours(
    checklists: dict[tuple[str, int], dict[str, str]], empty_week_colours: dict[str, str]
) -> None:
    for spec in TEAMS:
        for index in range(WEEKS):
            planned = {
                item: LETTER[spec.plan[item][index]]
                if spec.plan[item][index] != "."
                else empty_week_colours[item]
                for item in CHECKLIST_ITEMS
            }
            assert checklists[(spec.name, index)] == planned, (spec.name, index)


def test_last_week_tells_each_team_story(checklists: dict[tuple[str, int], dict[str, str]]) -> None:
    last = WEEKS - 1
    forecasting = checklists[("Forecasting", last)]
    churn = checklists[("Churn & Retention", last)]
    platform = checklists[("Data Platform", last)]
    assert set(forecasting.values()) == {"green"}  # delegating well
    assert churn["coding"] == "red"  # still coding about half the week
    assert platform["reviews"] == "red" and platform["decisions"] == "red"  # the team waits on them
    assert all(colour in COLOURS for colours in checklists.values() for colour in colours.values())
