"""The pages in a real browser: headless Chromium opens each from a file at phone and desktop
widths; no console errors, no requests but the file, lights and tables visible, payloads inert.

Screenshots are kept under out/screenshots/ for review.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from reports.render import PageContext, comparison_page, team_page, trend_page
from reports.slug import unique_slugs
from tests.reports.browser import Browser, chromium, chromium_path
from tests.reports.factory import (
    WEEK,
    ZONE_NAME,
    busy_summary,
    empty_evidence,
    evidence,
    grey_summary,
    make_team_week,
)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
WIDTHS = (390, 1280)
ZONE = ZoneInfo(ZONE_NAME)
PAYLOAD = (
    "<script>window.__pwned=1;document.title='pwned'</script>"
    '"><img src=x onerror="window.__pwned=2;document.title=\'pwned\'">'
    '{{7*7}}<svg onload="window.__pwned=3"></svg>'
)
EVIL_URL = "javascript:window.__pwned=4;document.title='pwned'"

pytestmark = pytest.mark.timeout(180)


@dataclass(frozen=True)
class Page:
    name: str
    path: Path
    lights: int  # at least this many traffic-light elements
    tables: int  # exactly this many tables


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.fail("Chromium is needed for the browser test: run `make browser` (apt-get install chromium)")
    with chromium(executable) as running:
        yield running


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Page]:
    from datetime import UTC, datetime

    folder = tmp_path_factory.mktemp("pages")
    context = PageContext(
        timezone=ZONE_NAME,
        freshness={"GitHub": datetime(2026, 11, 27, 4, 0, tzinfo=UTC), "Jira": None},
        allowed_hosts=frozenset({"github.com", "acme.atlassian.net"}),
        generated_at=datetime(2026, 11, 27, 4, 5, tzinfo=UTC),
        readme_url="https://github.com/acme/delegation-radar/blob/main/README.md",
    )
    busy = make_team_week()
    history = []
    for back in range(7, 0, -1):
        summary = busy_summary(busy.team.name, 3)
        summary["coding"] = {**summary["coding"], "share": [0.7, 0.65, 0.62, None, 0.55, 0.5, 0.48][7 - back]}
        history.append(make_team_week(week=WEEK.previous(ZONE, back), summary=summary))
    grey = make_team_week(
        "Solo", size=1, summary=grey_summary("Solo", 1), frames=empty_evidence(), jira_projects=[], extras={}
    )
    names = [busy.team.name, "Solo", *(f"Platform {i}" for i in range(1, 9))]
    many = [busy, grey] + [
        make_team_week(n, size=4 + i, summary=busy_summary(n, 4 + i) if i % 3 else grey_summary(n, 4 + i))
        for i, n in enumerate(names[2:])
    ]
    hostile_frames = evidence(title=PAYLOAD, summary=PAYLOAD)
    hostile_frames["waiting"] = hostile_frames["waiting"].with_columns(pl.lit(EVIL_URL).alias("url"))
    hostile_frames["unmapped"] = pl.DataFrame({"source": ["github"], "identity": [PAYLOAD], "events": [1]})
    hostile_summary = busy_summary(PAYLOAD, 3)
    hostile_summary["escalations"]["tactical"]["reasons"] = {PAYLOAD: 1}
    hostile = make_team_week(
        PAYLOAD,
        summary=hostile_summary,
        frames=hostile_frames,
        manager_name=PAYLOAD,
        extras={"flags": [PAYLOAD]},
    )
    hostile_context = replace(context, readme_url=EVIL_URL)
    rendered = {
        "team": (team_page(busy, [*history, busy], context), 5 + 3 + 4, 4),
        "team-grey-no-jira": (team_page(grey, [grey], context), 5 + 3 + 4, 0),
        "compare": (comparison_page(WEEK, many, unique_slugs(names), context), 10 * 6 + 4, 1),
        "trend": (trend_page([*history, busy], context), 8 * 5 + 4, 1),
        "xss-team": (team_page(hostile, [hostile], hostile_context), 5 + 3 + 4, 4),
        "xss-compare": (
            comparison_page(WEEK, [hostile, busy], unique_slugs([PAYLOAD]), hostile_context),
            2 * 6 + 4,
            1,
        ),
        "xss-trend": (trend_page([hostile], hostile_context), 5 + 4, 1),
    }
    result = {}
    for name, (html, lights, tables) in rendered.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        result[name] = Page(name, path, lights, tables)
    return result


LAYOUT = """(() => {
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none" && +s.opacity > 0;
  };
  const lights = [...document.querySelectorAll("[data-light]")];
  const tables = [...document.querySelectorAll("table")];
  const checklist = [...document.querySelectorAll("#checklist [data-light]")];
  return {
    lights: lights.length,
    lightsVisible: lights.filter(visible).length,
    lightsLabelled: lights.filter((el) => el.textContent.trim().length > 1).length,
    tables: tables.length,
    tablesVisible: tables.filter(visible).length,
    checklistInside: checklist.every((el) => el.getBoundingClientRect().right <= innerWidth + 1),
    pageWidth: document.documentElement.scrollWidth,
    title: document.title,
    pwned: typeof window.__pwned,
  };
})()"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "name", ["team", "team-grey-no-jira", "compare", "trend", "xss-team", "xss-compare", "xss-trend"]
)
def test_page_in_browser(browser: Browser, pages: dict[str, Page], name: str, width: int) -> None:
    page = pages[name]
    url = page.path.as_uri()
    report = browser.load(url, width)
    assert report.console_errors == []
    assert report.exceptions == []
    assert report.dialogs == []
    assert report.requests == [url]  # nothing but the file itself: no fonts, images or scripts
    layout = browser.evaluate(LAYOUT)
    assert layout["lights"] >= page.lights
    assert layout["lightsVisible"] == layout["lights"]
    assert layout["lightsLabelled"] == layout["lights"]  # every colour has its word beside it
    assert layout["tables"] == page.tables
    assert layout["tablesVisible"] == layout["tables"]
    assert layout["checklistInside"]
    assert layout["pageWidth"] <= width + 1, "the page scrolls sideways; only tables may"
    assert layout["pwned"] == "undefined"
    assert layout["title"] != "pwned"
    browser.screenshot(SCREENSHOTS / f"{name}-{width}.png", width)


