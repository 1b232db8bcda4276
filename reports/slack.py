"""A team's week as a Slack Block Kit message (SPEC §7): team, week, the five lights in words with
the next step of each red or yellow one (or why a grey one is not judged), and the oldest pull
request and decision waiting on the manager. Pure: sending is in flows/slack.py."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from zoneinfo import ZoneInfo

from metrics.result import TeamWeek
from reports.email import one_line, weekly_subject
from reports.health import incomplete_reasons
from reports.render import age, checklist_lights, pending_rows, waiting_rows, week_line

EMOJI = {
    "green": ":large_green_circle:",
    "yellow": ":large_yellow_circle:",
    "red": ":red_circle:",
    "grey": ":white_circle:",
}
UTC_ZONE = ZoneInfo("UTC")
MAX_TEXT = 2900  # a section's text may hold 3000 characters


def escape(text: object) -> str:
    """Text for Slack mrkdwn: `&`, `<` and `>` escaped (so no link or mention can be injected)."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(label: str, url: str | None) -> str:
    return f"<{url}|{escape(label)}>" if url else escape(label)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_TEXT]}}


def team_blocks(
    tw: TeamWeek, allowed_hosts: Collection[str] = (), zone: ZoneInfo = UTC_ZONE
) -> dict[str, Any]:
    """The webhook payload: `text` (the notification line) and `blocks`; the header names the
    week, "to date, as of …" (in `zone`) for the week in progress."""
    lights = checklist_lights(tw.checklist)
    lines = []
    for light in lights:
        line = f"{EMOJI[light['colour']]} *{escape(light['title'])}* — {light['word']}"
        if light["next_step"]:
            line += f"\n      Next step: {escape(light['next_step'])}"
        if light["reason"]:
            line += f"\n      Not judged: {escape(light['reason'])}"
        lines.append(line)
    waiting = waiting_rows(tw.reviews, allowed_hosts)
    pending = pending_rows(tw, allowed_hosts)
    if waiting:
        pr = waiting[0]
        label = f"{pr['repo']}#{pr['number']}"
        oldest_pr = (
            f"Oldest pull request waiting on your review: {_link(label, pr['link'])} ({age(pr['age_hours'])})"
        )
    else:
        oldest_pr = "No pull request waits on your review."
    oldest_decision = (
        f"Oldest decision waiting on you: {_link(str(pending[0]['key']), pending[0]['link'])} "
        f"({age(pending[0]['age_hours'])})"
        if pending
        else "No decision waits on you."
    )
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": f"{one_line(tw.team.name)} — {week_line(tw.week, zone)}"[:150],
            },
        }
    ]
    reasons = incomplete_reasons(tw)
    if reasons:
        blocks.append(_section(f":warning: *Data incomplete:* {escape('; '.join(reasons))}"))
    blocks += [
        _section("\n".join(lines)),
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": oldest_pr}, {"type": "mrkdwn", "text": oldest_decision}],
        },
    ]
    return {"text": escape(weekly_subject(tw)), "blocks": blocks}
