"""The weekly message's content: subject, HTML page and plain-text alternative (sending is in flows)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from metrics.result import TeamWeek
from reports.change import light_changes, subject_lights
from reports.health import incomplete_reasons
from reports.mail import DEFINITIONS, InlineImage, MailBody
from reports.render import CHECKLIST_TITLES, checklist_lights, lights_in_words, link_or_none

SUBJECT_PREFIX = "Delegation radar"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class WeeklyMessage:
    """A message's content. `html` is the HTML body; `images` are the PNGs it references as
    `cid:` (multipart/related); `page` is attached as a file (the body itself when None)."""

    subject: str
    html: str
    text: str
    images: tuple[InlineImage, ...] = ()
    page: str | None = None


def one_line(value: object) -> str:
    """Any text as one header-safe line: CR, LF, U+2028/9 and every other control or format
    character become a space, runs of white space one space."""
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch for ch in text)
    return _SPACES.sub(" ", text).strip()


def subject_words(words: str, incomplete: bool) -> str:
    """The lights in words for a subject; with incomplete data never "all green" (SPEC §7)."""
    if not incomplete:
        return words
    return "data incomplete" + (f", {words}" if words not in ("all green", "no data") else "")


def weekly_subject(team_week: TeamWeek, history: Sequence[TeamWeek] = ()) -> str:
    """`Delegation radar — <team> — week <ISO week>: 2 red (coding 5th week), 1 yellow`, always one
    line; `history` (oldest first, ending with `team_week`) gives each light's streak."""
    weeks = [*[h for h in history if h.week.label != team_week.week.label], team_week]
    # `=?...?=` would be decoded as an RFC 2047 encoded word by mail libraries and clients,
    # smuggling a line break back in: break the opening sequence.
    team = one_line(team_week.team.name).replace("=?", "= ?") or "(unnamed team)"
    words = subject_words(subject_lights(light_changes(weeks)), bool(incomplete_reasons(team_week)))
    return f"{SUBJECT_PREFIX} — {team} — week {team_week.week.label}: {words}"


def _number(value: Any, unit: str) -> str:
    """A share as a whole percentage (`unit` "%"), anything else with one decimal and its unit."""
    if value is None:
        return "no data"
    if unit == "%":
        return f"{round(float(value) * 100)} %"
    return f"{float(value):.1f} {unit}"


def weekly_text(team_week: TeamWeek, allowed_hosts: Collection[str] = ()) -> str:
    """The plain-text summary: the checklist with next steps, headline numbers, what waits on you.

    Links are included only for URLs on `allowed_hosts` (the configured GitHub and Jira hosts).
    """
    coding, reviews = team_week.coding, team_week.reviews
    incomplete = incomplete_reasons(team_week)
    lines = [
        f"Delegation radar — {one_line(team_week.team.name)} — week {team_week.week.label}",
        f"Manager: {one_line(team_week.manager.display_name)} · team size {team_week.team_size}",
        f"{team_week.week.monday:%a %d %b %Y} – {team_week.week.local_sunday:%a %d %b %Y}",
        "",
        *(["Data incomplete: " + one_line("; ".join(incomplete)), ""] if incomplete else []),
        "Friday checklist",
    ]
    for light in checklist_lights(team_week.checklist):
        lines.append(f"  [{light['word']}] {light['title']}")
        if light["next_step"]:
            lines.append(f"      Next step: {one_line(light['next_step'])}")
        if light["reason"]:
            lines.append(f"      Not judged: {one_line(light['reason'])}")
    lines += [
        "",
        f"Coding share: {_number(coding.share, '%')} ({_number(coding.hours, 'h')}), "
        f"target below {_number(coding.target, '%')}",
        f"Your review share: {_number(reviews.manager_review_share, '%')}; "
        f"pickup: you {_number(reviews.manager_pickup_hours, 'h')}, "
        f"team {_number(reviews.team_pickup_hours, 'h')}",
    ]
    waiting = team_week.reviews.waiting.to_dicts()
    if waiting:
        lines += ["", "Pull requests waiting on your review"]
        for row in waiting:
            link = link_or_none(row.get("url"), allowed_hosts)
            lines.append(
                f"  {one_line(row.get('repo'))}#{row.get('number')} {one_line(row.get('title'))} "
                f"— waiting {_number(row.get('age_hours'), 'h')}" + (f" <{link}>" if link else "")
            )
    pending = team_week.decisions.pending.to_dicts()
    if pending:
        lines += ["", "Decisions waiting on you"]
        for row in pending:
            link = link_or_none(row.get("url"), allowed_hosts)
            lines.append(
                f"  {one_line(row['key'])} ({row['category']}) {one_line(row['summary'])} "
                f"— waiting {_number(row.get('age_hours'), 'h')}" + (f" <{link}>" if link else "")
            )
    lines += ["", "How the numbers are computed"]
    lines += [f"  {term}: {text}" for term, text in DEFINITIONS]
    lines += [
        "",
        "The full report is attached; every definition is in definitions.html beside the report pages.",
    ]
    return "\n".join(lines) + "\n"


def weekly_message(
    team_week: TeamWeek,
    html: str,
    allowed_hosts: Collection[str] = (),
    mail: MailBody | None = None,
    history: Sequence[TeamWeek] = (),
) -> WeeklyMessage:
    """The message for one team's week; `html` is the rendered team page (attached), `mail` its
    mail version (the HTML body; without it the page itself is the body), `history` the weeks
    before it (for the streaks in the subject)."""
    subject, text = weekly_subject(team_week, history), weekly_text(team_week, allowed_hosts)
    if mail is None:
        return WeeklyMessage(subject, html, text)
    return WeeklyMessage(subject, mail.html, text, mail.images, html)


__all__ = ["CHECKLIST_TITLES", "WeeklyMessage", "lights_in_words", "one_line", "weekly_message"]