def test_hostile_text_shows_as_text(browser: Browser, pages: dict[str, Page]) -> None:
    browser.load(pages["xss-team"].path.as_uri(), 1280)
    state = browser.evaluate(
        """({
          title: document.title,
          heading: document.querySelector("h1").textContent,
          images: document.images.length,
          scripts: document.scripts.length,
          javascriptLinks: [...document.links].filter((a) => !a.href.startsWith("https:")).length,
        })"""
    )
    assert state["heading"] == PAYLOAD
    assert state["title"].startswith(PAYLOAD)
    assert state["images"] == 0 and state["scripts"] == 0 and state["javascriptLinks"] == 0


def test_comparison_table_sorts_and_reads_without_script(browser: Browser, pages: dict[str, Page]) -> None:
    url = pages["compare"].path.as_uri()
    browser.load(url, 1280)
    column = "Coding share"
    read = f"""(() => {{
      const heads = [...document.querySelectorAll("#compare-table thead th")];
      const index = heads.findIndex((h) => h.textContent.trim() === {json.dumps(column)});
      return {{
        index,
        buttons: document.querySelectorAll("#compare-table thead th button").length,
        keys: [...document.querySelectorAll("#compare-table tbody tr")]
          .map((r) => r.cells[index].dataset.sort),
      }};
    }})()"""
    before = browser.evaluate(read)
    assert before["buttons"] == 13
    click = f"document.querySelectorAll('#compare-table thead th button')[{before['index']}].click()"
    browser.evaluate(click)
    ascending = browser.evaluate(read)["keys"]
    browser.evaluate(click)
    descending = browser.evaluate(read)["keys"]
    numbers = sorted(float(k) for k in before["keys"] if k)
    assert [float(k) for k in ascending if k] == numbers
    assert [float(k) for k in descending if k] == numbers[::-1]
    assert ascending[-1] == "" and descending[-1] == ""  # teams without data stay last

    report = browser.load(url, 390, scripts=False)
    assert report.console_errors == [] and report.requests == [url]
    plain = browser.evaluate(read)
    assert plain["buttons"] == 0 and plain["keys"] == before["keys"]
    assert browser.evaluate(LAYOUT)["tablesVisible"] == 1
    browser.screenshot(SCREENSHOTS / "compare-no-script-390.png", 390)
