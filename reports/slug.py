"""Team names to file names: safe on every file system, distinct for distinct teams."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

MAX_SLUG_LENGTH = 60
FALLBACK_SLUG = "team"

# Names Windows refuses as file stems, and names the report itself uses in a week's folder.
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    "clock",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
    "index",
    "metrics",
    "screenshots",
}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def team_slug(name: str) -> str:
    """`Churn & Retention` -> `churn-retention`: only a-z, 0-9 and inner hyphens, never empty,
    never `..`, a path separator or a reserved device name."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG.sub("-", folded).strip("-")[:MAX_SLUG_LENGTH].rstrip("-")
    if not slug:
        return FALLBACK_SLUG
    if slug in _RESERVED:
        return f"{slug}-team"
    return slug


def _name_hash(name: str, length: int) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:length]


def unique_slugs(names: Iterable[str]) -> dict[str, str]:
    """A distinct slug per distinct name, independent of the order the names come in.

    Names whose plain slugs collide all get a short hash of the name appended, so adding a
    team never renames another team's existing files unless the two collide.
    """
    distinct = sorted(set(names))
    base = {name: team_slug(name) for name in distinct}
    counts: dict[str, int] = {}
    for slug in base.values():
        counts[slug] = counts.get(slug, 0) + 1
    for length in (6, 10, 16, 64):
        result = {
            name: slug if counts[slug] == 1 else f"{slug}-{_name_hash(name, length)}"
            for name, slug in base.items()
        }
        if len(set(result.values())) == len(result):
            return result
        # A hashed slug met a plain one (a team literally named like `ops-1a2b3c`): hash them all.
        counts = {slug: 2 for slug in counts}
    raise ValueError("could not give every team a distinct file name")  # pragma: no cover
