"""The Friday checklist (SPEC §5.5): five lights, each red or yellow one with a next step.

`coding` is grey only when no working day of the week has begun yet; `reviews` is never grey
("none waiting" is green); the other three are grey with nothing (or too little) to judge.
"""

from __future__ import annotations

from core.config import Config
from metrics.result import ChecklistLight, Coding, Decisions, Escalations, Reviews

# The five lights, in the order every page, message and metrics.json lists them.
CHECKLIST_ITEMS = ("coding", "reviews", "tactical_ownership", "strategic_involvement", "decisions")

NEXT_STEPS: dict[str, dict[str, str]] = {
    "coding": {
        "yellow": "You are coding close to the limit for a team this size. Pick one task you own and "
        "hand it to a report with a short pairing session instead of finishing it yourself.",
        "red": "You spent well over the target writing code. Block two coaching slots next week and "
        "move your open coding work to the team; keep only what nobody else can do yet.",
    },
    "reviews": {
        "yellow": "Reviews are starting to wait on you. Name a second reviewer for each area so your "
        "approval is not the default gate.",
        "red": "The team is waiting on your reviews. Clear the oldest requests today, then remove "
        "yourself as a required reviewer where a senior engineer can approve.",
    },
    "tactical_ownership": {
        "yellow": "Some day-to-day decisions are coming up to you. When one arrives, ask the person "
        "what they would do, and agree that they decide next time.",
        "red": "The team is escalating tactical work to you. Write down which decisions the team "
        "owns outright and send escalations back with a question, not an answer.",
    },
    "strategic_involvement": {
        "yellow": "Some strategic issues moved this week without you. Read them and leave a comment "
        "on direction before they settle.",
        "red": "Most strategic work moved without you. Put time in your calendar for the strategic "
        "issues on this list; that is the work only you can do.",
    },
    "decisions": {
        "yellow": "Decisions wait a day or more for you. Answer the pending ones first thing Monday, "
        "or say who else can decide.",
        "red": "Decisions wait three days or more for you. Go through the pending list today and "
        "decide, delegate, or say when you will answer.",
    },
}


def strategic_colour(active: int, involved: int) -> str:
    """Share of active strategic issues with the manager involved: 100 % green, >= 50 % yellow."""
    if active == 0:
        return "grey"
    share = involved / active
    if share >= 1.0:
        return "green"
    return "yellow" if share >= 0.5 else "red"


def tactical_colour(rate: float | None, threshold: float, active: int, min_sample: int) -> str:
    """Tactical escalation rate: green <= threshold, yellow <= 2x, red above; grey with fewer
    than `min_sample` active tactical issues (too few to judge)."""
    if rate is None or active < min_sample:
        return "grey"
    if rate <= threshold:
        return "green"
    return "yellow" if rate <= 2 * threshold else "red"


def too_few(count: int, min_sample: int) -> bool:
    """A ratio with a denominator above 0 and below `min_sample`: too few to judge."""
    return 0 < count < min_sample


def checklist(
    coding: Coding, reviews: Reviews, escalations: Escalations, decisions: Decisions, config: Config
) -> tuple[ChecklistLight, ...]:
    """The five lights in order, from a team week's signals."""
    min_sample = config.thresholds.min_sample
    strategic, tactical = escalations.strategic, escalations.tactical
    colours = {
        "coding": coding.colour,
        "reviews": reviews.colour,
        "tactical_ownership": tactical_colour(
            tactical.escalation_rate,
            config.thresholds.tactical_escalation_rate,
            tactical.active,
            min_sample,
        ),
        "strategic_involvement": strategic_colour(strategic.active, strategic.manager_involved),
        "decisions": decisions.colour,
    }
    few = {
        # the review share's denominator: team PRs merged in the week, not by the manager
        "reviews": too_few(reviews.merged, min_sample),
        "tactical_ownership": too_few(tactical.active, min_sample),
    }
    return tuple(
        ChecklistLight(
            item=item,
            colour=colours[item],
            next_step=NEXT_STEPS[item].get(colours[item]),
            too_few=few.get(item, False),
        )
        for item in CHECKLIST_ITEMS
    )
