"""`make mutate`'s sample and report: the same mutants every time, an interval that holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.mutants_report import equivalent_mutants, interval, outcome, results
from tests.mutants_sample import sample, unsettled

NAMES = [f"{package}.mod.x_f__mutmut_{n}" for package in ("metrics", "connectors", "core") for n in range(50)]


def test_a_sample_takes_as_many_from_each_package_and_is_the_same_every_time() -> None:
    chosen = sample(NAMES, 7)
    assert len(chosen) == 21
    assert {name.split(".")[0] for name in chosen} == {"metrics", "connectors", "core"}
    assert all(
        sum(name.startswith(p + ".") for name in chosen) == 7 for p in ("metrics", "connectors", "core")
    )
    assert sample(list(reversed(NAMES)), 7) == chosen
    assert sample(NAMES, 7, seed=19) != chosen


def test_a_package_smaller_than_the_sample_is_taken_whole() -> None:
    assert sample(["reports.email.x_f__mutmut_1", *NAMES[:3]], 5) == sorted(
        ["reports.email.x_f__mutmut_1", *NAMES[:3]]
    )


@pytest.mark.parametrize(
    ("killed", "judged", "low", "high"),
    [
        # Wilson, z = 1.96: 90/100 → 0.826–0.945; 45/50 → 0.786–0.957; 0/10 → 0–0.278.
        (90, 100, 0.826, 0.945),
        (45, 50, 0.786, 0.957),
        (0, 10, 0.0, 0.278),
    ],
)
def test_the_interval_is_wilsons(killed: int, judged: int, low: float, high: float) -> None:
    got = interval(killed, judged)
    assert got == pytest.approx((low, high), abs=0.001)


def test_results_read_every_meta_file_and_outcomes_follow_mutmuts_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "coding.py.meta").write_text(
        json.dumps(
            {"exit_code_by_key": {"metrics.coding.x_a__mutmut_1": 1, "metrics.coding.x_a__mutmut_2": None}}
        )
    )
    (tmp_path / "core.py.meta").write_text(json.dumps({"exit_code_by_key": {"core.x_b__mutmut_1": 0}}))
    found = results(tmp_path)
    assert found == {
        "metrics.coding.x_a__mutmut_1": 1,
        "metrics.coding.x_a__mutmut_2": None,
        "core.x_b__mutmut_1": 0,
    }
    notes = tmp_path / "MUTANTS.md"
    notes.write_text("| `core.x_b__mutmut_1` | change | why |\n")
    equivalent = equivalent_mutants(notes)
    assert equivalent == {"core.x_b__mutmut_1"}
    assert outcome(0, "core.x_b__mutmut_1", equivalent) == "equivalent"
    assert outcome(0, "core.x_c__mutmut_1", equivalent) == "survived"
    assert outcome(1, "core.x_c__mutmut_1", equivalent) == "killed"
    assert outcome(None, "core.x_c__mutmut_1", equivalent) is None


def test_a_rerun_of_the_sample_runs_only_what_is_not_caught() -> None:
    equivalent = {"core.x_e__mutmut_1"}
    assert unsettled(None, "core.x_a__mutmut_1", equivalent)  # not run yet
    assert unsettled(0, "core.x_a__mutmut_1", equivalent)  # survived
    assert not unsettled(1, "core.x_a__mutmut_1", equivalent)  # killed
    assert not unsettled(0, "core.x_e__mutmut_1", equivalent)  # survived, judged equivalent
