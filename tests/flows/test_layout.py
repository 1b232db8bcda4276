"""A deployment's worker loads `flows/weekly.py` as a script, with `flows/` first on the import
path: a module there named like a top-level package would hide that package from every import."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_module_in_flows_hides_a_top_level_package() -> None:
    packages = {path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file()}
    modules = {path.stem for path in (ROOT / "flows").glob("*.py")}
    assert {"core", "connectors", "sync", "metrics", "reports", "flows", "demo"} <= packages
    assert packages & modules == set()
