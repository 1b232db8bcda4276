"""`make mutate`'s summary: killed / survived / equivalent per package, then the survivors.

Reads the results mutmut keeps beside each mutated file (`mutants/<path>.meta`, JSON with the
exit code of every mutant's test run) and the survivors judged equivalent in tests/MUTANTS.md
(each listed as `` `mutant name` `` at the start of a table row). A mutant not yet run is left out.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
NOTES = ROOT / "tests" / "MUTANTS.md"
PACKAGES = ("metrics", "connectors", "core", "reports")

# mutmut's exit codes (mutmut/stats.py): the tests failed = killed; passed = survived.
KILLED = {1, 3}
SURVIVED = {0}
TIMEOUT = {36, -24, 24, 152, 255}
NO_TESTS = {5, 33}


def equivalent_mutants(notes: Path = NOTES) -> set[str]:
    """The mutant names tests/MUTANTS.md lists as equivalent."""
    if not notes.exists():
        return set()
    return set(re.findall(r"^\|\s*`([\w.]+__mutmut_\d+)`", notes.read_text("utf-8"), re.M))


def results(folder: Path = MUTANTS) -> dict[str, int | None]:
    """Every mutant's exit code (None: not run yet), by mutant name."""
    found: dict[str, int | None] = {}
    for meta in sorted(folder.rglob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        found.update(data.get("exit_code_by_key", {}))
    return found


def outcome(code: int | None, name: str, equivalent: set[str]) -> str | None:
    if code is None:
        return None
    if code in KILLED or code in TIMEOUT:
        return "killed"  # a mutant that makes the tests hang is caught too
    if code in SURVIVED:
        return "equivalent" if name in equivalent else "survived"
    if code in NO_TESTS:
        return "no tests"
    return "other"


def main() -> int:
    if not MUTANTS.exists():
        print("no mutants/ folder: run `make mutate` first", file=sys.stderr)
        return 1
    equivalent = equivalent_mutants()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for name, code in sorted(results().items()):
        kind = outcome(code, name, equivalent)
        if kind is None:
            continue
        counts[name.split(".", 1)[0]][kind] += 1
        if kind == "survived":
            survivors.append(name)
    columns = ("killed", "survived", "equivalent", "no tests", "other")
    print(f"{'package':<12}" + "".join(f"{c:>12}" for c in columns) + f"{'score':>8}")
    for package in PACKAGES:
        row = counts.get(package)
        if not row:
            continue
        judged = row["killed"] + row["survived"]
        score = f"{100 * row['killed'] / judged:.0f} %" if judged else "-"
        print(f"{package:<12}" + "".join(f"{row[c]:>12}" for c in columns) + f"{score:>8}")
    print("\nscore: killed / (killed + survived); equivalent mutants and mutants no test reaches are apart.")
    if survivors:
        print(f"\n{len(survivors)} survivors (`mutmut show NAME` shows the change):")
        for name in survivors:
            print(f"  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
