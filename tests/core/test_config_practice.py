"""The Friday practice's config keys: a team's delegation plan and [web] base_url."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from core.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).parents[2] / "radar.example.toml"


def example() -> dict:
    return tomllib.loads(EXAMPLE.read_text())


def problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "radar.toml")
    return caught.value.problems


def test_the_example_plan_reads_as_two_phases() -> None:
    team = load_config(EXAMPLE).teams[0]
    assert [(p.category, p.since, p.monday) for p in team.delegation_plan] == [
        ("tactical", "2026-W40", date(2026, 9, 28)),  # ISO 2026-W40 starts Monday 28 Sep
        ("implementation", "2026-W48", date(2026, 11, 23)),
    ]


def test_plan_errors_name_the_key() -> None:
    data = example()
    data["teams"][0]["delegation_plan"] = [
        {"category": "operational", "since": "2026-W40"},
        {"category": "strategic", "since": "2026-W41"},
        {"category": "tactical", "since": "2026-40"},
        {"category": "implementation", "since": "2026-W54"},  # 2026 has 53 ISO weeks
        {"category": "tactical", "since": "2026-W42", "until": "2026-W50"},
    ]
    assert problems(data) == [
        "teams[0].delegation_plan[0].category: 'operational' is not a category to hand over "
        "(tactical or implementation)",
        "teams[0].delegation_plan[1].category: strategic work stays with the manager; a plan hands "
        "over tactical or implementation",
        "teams[0].delegation_plan[2].since: '2026-40' is not an ISO week like 2026-W40",
        "teams[0].delegation_plan[3].since: '2026-W54' is not an ISO week like 2026-W40",
        "teams[0].delegation_plan[4].until: unknown key",
    ]


def test_a_category_has_one_phase() -> None:
    data = example()
    data["teams"][0]["delegation_plan"] = [
        {"category": "tactical", "since": "2026-W40"},
        {"category": "tactical", "since": "2026-W44"},
    ]
    assert problems(data) == ["teams[0].delegation_plan: 'tactical' has more than one phase"]


def test_web_base_url() -> None:
    data = example()
    data["web"] = {"base_url": "http://127.0.0.1:8765/"}
    assert parse_config(data, "radar.toml").web.base_url == "http://127.0.0.1:8765"
    data["web"] = {"base_url": "javascript:alert(1)"}
    assert problems(data) == [
        "web.base_url: 'javascript:alert(1)' must be an http:// or https:// URL, like http://127.0.0.1:8765"
    ]
    data["web"] = {"base_url": "http://me:pw@radar.local"}
    assert problems(data) == ["web.base_url: must not carry credentials in the URL"]
    data["web"] = {"port": 8765}
    assert problems(data) == ["web.port: unknown key"]
