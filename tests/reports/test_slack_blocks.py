"""A team's week as Slack Block Kit (SPEC §7): the five lights in words, the next step of each red
or yellow one, the oldest waiting PR and decision, and text that cannot inject links or mentions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from reports.health import mark_incomplete
from reports.slack import team_blocks
from tests.reports.factory import TeamWeekFactory


def test_block_kit_summary(team_week: TeamWeekFactory) -> None:
    tw = team_week()  # busy week: coding yellow, reviews red, tactical red, strategic yellow, decisions red
    payload = team_blocks(tw, {"github.com", "acme.atlassian.net"})
    header, lights, context = payload["blocks"]
    expected = "Churn & Retention — Week 2026-W47: Mon 16 Nov 2026 – Sun 22 Nov 2026"
    assert header == {"type": "header", "text": {"type": "plain_text", "text": expected}}
    # The week in progress says so: to date, as of the run instant in the config's zone.
    in_progress = replace(tw, week=tw.week.at(datetime(2026, 11, 19, 9, 0, tzinfo=UTC)))
    header_now = team_blocks(in_progress, zone=ZoneInfo("Asia/Tbilisi"))["blocks"][0]["text"]["text"]
    assert header_now == "Churn & Retention — Week 2026-W47 to date, as of Thu 19 Nov 13:00"
    text = lights["text"]["text"]
    assert text.count("Next step:") == 5 and text.count("\n      ") == 5
    assert ":red_circle: *Reviews not waiting on you* — Red" in text
    assert ":large_yellow_circle: *Coding share within the target* — Yellow" in text
    oldest_pr, oldest_decision = (e["text"] for e in context["elements"])
    assert oldest_pr.startswith(
        "Oldest pull request waiting on your review: <https://github.com/acme/churn-model/pull/42|acme/churn-model#42>"
    )
    assert oldest_pr.endswith("(2.9 days)")  # 70 h
    assert oldest_decision.startswith(
        "Oldest decision waiting on you: <https://acme.atlassian.net/browse/DS-7|DS-7>"
    )
    assert payload["text"] == "Delegation radar — Churn &amp; Retention — week 2026-W47: 3 red, 2 yellow"


def test_block_kit_says_when_data_is_incomplete(team_week: TeamWeekFactory) -> None:
    tw = mark_incomplete(team_week(), {"github": "GitHub sync failed: acme/x: 401"})
    blocks = team_blocks(tw)["blocks"]
    assert blocks[1]["text"]["text"] == ":warning: *Data incomplete:* GitHub sync failed: acme/x: 401"
    assert (
        ":white_circle: *Coding share within the target* — No data\n      Not judged: GitHub sync failed"
        in blocks[2]["text"]["text"]
    )


def test_mrkdwn_cannot_inject_links_or_mentions(team_week: TeamWeekFactory) -> None:
    tw = team_week(name="<!channel> <https://evil.example|click> & co")
    header = team_blocks(tw)["blocks"][0]["text"]["text"]
    assert header.startswith("<!channel>")  # plain_text: shown as typed, never parsed
    assert "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co" in team_blocks(tw)["text"]
