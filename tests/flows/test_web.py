"""`radar web` through FastAPI's TestClient: the check-in form, CSRF, bad input, the regenerated
page, and only the expected Host names."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from core.config import Config, load_config
from core.store import Store
from flows.web import create_app, expected_hosts, web_base_url
from metrics.selfcheck import ITEM_KEYS
from tests.flows.workspace import WEEK, write_workspace

FRIDAY = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # Friday of 2026-W10 (Asia/Tbilisi)
FORM = "/teams/churn-retention/checkin"
ANSWERS = dict.fromkeys(ITEM_KEYS, "green") | {"coding_time": "red", "knowledge_sharing": "yellow"}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = write_workspace(tmp_path, extra='[web]\nbase_url = "http://testserver"\n')
    return load_config(path)


@pytest.fixture
def client(config: Config) -> TestClient:
    return TestClient(create_app(config, ["testserver"], clock=lambda: FRIDAY), follow_redirects=False)


def token_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert match is not None
    return match.group(1)


def checkins(config: Config) -> pl.DataFrame:
    return Store(config.store_path).read("checkins")


def test_the_form_offers_each_item_with_its_three_descriptions(client: TestClient) -> None:
    response = client.get(FORM)  # no week: the week in progress on FRIDAY
    assert response.status_code == 200
    page = response.text
    assert '<input type="hidden" name="week" value="2026-W10">' in page
    assert len(re.findall(r'<input type="radio"', page)) == 33  # 11 items x 3 colours
    assert "Over 40 % of my week was coding" in page and "Every significant technical decision" in page
    assert "radar_session" in response.headers["set-cookie"]
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "form-action 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_a_valid_answer_is_stored_and_the_page_rewritten(client: TestClient, config: Config) -> None:
    token = token_of(client.get(FORM, params={"week": WEEK}).text)
    response = client.post(FORM, data={"csrf": token, "week": WEEK, **ANSWERS})
    assert response.status_code == 303
    assert response.headers["location"] == f"/weeks/{WEEK}/churn-retention.html#selfcheck"
    rows = checkins(config)
    assert rows.height == 11 and set(rows.get_column("answered_at")) == {FRIDAY}
    page = client.get(f"/weeks/{WEEK}/churn-retention.html")
    assert page.status_code == 200
    assert 'data-self="coding_time"' in page.text and "Reserve time this week to hand the coding" in page.text
    assert f'href="http://testserver/teams/churn-retention/checkin?week={WEEK}"' in page.text
    # The form now shows the stored answers; a second answer replaces the first.
    form = client.get(FORM, params={"week": WEEK}).text
    assert re.search(r'id="coding_time-red" name="coding_time" value="red" checked', form)
    client.post(FORM, data={"csrf": token, "week": WEEK, **ANSWERS, "coding_time": "yellow"})
    rows = checkins(config)
    assert rows.height == 11
    assert rows.filter(pl.col("item") == "coding_time").get_column("colour").to_list() == ["yellow"]


def test_missing_or_wrong_token_or_foreign_origin_is_refused(client: TestClient, config: Config) -> None:
    token = token_of(client.get(FORM).text)
    assert client.post(FORM, data={"week": WEEK, **ANSWERS}).status_code == 403
    assert client.post(FORM, data={"csrf": "0" * 64, "week": WEEK, **ANSWERS}).status_code == 403
    foreign = client.post(
        FORM, data={"csrf": token, "week": WEEK, **ANSWERS}, headers={"origin": "http://evil.example"}
    )
    assert foreign.status_code == 403 and "another site" in foreign.text
    # A token without the browser's session cookie is worth nothing.
    fresh = TestClient(client.app, follow_redirects=False)
    assert fresh.post(FORM, data={"csrf": token, "week": WEEK, **ANSWERS}).status_code == 403
    assert checkins(config).height == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"team_health": None}, "Please answer: Team health."),
        ({"team_health": "amber"}, "team_health: &#39;amber&#39; is not green, yellow or red"),
        ({"week": "2026-W99"}, "&#39;2026-W99&#39; is not an ISO week like 2026-W47"),
        ({"mood": "green"}, "The form sent a question this version does not know"),
        ({"week": "2026-W11"}, "week 2026-W11 has not started yet"),  # FRIDAY is in 2026-W10
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_stored(
    client: TestClient, config: Config, change: dict[str, str | None], message: str
) -> None:
    token = token_of(client.get(FORM).text)
    data = {k: v for k, v in {"csrf": token, "week": WEEK, **ANSWERS, **change}.items() if v is not None}
    response = client.post(FORM, data=data)
    assert response.status_code == 400
    assert "Nothing was saved." in response.text and message in response.text
    # What was answered stays chosen, so nothing has to be answered twice.
    assert re.search(r'id="coding_time-red" name="coding_time" value="red" checked', response.text)
    assert checkins(config).height == 0


def test_unknown_team_page_traversal_and_host_are_refused(client: TestClient) -> None:
    assert client.get("/teams/nope/checkin").status_code == 404
    assert client.get("/weeks/2026-W10/..%2Fradar.toml").status_code == 404
    assert client.get("/weeks/..%2F..%2Fdata/state.json").status_code == 404
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400


def test_index_links_each_team_to_its_form(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/teams/churn-retention/checkin?week=2026-W10"' in page
    assert 'href="/teams/feature-store/checkin?week=2026-W10"' in page
    assert "No report written yet" in page


def test_hosts_and_base_url(tmp_path: Path) -> None:
    plain = load_config(write_workspace(tmp_path / "a"))
    assert web_base_url(plain, "127.0.0.1", 8765) == "http://127.0.0.1:8765"
    assert expected_hosts(plain, "127.0.0.1") == ["127.0.0.1", "::1", "[::1]", "localhost"]
    served = load_config(
        write_workspace(tmp_path / "b", extra='[web]\nbase_url = "https://radar.acme.example"\n')
    )
    assert web_base_url(served, "0.0.0.0", 8765) == "https://radar.acme.example"
    assert "radar.acme.example" in expected_hosts(served, "0.0.0.0")
    assert "0.0.0.0" not in expected_hosts(served, "0.0.0.0")


def test_the_weekly_message_links_to_the_form_only_with_a_base_url(config: Config, tmp_path: Path) -> None:
    from core.weeks import Week
    from flows.outputs import histories
    from flows.weekly import with_checkin_link
    from reports.email import WeeklyMessage

    week = Week.parse(WEEK, config.zone)
    team_week = histories(Store(config.store_path).scan_all(), config, week)[config.teams[0].name][-1]
    message = WeeklyMessage("subject", "<p>page</p>", "lights\n")
    linked = with_checkin_link(config, team_week, message)
    assert (
        linked.text
        == f"lights\n\nYour Friday self-check: http://testserver/teams/churn-retention/checkin?week={WEEK}\n"
    )
    plain = load_config(write_workspace(tmp_path / "plain"))
    assert with_checkin_link(plain, team_week, message) == message


def test_trend_pages_are_served_too(client: TestClient, config: Config) -> None:
    folder = config.output_path / "2026-W09_2026-W10"
    folder.mkdir(parents=True)
    (folder / "churn-retention.html").write_text("<p>trend</p>", "utf-8")
    (folder / "churn-retention.eml").write_text("From: x", "utf-8")
    assert client.get("/weeks/2026-W09_2026-W10/churn-retention.html").text == "<p>trend</p>"
    assert client.get("/weeks/2026-W09_2026-W10/churn-retention.eml").status_code == 404


def test_radar_web_binds_to_loopback_unless_told(monkeypatch: pytest.MonkeyPatch, config: Config) -> None:
    from typer.testing import CliRunner

    import flows.web
    from flows.cli import app

    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(flows.web, "run_web", lambda cfg, host, port: calls.append((host, port)))
    assert config.source is not None
    assert CliRunner().invoke(app, ["web", "--config", str(config.source)]).exit_code == 0
    assert (
        CliRunner()
        .invoke(app, ["web", "--config", str(config.source), "--host", "0.0.0.0", "--port", "9000"])
        .exit_code
        == 0
    )
    assert calls == [("127.0.0.1", 8765), ("0.0.0.0", 9000)]
