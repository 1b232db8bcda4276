"""The delivery keys of SPEC §3: [slack] webhook and a team's slack_webhook (secret references),
[[digests]] with their teams (default: every team)."""

from __future__ import annotations

import pytest

from core.config import ConfigError, parse_config
from tests.core.test_config import example


def test_example_has_slack_and_a_digest() -> None:
    config = parse_config(example())
    assert config.slack is not None and config.slack.webhook == "env:SLACK_WEBHOOK_URL"
    (digest,) = config.digests
    assert (digest.name, digest.email_to) == ("Data org", ["director@acme.example"])
    assert [team.name for team in config.digest_teams(digest)] == ["Churn & Retention"]


def test_a_team_webhook_wins_and_digests_default_to_every_team() -> None:
    data = example()
    data["teams"].append(
        {"name": "Forecasting", "manager": "nino", "slack_webhook": "prefect-secret:fc-hook"}
    )
    data["digests"] = [{"name": "All", "email_to": ["director@acme.example"]}]
    config = parse_config(data)
    assert config.team_webhook(config.teams[0]) == "env:SLACK_WEBHOOK_URL"
    assert config.team_webhook(config.teams[1]) == "prefect-secret:fc-hook"
    assert [team.name for team in config.digest_teams(config.digests[0])] == [
        "Churn & Retention",
        "Forecasting",
    ]
    del data["slack"]
    assert parse_config(data).team_webhook(config.teams[0]) is None


def test_a_literal_webhook_and_an_unknown_digest_team_are_refused() -> None:
    data = example()
    data["slack"]["webhook"] = "https://hooks.slack.com/services/T000/B000/XXXX"
    data["digests"][0]["teams"] = ["Churn & Retention", "Nobody"]
    data["digests"].append({"name": "Data org", "email_to": []})
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "radar.toml")
    problems = caught.value.problems
    assert any(p.startswith("slack.webhook: ") and "reference" in p for p in problems), problems
    assert "digests[0].teams[1]: 'Nobody' is not in [[teams]]" in problems
    assert any(p.startswith("digests[1].email_to") for p in problems), problems
    assert "hooks.slack.com" not in " ".join(problems)
