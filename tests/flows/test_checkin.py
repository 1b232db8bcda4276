"""`radar checkin`: the Friday self-check from a file or the terminal into the store, bad input
refused with exit 2 and nothing stored, and the answers on the team page beside the lights."""

from __future__ import annotations

import html
import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from core.config import load_config
from core.store import Store
from flows.cli import app
from flows.practice import read_checkin
from metrics.selfcheck import ITEM_KEYS
from tests.flows.workspace import TEAM_A, TEAM_B, WEEK, write_workspace

# coding_time red, technical_decisions green, quality_standards red, hands_on_detail green;
# the rest of the mindset list green (5 green, 1 red), the technical list 2 green 2 yellow 1 red.
ANSWERS = {
    "coding_time": "red",
    "business_priorities": "green",
    "reports_work": "green",
    "stakeholders": "green",
    "development_plans": "green",
    "team_health": "green",
    "hands_on_detail": "green",
    "technical_decisions": "green",
    "knowledge_sharing": "yellow",
    "technical_emergencies": "yellow",
    "quality_standards": "red",
}


def radar(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def answers_file(folder: Path, answers: dict[str, str], extra: str = "") -> Path:
    path = folder / "answers.toml"
    path.write_text("".join(f'{k} = "{v}"\n' for k, v in answers.items()) + extra, "utf-8")
    return path


def stored(config: Path) -> pl.DataFrame:
    return Store(load_config(config).store_path).read("checkins")


def test_answers_file_is_stored_and_a_second_answer_replaces_the_first(tmp_path: Path) -> None:
    config = write_workspace(tmp_path)
    path = answers_file(tmp_path, ANSWERS)
    code, out, err = radar(
        "checkin", "--config", str(config), "--team", TEAM_A, "--week", WEEK, "--answers", str(path)
    )
    assert (code, err) == (0, "")
    assert f"stored the self-check of '{TEAM_A}' for week {WEEK}" in out
    assert "Mindset: act now (5 green, 0 yellow, 1 red)" in out
    assert "Technical involvement: act now (2 green, 2 yellow, 1 red)" in out
    assert "red — Quality standards: Write down the standards" in out
    rows = stored(config)
    assert rows.height == 11
    assert set(rows.get_column("team")) == {TEAM_A} and set(rows.get_column("week")) == {WEEK}
    tables = Store(load_config(config).store_path).read_all()
    found = read_checkin(tables, TEAM_A, WEEK)
    assert found is not None and found[0] == ANSWERS

    second = {**ANSWERS, "coding_time": "yellow"}
    radar(
        "checkin",
        "--config",
        str(config),
        "--team",
        TEAM_A,
        "--week",
        WEEK,
        "--answers",
        str(answers_file(tmp_path, second)),
    )
    rows = stored(config)
    assert rows.height == 11  # replaced, not added
    assert rows.filter(pl.col("item") == "coding_time").get_column("colour").to_list() == ["yellow"]


@pytest.mark.parametrize(
    ("change", "extra", "message"),
    [
        ({}, 'coding = "green"\n', "unknown item 'coding' (items: " + ", ".join(ITEM_KEYS) + ")"),
        ({"team_health": "amber"}, "", "team_health: 'amber' is not green, yellow or red"),
        ({"team_health": None}, "", "not answered: team_health"),
    ],
)
def test_bad_answers_exit_2_with_one_line_and_store_nothing(
    tmp_path: Path, change: dict[str, str | None], extra: str, message: str
) -> None:
    config = write_workspace(tmp_path)
    answers = {k: v for k, v in {**ANSWERS, **change}.items() if v is not None}
    path = answers_file(tmp_path, answers, extra)  # type: ignore[arg-type]
    code, _, err = radar(
        "checkin", "--config", str(config), "--team", TEAM_A, "--week", WEEK, "--answers", str(path)
    )
    assert code == 2
    assert err == f"radar: {path}: {message}\n"
    assert stored(config).height == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "Nope"], "radar: no team named 'Nope' in the config"),
        (["--team", TEAM_A, "--week", "2026-W99"], "radar: '2026-W99' is not an ISO week like 2026-W47"),
        (["--team", TEAM_A, "--week", "2999-W01"], "radar: week 2999-W01 has not started yet"),
        ([], "radar: --team is needed with --answers: the config has several teams"),
    ],
)
def test_bad_team_or_week_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    config = write_workspace(tmp_path)
    path = answers_file(tmp_path, ANSWERS)
    code, _, err = radar("checkin", "--config", str(config), *args, "--answers", str(path))
    assert code == 2 and err.count("\n") == 1 and err.startswith(message)
    assert stored(config).height == 0


