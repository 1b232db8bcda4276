"""The Friday self-check: the eleven items, the practice's scoring and the disagreement notes."""

from __future__ import annotations

import pytest

from metrics.selfcheck import (
    ITEM_KEYS,
    ITEMS,
    AnswerError,
    check_answers,
    commit_share_colour,
    disagreements,
    score,
)

MINDSET = (
    "coding_time",
    "business_priorities",
    "reports_work",
    "stakeholders",
    "development_plans",
    "team_health",
)
TECHNICAL = (
    "hands_on_detail",
    "technical_decisions",
    "knowledge_sharing",
    "technical_emergencies",
    "quality_standards",
)


def answers(mindset: str, technical: str) -> dict[str, str]:
    """Letters g/y/r in item order for each list."""
    colour = {"g": "green", "y": "yellow", "r": "red"}
    return {
        **{key: colour[c] for key, c in zip(MINDSET, mindset, strict=True)},
        **{key: colour[c] for key, c in zip(TECHNICAL, technical, strict=True)},
    }


def test_eleven_items_in_two_lists_each_with_three_descriptions_and_a_red_step() -> None:
    assert ITEM_KEYS == MINDSET + TECHNICAL
    for item in ITEMS:
        assert item.green and item.yellow and item.red and item.red_step
        assert len({item.green, item.yellow, item.red}) == 3


@pytest.mark.parametrize(
    ("mindset", "technical", "statuses", "greens"),
    [
        ("ggggyy", "gggyy", ("going strong", "going strong"), (4, 3)),  # 4 of 6, 3 of 5: the bars
        ("gggyyy", "ggyyy", ("building", "building"), (3, 2)),  # one green short of each bar
        ("gggggr", "ggggr", ("act now", "act now"), (5, 4)),  # any red: act now, greens or not
    ],
)
def test_scoring_at_the_bars(
    mindset: str, technical: str, statuses: tuple[str, str], greens: tuple[int, int]
) -> None:
    result = score(check_answers(answers(mindset, technical)))
    assert tuple(s.status for s in result) == statuses
    assert tuple(s.greens for s in result) == greens


def test_yellows_one_or_two_are_fine_three_are_not() -> None:
    mind, tech = score(check_answers(answers("ggggyy", "gyyyr")))
    assert (mind.yellows, mind.yellows_fine) == (2, True)
    assert (tech.yellows, tech.yellows_fine) == (3, False)


def test_each_red_carries_its_next_step() -> None:
    _, tech = score(check_answers(answers("gggggg", "rgggr")))
    assert [r.key for r in tech.red_items] == ["hands_on_detail", "quality_standards"]
    assert tech.red_items[1].step.startswith("Write down the standards")


def test_check_answers_names_every_problem() -> None:
    given: dict[str, object] = {**answers("gggggg", "ggggg"), "coding": "green", "team_health": "blue"}
    del given["stakeholders"]
    with pytest.raises(AnswerError) as error:
        check_answers(given)
    assert error.value.problems == [
        "team_health: 'blue' is not green, yellow or red",
        f"unknown item 'coding' (items: {', '.join(ITEM_KEYS)})",
        "not answered: stakeholders",
    ]


def test_disagreements_name_the_pair_and_the_direction() -> None:
    said = answers("gggggg", "gryyg")  # coding green, technical decisions red, quality green
    measured = {
        "coding": "red",
        "tactical_ownership": "green",
        "review_share": "green",
        "commit_share": "grey",
    }
    found = disagreements(said, measured)
    assert [(d.item, d.said, d.measured, d.direction) for d in found] == [
        ("coding_time", "green", "red", "kinder"),
        ("technical_decisions", "red", "green", "harsher"),
    ]
    # quality green = review share green: agreement; hands-on yellow vs grey: nothing to compare


@pytest.mark.parametrize(
    ("share", "colour"),
    [
        (None, "grey"),
        (0.0499, "green"),  # 9 reports: even share 1/10 = 0.10, half of it 0.05
        (0.05, "yellow"),
        (0.0999, "yellow"),
        (0.10, "red"),
    ],
)
def test_commit_share_against_an_even_split(share: float | None, colour: str) -> None:
    assert commit_share_colour(share, 9) == colour
