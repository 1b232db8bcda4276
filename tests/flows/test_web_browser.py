"""`radar web` for real: uvicorn on a loopback port, headless Chromium with JavaScript off fills
in the check-in form by clicking, submits it, and lands on the regenerated page; a form whose
token was removed is refused. Screenshots go to out/screenshots/."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import uvicorn
from polars.testing import assert_frame_equal

from core.config import load_config
from core.store import Store
from flows.web import web_app
from metrics.selfcheck import ITEM_KEYS
from tests.flows.workspace import WEEK, write_workspace
from tests.reports.browser import Browser, chromium, chromium_path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
WIDTH = 1100
# What the browser answers: red on coding time, yellow on knowledge sharing, green otherwise.
CHOICES = dict.fromkeys(ITEM_KEYS, "green") | {"coding_time": "red", "knowledge_sharing": "yellow"}

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app on 127.0.0.1 and a free port (the socket is bound before uvicorn starts)."""
    config = load_config(write_workspace(tmp_path_factory.mktemp("web")))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(web_app(config, "127.0.0.1", port), log_level="warning"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", config.store_path
    finally:
        running.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.fail("Chromium is needed for the browser test: run `make browser` (apt-get install chromium)")
    with chromium(executable) as running:
        yield running


def node(browser: Browser, selector: str) -> int:
    root = browser.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    found: int = browser.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert found, f"no element {selector!r}"
    return found


def click(browser: Browser, selector: str) -> None:
    """A real mouse click in the middle of the element (no script runs on the page)."""
    target = node(browser, selector)
    browser.call("DOM.scrollIntoViewIfNeeded", {"nodeId": target})
    quad = browser.call("DOM.getBoxModel", {"nodeId": target})["model"]["content"]
    x, y = sum(quad[0::2]) / 4, sum(quad[1::2]) / 4
    for kind in ("mousePressed", "mouseReleased"):
        browser.call(
            "Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}
        )


def html(browser: Browser) -> str:
    root = browser.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    text: str = browser.call("DOM.getOuterHTML", {"nodeId": root})["outerHTML"]
    return text


def submit_and_wait(browser: Browser) -> str:
    browser.drain()
    click(browser, "form.checkin button[type=submit]")
    browser.wait_for("Page.loadEventFired")
    history = browser.call("Page.getNavigationHistory")
    url: str = history["entries"][history["currentIndex"]]["url"]
    return url


def test_fill_in_and_submit_with_javascript_off(server: tuple[str, Path], browser: Browser) -> None:
    base, store_path = server
    store = Store(store_path)
    store.delete("checkins", pl.DataFrame({"week": [WEEK]}))  # whatever the other test left
    browser.call("DOM.enable")
    report = browser.load(f"{base}/teams/churn-retention/checkin?week={WEEK}", WIDTH, scripts=False)
    assert report.console_errors == [] and report.exceptions == []
    assert all(url.startswith(base) for url in report.requests)

    # Submitting with nothing chosen: the form comes back with the problem, nothing stored.
    assert submit_and_wait(browser).endswith("/teams/churn-retention/checkin")
    page = html(browser)
    assert "Nothing was saved." in page and "Please answer: Coding time, Business priorities" in page
    assert Store(store_path).read("checkins").height == 0

    for item, colour in CHOICES.items():
        click(browser, f"#{item}-{colour}")
    browser.screenshot(SCREENSHOTS / "checkin-form.png", WIDTH)
    url = submit_and_wait(browser)
    assert url == f"{base}/weeks/{WEEK}/churn-retention.html#selfcheck"
    page = html(browser)
    stored = Store(store_path).read("checkins")
    assert dict(zip(stored["item"], stored["colour"], strict=True)) == CHOICES
    # The regenerated page shows each answer's light and the red's next step.
    for item, colour in CHOICES.items():
        assert f'<li data-self="{item}">\n        <span class="light light-{colour}"' in page
    assert "Reserve time this week to hand the coding" in page
    assert f'href="{base}/teams/churn-retention/checkin?week={WEEK}"' in page
    browser.screenshot(SCREENSHOTS / "checkin-page.png", WIDTH)


def test_a_form_without_its_token_is_refused(server: tuple[str, Path], browser: Browser) -> None:
    base, store_path = server
    browser.call("DOM.enable")
    browser.load(f"{base}/teams/churn-retention/checkin?week={WEEK}", WIDTH, scripts=False)
    for item, colour in CHOICES.items():
        click(browser, f"#{item}-{colour}")
    browser.call("DOM.removeNode", {"nodeId": node(browser, "input[name=csrf]")})
    before = Store(store_path).read("checkins")
    submit_and_wait(browser)
    assert "Refused: the form" in html(browser)
    assert_frame_equal(Store(store_path).read("checkins"), before)