def test_not_toml_exits_2(tmp_path: Path) -> None:
    config = write_workspace(tmp_path)
    path = tmp_path / "answers.toml"
    path.write_text("coding_time = green\n", "utf-8")
    code, _, err = radar("checkin", "--config", str(config), "--team", TEAM_A, "--answers", str(path))
    assert code == 2 and err.startswith(f"radar: {path}: is not valid TOML")


def test_prompts_ask_each_item_with_its_three_descriptions(tmp_path: Path) -> None:
    config = write_workspace(tmp_path)
    # A wrong answer is asked again; letters and words both work.
    typed = "\n".join(["purple", "g", *["green"] * 5, "y", "yellow", "r", "RED", "g"]) + "\n"
    code, out, err = radar("checkin", "--config", str(config), "--team", TEAM_B, "--week", WEEK, stdin=typed)
    assert (code, err) == (0, "")
    assert out.count("your answer") == 12  # eleven items, one asked twice
    assert "Over 40 % of my week was coding" in out and "Every significant technical decision" in out
    found = read_checkin(Store(load_config(config).store_path).read_all(), TEAM_B, WEEK)
    assert found is not None
    assert [found[0][k] for k in ITEM_KEYS] == ["green"] * 6 + ["yellow", "yellow", "red", "red", "green"]


def page_text(path: Path, section: str) -> str:
    match = re.search(rf'<section id="{section}".*?</section>', path.read_text("utf-8"), re.S)
    assert match is not None, section
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))))


def test_the_page_shows_answers_scores_and_disagreements(tmp_path: Path) -> None:
    # min_sample = 1: the workspace's week has 1 merged PR and 2 tactical issues, which the
    # default of 5 would call too few to judge (grey, so nothing to disagree with).
    config = write_workspace(tmp_path, extra="[thresholds]\nmin_sample = 1\n")
    radar(
        "checkin",
        "--config",
        str(config),
        "--team",
        TEAM_A,
        "--week",
        WEEK,
        "--answers",
        str(answers_file(tmp_path, ANSWERS)),
    )
    code, _, err = radar("report", "--config", str(config), "--week", WEEK)
    assert (code, err) == (0, "")
    page = tmp_path / "out" / WEEK / "churn-retention.html"
    text = page_text(page, "selfcheck")
    assert "Act now 1 red: act on it now" in text  # both lists have one red
    assert "Act now: Reserve time this week to hand the coding" in text  # coding_time's step on red
    # Measured in 2026-W10 (tests/flows/workspace.py), team Churn & Retention:
    #  coding: nino's commits 08:00 and 09:30 on 3 Mar = one session of 1.5 h + 0.5 h = 2 h,
    #    2 / 40 = 5 % < 40 % (2 reports) -> green; said red -> "harsher"
    #  tactical_ownership: DS-1 and DS-2 active (no [delegation] rules: both tactical), DS-1
    #    escalated: 1 / 2 = 50 % > 2 x 10 % -> red; said green
    #  review_share: PR 1 (by ana) merged and reviewed by nino: 1 / 1 = 100 % -> red; said red: agree
    #  commit_share: nino 2 of the 3 commits in acme/churn = 67 % >= 1 / 3 -> red; said green
    notes = re.findall(r'data-pair="([^"]+)"', page.read_text("utf-8"))
    assert notes == [
        "coding_time:coding",
        "technical_decisions:tactical_ownership",
        "hands_on_detail:commit_share",
    ]
    assert "You rated coding time red, while your coding share is green this week" in text
    assert "You rated team technical decisions green, but the tactical escalation rate is red" in text
    other = page_text(tmp_path / "out" / WEEK / "feature-store.html", "selfcheck")
    assert f"No self-check for week {WEEK} yet" in other
    assert f"radar checkin --config {config} --team 'Feature Store' --week {WEEK}" in other


def test_help_lists_every_item_key() -> None:
    code, out, _ = radar("checkin", "--help")
    assert code == 0
    assert all(key in out for key in ITEM_KEYS)
