"""Config errors name the file and the key path, all at once; secrets stay references."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from core.config import ConfigError, SecretError, load_config, parse_config, resolve_secret

EXAMPLE = Path(__file__).parents[2] / "radar.example.toml"


def example() -> dict:
    return tomllib.loads(EXAMPLE.read_text())


def problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "radar.toml")
    return caught.value.problems


def test_example_documents_a_valid_config() -> None:
    config = load_config(EXAMPLE)
    assert config.teams[0].name == "Churn & Retention"
    assert config.store_path == EXAMPLE.parent / "data"
    assert config.email is not None and config.email.from_ == "Delegation Radar <radar@acme.example>"
    assert config.coding.session_gap_minutes == 120
    # Europe/Tbilisi is filed as Asia/Tbilisi in the IANA database: found under its real region.
    assert config.zone.key == "Asia/Tbilisi"


def test_every_problem_at_once_with_key_paths() -> None:
    data = example()
    data["teams"][0]["manager"] = "nina"
    data["teams"][0]["members"].append("ghost-person")
    data["thresholds"]["tactical_escalation_rate"] = "high"
    data["coding"]["session_gap"] = 90
    data["timezone"] = "Mars/Olympus"
    found = problems(data)
    assert "teams[0].manager: 'nina' is not in [[people]]" in found
    assert "teams[0].members[3]: 'ghost-person' is not in [[people]]" in found
    assert "coding.session_gap: unknown key" in found
    assert any(p.startswith("thresholds.tactical_escalation_rate:") for p in found)
    assert any(p.startswith("timezone: unknown time zone 'Mars/Olympus'") for p in found)
    assert len(found) == 5


def test_error_text_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "radar.toml"
    path.write_text('timezone = "UTC"\nstore = 3\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: store: Input should be a valid string (got 3)"


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("timezone = \n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(bad)


def test_literal_token_is_rejected() -> None:
    data = example()
    data["github"]["token"] = "ghp_abc123"
    found = problems(data)
    assert found == ["github.token: must be a reference: 'env:NAME' or 'prefect-secret:BLOCK_NAME'"]
    assert "ghp_abc123" not in " ".join(found)


@pytest.mark.parametrize("reference", ["env:", "prefect-secret:"])
def test_a_reference_without_a_name_says_the_name_is_missing(reference: str) -> None:
    """A prefix with nothing after it is refused in words a person can act on."""
    data = example()
    data["github"]["token"] = reference
    assert problems(data) == ["github.token: names no variable or block after the prefix"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254",
        "file:///etc/passwd",
        "https://api.github.com.evil.example",
        "https://169.254.169.254/x",
    ],
)
def test_unsafe_base_urls_are_rejected(url: str) -> None:
    data = example()
    data["github"]["base_url"] = url
    assert [p.split(":")[0] for p in problems(data)] == ["github.base_url"]


def test_local_https_server_with_port_is_accepted() -> None:
    data = example()
    data["github"]["base_url"] = "https://127.0.0.1:8443/api/v3"
    data["jira"]["url"] = "https://localhost:9443"
    config = parse_config(data, "radar.toml")
    assert config.github is not None and config.github.base_url == "https://127.0.0.1:8443/api/v3"


def test_duplicate_identity_and_manager_as_member() -> None:
    data = example()
    data["people"][1]["github"] = ["NINO-B"]
    data["teams"][0]["members"].append("nino")
    found = problems(data)
    assert "people[1].github: 'NINO-B' already belongs to 'nino'" in found
    assert "teams[0].members[3]: 'nino' is the manager (members excludes the manager)" in found


def test_secrets_resolve_only_on_demand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADAR_TEST_TOKEN", "s3cret")
    assert resolve_secret("env:RADAR_TEST_TOKEN") == "s3cret"
    monkeypatch.delenv("RADAR_TEST_TOKEN")
    with pytest.raises(SecretError, match="RADAR_TEST_TOKEN is not set"):
        resolve_secret("env:RADAR_TEST_TOKEN")


def test_team_defaults_to_all_repos_and_projects() -> None:
    data = example()
    del data["teams"][0]["repos"]
    del data["teams"][0]["jira_projects"]
    config = parse_config(data, "radar.toml")
    assert config.team_repos(config.teams[0]) == ["acme/churn-model", "acme/feature-store"]
    assert config.team_projects(config.teams[0]) == ["DS"]


def test_schedule_defaults_to_friday_afternoon_and_rejects_an_impossible_cron() -> None:
    assert parse_config({}).schedule.cron == "0 15 * * 5"
    # Five fields, but no minute 99, hour 99 or weekday 9: refused here, not at `radar serve`.
    assert problems({"schedule": {"cron": "99 99 * * 9"}}) == [
        "schedule.cron: '99 99 * * 9' is not a valid cron expression (Bad minute)"
    ]


def test_an_impossible_cron_is_refused_when_the_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "radar.toml"
    path.write_text('[schedule]\ncron = "99 99 * * 9"\n', "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert (
        str(caught.value)
        == f"{path}: schedule.cron: '99 99 * * 9' is not a valid cron expression (Bad minute)"
    )


@pytest.mark.parametrize(
    "cron",
    [
        "0 15 * * 5",
        "0 15 * * FRI",
        "0 15 * * 5#2",
        "0 15 L * *",
        "*/15 * * * *",
        "0 15 * * 0-7",
        "0 15 * * 5L",
        "0 15 LW * *",
        "0 15 1W * *",
        "0 15 ? * 5",
        "H 15 * * 5",
        "0 0 30 2 *",
        "@weekly",
    ],
)
def test_a_cron_the_config_takes_is_one_prefect_schedules(cron: str) -> None:
    """What `radar serve` builds from [schedule] cron is Prefect's Cron schedule: whatever the
    config accepts, it accepts too (`5L` and `LW` passed cronsim alone, then failed at serve)."""
    from prefect.schedules import Cron

    try:
        parse_config({"schedule": {"cron": cron}})
    except ConfigError as error:
        assert [p.split(":")[0] for p in error.problems] == ["schedule.cron"]
        return
    Cron(cron)  # raises if Prefect would refuse it at `radar serve`
