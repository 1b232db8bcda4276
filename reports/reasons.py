"""Why the team brought you in: the six agreed escalation scenarios, plus escalations outside
them, each with a plain name and the next step it calls for. Defined once, used by every page.

The keys are the reason names of `[escalation.reasons]` (label -> reason) as radar.example.toml
and the demo workspace spell them; any other reason a config names is shown by its own name
with a general next step.
"""

from __future__ import annotations

from dataclasses import dataclass

UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class Reason:
    name: str  # the reason as the config spells it
    title: str  # in plain words
    next_step: str


REASONS: dict[str, Reason] = {
    reason.name: reason
    for reason in (
        Reason(
            "stakeholder-misalignment",
            "Stakeholders disagree or are unhappy",
            "Talk to the stakeholders named in these issues this week, before the disagreement "
            "reaches the plan; then tell the team what was agreed and why.",
        ),
        Reason(
            "resource-timeline-risk",
            "More work than the team can deliver in time",
            "Decide what gives: cut scope, move a date or find people, and say so to whoever is "
            "waiting on the work. Only you can trade these off.",
        ),
        Reason(
            "dependency",
            "Another team's late work holds this one up",
            "Raise it with the other team's manager, agree a date or a workaround, and write the "
            "outcome on the issue so the team can plan around it.",
        ),
        Reason(
            "unexplained-model-behaviour",
            "A model behaves in a way the team cannot explain",
            "Sit with the team on the evidence for an hour; agree what to check next and who "
            "decides whether the model ships as it is.",
        ),
        Reason(
            "unresolved-technical-debate",
            "A technical disagreement the team could not settle",
            "Hear both sides, decide or name who decides, and write down the reasoning so the team "
            "can settle the next one like it without you.",
        ),
        Reason(
            "scope-change",
            "The scope grew past what was agreed",
            "Compare the issue with what was agreed; accept the change with a new date or send it "
            "back to whoever asked for it.",
        ),
        Reason(
            UNSPECIFIED,
            "Outside the agreed reasons to escalate",
            "These reached you without one of the agreed reasons. Go through them with the team and "
            "agree again, with examples, which situations need you and which the team decides.",
        ),
    )
}


def reason_of(name: str) -> Reason:
    """The plain name and next step of a reason; a reason outside the six scenarios is named as
    the config spells it and gets a general next step."""
    known = REASONS.get(name)
    if known is not None:
        return known
    title = name.replace("-", " ").replace("_", " ").strip().capitalize() or "Other"
    return Reason(
        name,
        title,
        "Decide whether this kind of question needs you; if not, tell the team who decides it from now on.",
    )
