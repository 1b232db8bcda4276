"""Change over time: each light's change since last week and its streak (weeks in a row red or
yellow), for the team page, the subject line, the comparison page and the quarter index.

Pure functions over TeamWeeks (oldest first); the one place these are computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from metrics.checklist import CHECKLIST_ITEMS
from metrics.result import TeamWeek
from metrics.scope import COLOUR_RANK

WORSE, BETTER, SAME, UNJUDGED = "worse", "better", "same", "not judged"
SHORT = {
    "coding": "coding",
    "reviews": "reviews",
    "tactical_ownership": "tactical",
    "strategic_involvement": "strategic",
    "decisions": "decisions",
}
_FLAGGED = ("red", "yellow")


def colours_of(tw: TeamWeek) -> dict[str, str]:
    """The five checklist colours of a week, in checklist order."""
    return tw.colours()


def change(now: str, before: str | None) -> str:
    """How a light moved since last week: worse, better, same, or not judged (grey either week)."""
    if before is None or now == "grey" or before == "grey":
        return UNJUDGED
    if COLOUR_RANK[now] > COLOUR_RANK[before]:
        return WORSE
    if COLOUR_RANK[now] < COLOUR_RANK[before]:
        return BETTER
    return SAME


def light_streak(colours: Sequence[str]) -> int:
    """Weeks in a row, ending with the last colour (oldest first), that were red or yellow."""
    count = 0
    for colour in reversed(colours):
        if colour not in _FLAGGED:
            break
        count += 1
    return count


def streak(history: Sequence[TeamWeek]) -> int:
    """Weeks in a row, ending with the last of `history` (oldest first), in which the team had a
    red or yellow light."""
    flagged = ["red" if any(c in _FLAGGED for c in colours_of(tw).values()) else "green" for tw in history]
    return light_streak(flagged)


def ordinal(n: int) -> str:
    """`1st`, `2nd`, `3rd`, `4th`, `11th`, `22nd`."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def light_changes(history: Sequence[TeamWeek]) -> list[dict[str, Any]]:
    """Per light of the last week of `history` (oldest first, in weeks): its colour, last week's,
    the change, its streak, and `known` (how many weeks the streak could see)."""
    if not history:
        return []
    weeks = [colours_of(tw) for tw in history]
    now = weeks[-1]
    before = weeks[-2] if len(weeks) > 1 else {}
    result = []
    for item in CHECKLIST_ITEMS:
        run = light_streak([w[item] for w in weeks])
        result.append(
            {
                "item": item,
                "colour": now[item],
                "was": before.get(item),
                "change": change(now[item], before.get(item)),
                "streak": run,
                "known": len(weeks),
            }
        )
    return result


def streak_text(weeks: int, known: int) -> str:
    """`5th week in a row`; `8th week or more` when every week looked at was red or yellow;
    `new this week` for the first."""
    if weeks <= 0:
        return ""
    if weeks == 1:
        return "new this week" if known > 1 else ""
    more = " or more" if weeks >= known else ""
    return f"{ordinal(weeks)} week in a row{more}"


def change_text(entry: Mapping[str, Any]) -> str:
    """`worse than last week (was yellow)`, `better …`, `same as last week`, or empty."""
    if entry["change"] == WORSE:
        return f"worse than last week (was {entry['was']})"
    if entry["change"] == BETTER:
        return f"better than last week (was {entry['was']})"
    if entry["change"] == SAME:
        return "same as last week"
    if entry["was"] == "grey" and entry["colour"] != "grey":
        return "no data last week"
    return ""


def subject_lights(changes: Sequence[Mapping[str, Any]]) -> str:
    """`2 red (coding 5th week), 1 yellow`: the lights in words, with each light that has been
    red or yellow for two weeks or more named with its streak; `all green` or `no data` else."""
    parts = []
    for colour in ("red", "yellow"):
        lights = [c for c in changes if c["colour"] == colour]
        if not lights:
            continue
        long = [f"{SHORT[c['item']]} {ordinal(c['streak'])} week" for c in lights if c["streak"] >= 2]
        parts.append(f"{len(lights)} {colour}" + (f" ({', '.join(long)})" if long else ""))
    if parts:
        return ", ".join(parts)
    return "all green" if any(c["colour"] == "green" for c in changes) else "no data"
