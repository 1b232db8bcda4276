"""A digest (SPEC §7): the comparison of some teams for a director, once a week, with each light's
change since last week and each team's streak (weeks in a row with a red or yellow light).
Pure: the views and the message text; the mail HTML is reports/mail.py's `digest_mail`."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from metrics.result import TeamWeek
from reports.change import BETTER, WORSE, change, colours_of, streak
from reports.email import SUBJECT_PREFIX, one_line
from reports.health import incomplete_reasons
from reports.mail import DEFINITIONS
from reports.render import CHECKLIST_SHORT, checklist_lights, lights_in_words


def streak_words(weeks: int, known: int) -> str:
    """`3 weeks in a row`; `8+ weeks` when every week we looked at was red or yellow."""
    if weeks == 0:
        return "none"
    text = f"{weeks}{'+' if weeks >= known else ''} {'week' if weeks == 1 else 'weeks'}"
    return text + (" in a row" if weeks > 1 else "")


def digest_rows(histories: Mapping[str, Sequence[TeamWeek]]) -> list[dict[str, Any]]:
    """One row per team (in the given order): its lights now, last week's and the change, its
    streak. Each history is oldest first and ends with the week of the digest."""
    rows = []
    for history in histories.values():
        current = history[-1]
        before = colours_of(history[-2]) if len(history) > 1 else {}
        lights = []
        for light in checklist_lights(current.checklist):
            was = before.get(light["item"])
            lights.append({**light, "was": was, "change": change(light["colour"], was)})
        weeks = streak(history)
        rows.append(
            {
                "name": current.team.name,
                "manager": current.manager.display_name,
                "lights": lights,
                "in_words": lights_in_words([light["colour"] for light in lights]),
                "incomplete": incomplete_reasons(current),
                "streak": weeks,
                "streak_words": streak_words(weeks, len(history)),
            }
        )
    return rows


def digest_subject(name: str, week_label: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """`Delegation radar — Data org — week 2026-W10: 2 of 3 teams red or yellow; data incomplete for 1`."""
    flagged = sum(any(light["colour"] in ("red", "yellow") for light in row["lights"]) for row in rows)
    incomplete = sum(bool(row["incomplete"]) for row in rows)
    words = f"{flagged} of {len(rows)} {'team' if len(rows) == 1 else 'teams'} red or yellow"
    if incomplete:
        words += f"; data incomplete for {incomplete}"
    digest = one_line(name).replace("=?", "= ?") or "(unnamed digest)"
    return f"{SUBJECT_PREFIX} — {digest} — week {week_label}: {words}"


def _arrow(light: Mapping[str, Any]) -> str:
    if light["change"] == WORSE:
        return f" (worse, was {light['was']})"
    if light["change"] == BETTER:
        return f" (better, was {light['was']})"
    return ""


def digest_text(name: str, week_label: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """The plain-text part: per team its five lights with their change and its streak."""
    lines = [f"Delegation radar — {one_line(name)} — week {week_label}", ""]
    for row in rows:
        lines.append(f"{one_line(row['name'])} ({one_line(row['manager'])}): {row['in_words']}")
        if row["incomplete"]:
            lines.append(f"  Data incomplete: {one_line('; '.join(row['incomplete']))}")
        for light in row["lights"]:
            lines.append(f"  [{light['word']}] {CHECKLIST_SHORT[light['item']]}{_arrow(light)}")
        lines.append(f"  Red or yellow streak: {row['streak_words']}")
        lines.append("")
    lines += ["How the numbers are computed"]
    lines += [f"  {term}: {text}" for term, text in DEFINITIONS]
    lines += [
        "",
        "The comparison page is attached; every definition is in definitions.html beside the pages.",
    ]
    return "\n".join(lines) + "\n"


def digest_slug(name: str) -> str:
    """`digest-data-org`: the file stem of a digest's attachment and .eml file."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    return "digest-" + ("-".join(words) or "unnamed")
