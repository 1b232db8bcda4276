"""The Friday self-check (SPEC §8): two short lists a manager answers green, yellow or red each
week, their scoring, and where a self-rating and a measured light disagree.

The items, their three descriptions and the step to take on a red are defined here once; the
command line, the web form and the team page all read them from this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ANSWER_COLOURS = ("green", "yellow", "red")
_RANK = {"green": 0, "yellow": 1, "red": 2}


@dataclass(frozen=True)
class SelfCheckItem:
    """One question of the self-check, with what each colour means and the step on red."""

    key: str
    group: str  # "mindset" | "technical"
    title: str
    green: str
    yellow: str
    red: str
    red_step: str

    def describe(self, colour: str) -> str:
        return {"green": self.green, "yellow": self.yellow, "red": self.red}[colour]


@dataclass(frozen=True)
class SelfCheckGroup:
    key: str
    title: str
    question: str
    greens_needed: int  # this many greens or more: going strong


GROUPS: tuple[SelfCheckGroup, ...] = (
    SelfCheckGroup("mindset", "Mindset", "Am I playing, or coaching?", 4),
    SelfCheckGroup("technical", "Technical involvement", "Am I enabling the team, or holding it up?", 3),
)

ITEMS: tuple[SelfCheckItem, ...] = (
    SelfCheckItem(
        "coding_time",
        "mindset",
        "Coding time",
        green="Under a fifth of my week went into hands-on coding (the bar for 7–12 reports).",
        yellow="Between a fifth and two fifths of my week was coding.",
        red="Over 40 % of my week was coding, much of it work I have not handed over.",
        red_step="Reserve time this week to hand the coding you are keeping to someone on the team.",
    ),
    SelfCheckItem(
        "business_priorities",
        "mindset",
        "Business priorities",
        green="I can state the organisation's top priorities, why they matter, and tie them to our work.",
        yellow="I know what the priorities are but could not say why they matter.",
        red="I could not name the organisation's top priorities right now.",
        red_step="Meet your business leads over coffee before the week is out.",
    ),
    SelfCheckItem(
        "reports_work",
        "mindset",
        "Reports' projects and capacity",
        green="For each report I can give a half-minute rundown: wins, struggles, blockers.",
        yellow="I know who works on what, but the details are blurry.",
        red="I could not sum up what my reports are working on or how loaded they are.",
        red_step="Clear your calendar for focused one-to-ones with each report.",
    ),
    SelfCheckItem(
        "stakeholders",
        "mindset",
        "Stakeholders' view",
        green="I know what every stakeholder wants and how satisfied they are.",
        yellow="I talk to some stakeholders regularly; others I have lost track of.",
        red="I have not started a conversation with a stakeholder in more than two weeks.",
        red_step="Put every key stakeholder check-in in the calendar before today ends.",
    ),
    SelfCheckItem(
        "development_plans",
        "mindset",
        "Development plans",
        green="Everyone has clear career goals and we talk about them at least monthly.",
        yellow="Most have goals, and I discussed progress with most of them this month.",
        red="Some have no career goals, or nobody's progress was discussed in a month.",
        red_step="Block time next week for career plans and progress conversations.",
    ),
    SelfCheckItem(
        "team_health",
        "mindset",
        "Team health",
        green="Conflict, motivation or communication problems reach me early; nothing surprises me.",
        yellow="I usually see problems coming, but how serious they are still catches me out.",
        red="A team problem took me by surprise more than once last quarter.",
        red_step="Add touchpoints with the team until you are back in step with it.",
    ),
    SelfCheckItem(
        "hands_on_detail",
        "technical",
        "Hands-on detail",
        green="I work on architecture and direction; the team owns the implementation.",
        yellow="I try to stay out of the detail but still go deep; I could explain most implementations.",
        red="I am inside the implementation of every project and could stand in for anyone.",
        red_step="Note every decision you make this week and turn the list into a delegation plan.",
    ),
    SelfCheckItem(
        "technical_decisions",
        "technical",
        "Team technical decisions",
        green="The team decides at its level within an agreed frame and brings me the right questions.",
        yellow="The team knows what it may decide, yet asks my approval to be safe.",
        red="The team asks me about everything; decisions queue behind me.",
        red_step="Write a short decision framework and share it with the team.",
    ),
    SelfCheckItem(
        "knowledge_sharing",
        "technical",
        "Knowledge sharing",
        green="Key processes are written down and shared routinely; weeks go by without a question to me.",
        yellow="Some of it is documented, but questions come to me nearly every day.",
        red="I am the one everybody asks; little of it is written down.",
        red_step="Start the documentation and a regular knowledge-sharing slot.",
    ),
    SelfCheckItem(
        "technical_emergencies",
        "technical",
        "Technical emergencies",
        green="There are clear guidelines and the team handles most incidents on its own.",
        yellow="We have basic protocols, but the team still leans on me in incidents.",
        red="I get pulled into every incident.",
        red_step="Define what counts as an emergency and write down the escalation path.",
    ),
    SelfCheckItem(
        "quality_standards",
        "technical",
        "Quality standards",
        green="Written standards and peer review keep quality up without me.",
        yellow="Standards exist, but I am the one enforcing them.",
        red="Every significant technical decision goes through my review.",
        red_step="Write down the standards and the review steps, then step out of the loop.",
    ),
)

ITEM_KEYS: tuple[str, ...] = tuple(item.key for item in ITEMS)
ITEMS_BY_KEY: dict[str, SelfCheckItem] = {item.key: item for item in ITEMS}


class AnswerError(ValueError):
    """Answers that cannot be stored; `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def check_answers(answers: Mapping[str, object]) -> dict[str, str]:
    """Every item answered green, yellow or red, and nothing else; raises AnswerError otherwise.

    Returns the answers in item order.
    """
    problems = []
    for key, colour in answers.items():
        if key not in ITEMS_BY_KEY:
            problems.append(f"unknown item '{key}' (items: {', '.join(ITEM_KEYS)})")
        elif colour not in ANSWER_COLOURS:
            problems.append(f"{key}: '{colour}' is not green, yellow or red")
    missing = [key for key in ITEM_KEYS if key not in answers]
    if missing:
        problems.append(f"not answered: {', '.join(missing)}")
    if problems:
        raise AnswerError(problems)
    return {key: str(answers[key]) for key in ITEM_KEYS}


@dataclass(frozen=True)
class RedItem:
    key: str
    title: str
    step: str


@dataclass(frozen=True)
class GroupScore:
    """One list's count of colours and what the practice makes of it."""

    group: str
    title: str
    greens: int
    yellows: int
    reds: int
    greens_needed: int
    red_items: tuple[RedItem, ...]

    @property
    def status(self) -> str:
        """`act now` with any red; `going strong` with enough greens; `building` otherwise."""
        if self.reds:
            return "act now"
        return "going strong" if self.greens >= self.greens_needed else "building"

    @property
    def yellows_fine(self) -> bool:
        """One or two yellows are part of a normal week; three or more are a pattern."""
        return self.yellows <= 2


def score(answers: Mapping[str, str]) -> tuple[GroupScore, ...]:
    """The two lists' scores from checked answers (item key -> colour)."""
    scores = []
    for group in GROUPS:
        items = [item for item in ITEMS if item.group == group.key]
        colours = [answers[item.key] for item in items]
        scores.append(
            GroupScore(
                group=group.key,
                title=group.title,
                greens=colours.count("green"),
                yellows=colours.count("yellow"),
                reds=colours.count("red"),
                greens_needed=group.greens_needed,
                red_items=tuple(
                    RedItem(item.key, item.title, item.red_step)
                    for item in items
                    if answers[item.key] == "red"
                ),
            )
        )
    return tuple(scores)


@dataclass(frozen=True)
class Comparison:
    """A self-rated item and the measured light that speaks to the same thing."""

    item: str
    measure: str  # the measured light's key (see MEASURED_TITLES)


# Pairs where the data can confirm or contradict the self-rating (README, "Your Friday 15 minutes").
COMPARISONS: tuple[Comparison, ...] = (
    Comparison("coding_time", "coding"),
    Comparison("technical_decisions", "tactical_ownership"),
    Comparison("quality_standards", "review_share"),
    Comparison("hands_on_detail", "commit_share"),
)
MEASURED_TITLES = {
    "coding": "your coding share",
    "tactical_ownership": "the tactical escalation rate",
    "review_share": "your share of the team's reviews",
    "commit_share": "your share of the team's commits",
}


@dataclass(frozen=True)
class Disagreement:
    item: str
    title: str
    said: str
    measure: str
    measured: str

    @property
    def direction(self) -> str:
        """`kinder`: you rated yourself better than the data does; `harsher`: worse."""
        return "kinder" if _RANK[self.said] < _RANK[self.measured] else "harsher"


def disagreements(answers: Mapping[str, str], measured: Mapping[str, str]) -> list[Disagreement]:
    """Every compared pair whose colours differ; a grey (unmeasured) light disagrees with nothing."""
    found = []
    for pair in COMPARISONS:
        said, seen = answers.get(pair.item), measured.get(pair.measure)
        if said in _RANK and seen in _RANK and said != seen:
            found.append(
                Disagreement(pair.item, ITEMS_BY_KEY[pair.item].title, str(said), pair.measure, str(seen))
            )
    return found


def commit_share_colour(share: float | None, team_size: int) -> str:
    """The manager's share of the team's commits against an even split of the work.

    With n reports an even share is 1 / (n + 1): at or above it the manager writes as much code as
    an average member (red); below half of it green; in between yellow; grey without commits.
    """
    if share is None:
        return "grey"
    even = 1 / (team_size + 1)
    if share >= even:
        return "red"
    return "green" if share < even / 2 else "yellow"
