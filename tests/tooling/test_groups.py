"""`make test` runs on two workers; a costly session start must not happen on both."""

from __future__ import annotations

import pytest

from tests.conftest import work_unit


def test_the_files_on_the_prefect_harness_are_one_unit_of_work_and_others_their_own() -> None:
    assert work_unit("tests/flows/test_delivery.py") == "prefect"
    assert work_unit("tests/flows/test_slack.py") == "prefect"
    assert work_unit("tests/e2e/test_e2e.py") == "tests/e2e/test_e2e.py"
    assert work_unit("tests/metrics/test_coding.py") == "tests/metrics/test_coding.py"


def test_every_test_this_session_runs_on_the_harness_is_in_the_prefect_unit(
    request: pytest.FixtureRequest,
) -> None:
    """A file that reaches the harness through a fixture of its own, not by name, would start it
    on a second worker: this catches it."""
    for item in request.session.items:
        if "prefect_harness" in getattr(item, "fixturenames", ()):
            assert work_unit(item.nodeid.split("::", 1)[0]) == "prefect", item.nodeid


def test_the_longest_units_start_first() -> None:
    """Collected order: the end-to-end file, then the harness files, then the long files, then the
    rest, each file's tests in their own order (each worker takes units in this order, so the two
    longest start at once and no long file starts last)."""
    from types import SimpleNamespace

    from tests.conftest import pytest_collection_modifyitems

    ids = [
        "tests/connectors/test_paging.py::test_a",
        "tests/e2e/test_e2e.py::test_b",
        "tests/flows/test_cli.py::test_c",
        "tests/metrics/test_properties.py::test_f",
        "tests/flows/test_delivery.py::test_d",
        "tests/e2e/test_e2e.py::test_e",
    ]
    items = [SimpleNamespace(nodeid=nodeid) for nodeid in ids]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == [
        "tests/e2e/test_e2e.py::test_b",
        "tests/e2e/test_e2e.py::test_e",
        "tests/flows/test_delivery.py::test_d",
        "tests/metrics/test_properties.py::test_f",
        "tests/connectors/test_paging.py::test_a",
        "tests/flows/test_cli.py::test_c",
    ]
