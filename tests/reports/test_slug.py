"""Team names become file names only through team_slug / unique_slugs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports.slug import team_slug, unique_slugs

SAFE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Churn & Retention", "churn-retention"),
        ("Data Platform", "data-platform"),
        ("Équipe Données", "equipe-donnees"),
        ("../../x", "x"),
        ("..\\x", "x"),
        ("/etc/passwd", "etc-passwd"),
        ("..", "team"),
        ("", "team"),
        ("   ", "team"),
        ("!@#$%^&*()", "team"),
        ("ჩურნი", "team"),
        ("con", "con-team"),
        ("CON", "con-team"),
        ("Com1", "com1-team"),
        ("lpt9", "lpt9-team"),
        ("nul", "nul-team"),
        ("Index", "index-team"),
        ("a\r\nb", "a-b"),
    ],
)
def test_team_slug(name: str, slug: str) -> None:
    assert team_slug(name) == slug


@pytest.mark.parametrize("name", ["../../x", "..\\x", "con", "", "%%%", "a" * 500, "x/../..", ". .", "\x00"])
def test_slug_stays_inside_the_output_folder(name: str, tmp_path: Path) -> None:
    slug = team_slug(name)
    assert SAFE.match(slug)
    assert ".." not in slug and "/" not in slug and "\\" not in slug
    assert len(slug) <= 60
    assert (tmp_path / f"{slug}.html").resolve().parent == tmp_path.resolve()


def test_colliding_names_get_distinct_slugs() -> None:
    names = ["Churn & Retention", "churn retention", "Churn/Retention", "Data"]
    slugs = unique_slugs(names)
    assert len(set(slugs.values())) == 4
    assert slugs["Data"] == "data"  # no collision: the plain slug
    for name in names[:3]:
        assert slugs[name].startswith("churn-retention-")
        assert SAFE.match(slugs[name])


def test_symbol_and_empty_names_get_distinct_slugs() -> None:
    slugs = unique_slugs(["", "!!!", "???", "team"])
    assert len(set(slugs.values())) == 4
    assert all(SAFE.match(s) for s in slugs.values())


def test_unique_slugs_do_not_depend_on_order() -> None:
    names = ["A-B", "a b", "c", "con", "CON"]
    assert unique_slugs(names) == unique_slugs(list(reversed(names)))


def test_a_name_that_looks_like_a_hashed_slug_does_not_collide() -> None:
    first = unique_slugs(["ops", "OPS"])
    hashed = first["ops"]
    slugs = unique_slugs(["ops", "OPS", hashed])
    assert len(set(slugs.values())) == 3
