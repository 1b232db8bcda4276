"""Shared fixtures. Prefect starts only for tests that ask for `prefect_harness` (it costs ~25 s)."""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from tests.s3server import BUCKET, S3Server

# Set before anything imports prefect: a private PREFECT_HOME per test session (so nothing
# touches ~/.prefect and the secret tests can read every file Prefect wrote), and no analytics.
PREFECT_HOME = tempfile.mkdtemp(prefix="radar-prefect-home-")
os.environ["PREFECT_HOME"] = PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
# As `radar` itself does: Prefect's console log on stdout, stderr left to the one-line verdict.
os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_STREAM"] = "ext://sys.stdout"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[str]:
    """One temporary Prefect API for the whole session; yields its database file's folder."""
    import prefect.main  # noqa: F401 - sets up Prefect's logging now, on pytest's stdout, not a CliRunner's
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL
    from prefect.testing.utilities import prefect_test_harness

    # The harness server takes 20-25 s to start on two cores; allow for a busy machine.
    with prefect_test_harness(server_startup_timeout=180):
        database = PREFECT_SERVER_DATABASE_CONNECTION_URL.value() or ""
        yield database.split(":///", 1)[-1]
        # pytest has closed its captured stdout by now; the harness's "stopping" line has no home.
        logging.getLogger("prefect").setLevel(logging.WARNING)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """A `responses` mock for the fakes a test installs; it need not use every answer it is given."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(autouse=True)
def fresh_hosts_and_budgets() -> Iterator[None]:
    """Each test starts with no host given up on and no token budget known: both are shared by
    every client of the process (connectors.transport, connectors.budget)."""
    from connectors.budget import RATE_BUDGETS
    from connectors.transport import BREAKERS
    from core.secrets import SECRETS

    BREAKERS.reset()
    RATE_BUDGETS.reset()
    SECRETS.clear()  # a test's secret ("refused") must not cut words out of the next test's messages
    yield


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on loopback, in its own process, with the test bucket; stopped at the end."""
    server = S3Server.start(str(tmp_path_factory.mktemp("s3") / "requests.log"))
    try:
        server.client().create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """This process's AWS variables pointed at the loopback server for one test."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return s3_server


# `make test` runs on two workers (`pytest -n 2 --dist loadscope`), each test file a unit of work,
# except that every file on the Prefect test harness is one unit: the harness (~25 s) would
# otherwise start on both workers. The end-to-end runs are one file already. (xdist's own
# `loadgroup` marks do nothing on pytest 9.2, which no longer reads the `_nodeid` xdist sets.)
ROOT = Path(__file__).resolve().parents[1]
SHARED_STARTS = {"prefect_harness": "prefect"}


@functools.cache
def work_unit(path: str) -> str:
    """The unit a test file's tests are scheduled in: the name of the costly start it shares, or
    the file itself."""
    text = (ROOT / path).read_text("utf-8") if (ROOT / path).is_file() else ""
    return next((unit for fixture, unit in SHARED_STARTS.items() if fixture in text), path)


# Files of half a minute or more (measured with --junitxml), handed out before the short ones so
# that no long file is the last to start while the other worker idles.
LONG_FILES = (
    "tests/metrics/test_properties.py",
    "tests/flows/test_schedule.py",
    "tests/reports/test_browser.py",
)


def start_order(item: pytest.Item) -> int:
    """The longest units first, so that neither is left running alone at the end: the end-to-end
    runs (~2.5 min), then the Prefect harness files, then the long files, then everything else."""
    path = item.nodeid.split("::", 1)[0]
    if path.startswith("tests/e2e/"):
        return 0
    if work_unit(path) == "prefect":
        return 1
    return 2 if path in LONG_FILES else 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=start_order)  # stable: each file's tests keep their order


@pytest.hookimpl(optionalhook=True)  # pytest runs without xdist too (`-p no:xdist`, make mutate)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # the units in collection order (start_order), not by size

    class SharedStartScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid.split("::", 1)[0])

    return SharedStartScheduling(config, log)
