"""`make mutate`'s summary: killed / survived / equivalent per package, then the survivors.

Reads the results mutmut keeps beside each mutated file (`mutants/<path>.meta`, JSON with the
exit code of every mutant's test run) and the survivors judged equivalent in tests/MUTANTS.md
(each listed as `` `mutant name` `` at the start of a table row). A mutant not yet run is left out.
"""

from __future__ import annotations

import argparse
import json
import math
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


def interval(killed: int, judged: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson interval of a score measured on a sample of `judged` mutants."""
    if judged == 0:
        return (0.0, 1.0)
    share = killed / judged
    centre = (share + z * z / (2 * judged)) / (1 + z * z / judged)
    half = z * math.sqrt(share * (1 - share) / judged + z * z / (4 * judged * judged)) / (1 + z * z / judged)
    return (max(0.0, centre - half), min(1.0, centre + half))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutants_report", description=__doc__)
    parser.add_argument("--sample", type=int, help="count only the sample of N per package ...")
    parser.add_argument("--seed", type=int, help="... drawn with this seed (tests/mutants_sample.py)")
    args = parser.parse_args(argv)
    if not MUTANTS.exists():
        print("no mutants/ folder: run `make mutate` first", file=sys.stderr)
        return 1
    equivalent = equivalent_mutants()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    generated: Counter[str] = Counter()
    survivors: list[str] = []
    found = results()
    if args.sample is not None:
        from tests.mutants_sample import SEED, sample

        chosen = set(sample(list(found), args.sample, SEED if args.seed is None else args.seed))
        found = {name: code for name, code in found.items() if name in chosen}
    for name, code in sorted(found.items()):
        package = name.split(".", 1)[0]
        generated[package] += 1
        kind = outcome(code, name, equivalent)
        if kind is None:
            continue
        counts[package][kind] += 1
        if kind == "survived":
            survivors.append(name)
    columns = ("killed", "survived", "equivalent", "no tests", "other")
    print(
        f"{'package':<12}{'run':>12}" + "".join(f"{c:>12}" for c in columns) + f"{'score':>8}  95 % interval"
    )
    for package in PACKAGES:
        row = counts.get(package)
        if not row:
            continue
        judged = row["killed"] + row["survived"]
        score = f"{100 * row['killed'] / judged:.0f} %" if judged else "-"
        low, high = interval(row["killed"], judged)
        ran = f"{sum(row.values())}/{generated[package]}"
        print(
            f"{package:<12}{ran:>12}"
            + "".join(f"{row[c]:>12}" for c in columns)
            + f"{score:>8}  {100 * low:.0f}–{100 * high:.0f} %"
        )
    print(
        "\nscore: killed / (killed + survived); equivalent mutants and mutants no test reaches are apart."
        "\nrun: mutants run of those generated; on a sample the interval is where the whole score lies."
    )
    if survivors:
        print(f"\n{len(survivors)} survivors (`mutmut show NAME` shows the change):")
        for name in survivors:
            print(f"  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
