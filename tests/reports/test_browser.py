"""The pages in a real browser: headless Chromium opens each from a file at phone and desktop
widths; no console errors, no requests but the file, lights and tables visible, payloads inert,
nothing wider than the page (and at 1280 px no box that needs sideways scrolling), no chart label
cut off. Every page kind is opened: hand-built pages, the demo workspace's pages as `radar report`
writes them (team, comparison, trend, quarter index), and the same from a store full of hostile text.

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

from core.config import load_config
from core.store import Store
from core.weeks import Week
from demo.workspace import write_demo_workspace
from flows.outputs import write_range
from reports.render import PageContext, comparison_page, quarter_page, team_page, trend_page
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
    history_all = [*history, busy]
    rendered = {
        "team": (team_page(busy, history_all, context), 5 + 5 + 4, 7),
        "team-grey-no-jira": (team_page(grey, [grey], context), 5 + 5 + 4, 0),
        "compare": (comparison_page(WEEK, many, unique_slugs(names), context), 10 * 6 + 4, 1),
        "trend": (trend_page(history_all, context), 8 * 5 + 4, 1),
        "quarter": (
            quarter_page({busy.team.name: history_all, "Solo": [grey]}, unique_slugs(names), context),
            4,
            3,
        ),
        "xss-team": (team_page(hostile, [hostile], hostile_context), 5 + 5 + 4, 7),
        "xss-compare": (
            comparison_page(WEEK, [hostile, busy], unique_slugs([PAYLOAD]), hostile_context),
            2 * 6 + 4,
            1,
        ),
        "xss-trend": (trend_page([hostile], hostile_context), 5 + 4, 1),
        "xss-quarter": (quarter_page({PAYLOAD: [hostile]}, unique_slugs([PAYLOAD]), hostile_context), 4, 3),
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
    // boxes that scroll sideways: an element whose content is wider than it and that scrolls
    scrollingBoxes: [...document.querySelectorAll("body *")].filter((el) => {
      const s = getComputedStyle(el);
      return ["auto", "scroll"].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1;
    }).map((el) => el.id || el.className || el.tagName),
    // chart labels drawn outside their chart's view box are cut off
    cutLabels: [...document.querySelectorAll("svg.chart text")].filter((t) => {
      const b = t.getBBox(), v = t.ownerSVGElement.viewBox.baseVal;
      return b.x < v.x - 0.5 || b.y < v.y - 0.5 || b.x + b.width > v.x + v.width + 0.5
        || b.y + b.height > v.y + v.height + 0.5;
    }).map((t) => t.textContent),
    firstSection: (document.querySelector("main section") || {}).id || null,
    title: document.title,
    pwned: typeof window.__pwned,
  };
})()"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "name",
    [
        "team",
        "team-grey-no-jira",
        "compare",
        "trend",
        "quarter",
        "xss-team",
        "xss-compare",
        "xss-trend",
        "xss-quarter",
    ],
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
    if width >= 1280:
        assert layout["scrollingBoxes"] == [], "at 1280 px every table fits whole"
    assert layout["cutLabels"] == []
    assert layout["pwned"] == "undefined"
    assert layout["title"] != "pwned"
    if name.endswith("team") or name == "team-grey-no-jira":
        assert layout["firstSection"] == "checklist"
    browser.screenshot(SCREENSHOTS / f"{name}-{width}.png", width)


def test_hostile_text_shows_as_text(browser: Browser, pages: dict[str, Page]) -> None:
    browser.load(pages["xss-team"].path.as_uri(), 1280)
    state = browser.evaluate(
        """({
          title: document.title,
          heading: document.querySelector("h1").textContent,
          images: document.images.length,
          scripts: document.scripts.length,
          javascriptLinks: [...document.links]
            .filter((a) => !a.getAttribute("href").startsWith("#") && !a.href.startsWith("https:")).length,
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
    assert before["buttons"] == 11  # team, overall, five lights, four numbers
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


# ---------------------------------------------------------------- pages written from a store

LONG_WORD = "x" * 160  # one unbroken word, wider than a phone


def hostile_workspace(folder: Path) -> Path:
    """The demo workspace with hostile text wherever a store or config carries text: team and
    manager names, a reason name, issue summaries and PR titles (markup, template syntax and a
    160-character word), and links to javascript: and to another host."""
    config_path = write_demo_workspace(folder)
    toml = config_path.read_text("utf-8")
    toml = toml.replace('name = "Churn & Retention"', f"name = '''{PAYLOAD} Churn'''", 1)
    toml = toml.replace('name = "Nino Bakradze"', f"name = '''{PAYLOAD}'''", 1)
    toml = toml.replace('scope-creep = "scope-change"', f"scope-creep = '''{PAYLOAD}'''", 1)
    config_path.write_text(toml, "utf-8")
    store = Store(folder / "data")
    issues = store.read("issues")
    store.write(
        "issues",
        issues.with_columns(
            summary=pl.lit(f"{PAYLOAD} {LONG_WORD}"),
            url=pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit(EVIL_URL)).otherwise(pl.col("url")),
        ),
    )
    pulls = store.read("pull_requests")
    store.write(
        "pull_requests",
        pulls.with_columns(title=pl.lit(f"{PAYLOAD} {LONG_WORD}"), url=pl.lit("https://evil.example/x")),
    )
    return config_path


@pytest.fixture(scope="module")
def store_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every page kind as a range run writes it, for the demo and for the hostile store: a team
    page, the comparison page, a trend page and the quarter index (W44 to W47)."""
    from datetime import UTC, datetime

    pages: dict[str, Path] = {}
    for kind, make in (("demo", write_demo_workspace), ("hostile", hostile_workspace)):
        config = load_config(make(tmp_path_factory.mktemp(kind)))
        last = Week.parse("2026-W47", config.zone)
        output = write_range(
            config,
            Store(config.store_path).read_all(),
            last.previous(config.zone, 3).monday,
            last.monday,
            generated_at=datetime(2026, 11, 27, 7, 0, tzinfo=UTC),
        )
        week = output.weeks[-1]
        churn = next(name for name in week.pages if "Churn" in name)
        pages[f"{kind}-team"] = week.pages[churn]
        pages[f"{kind}-compare"] = week.index_path
        pages[f"{kind}-trend"] = output.trend_pages[churn]
        pages[f"{kind}-quarter"] = output.trend_folder / "index.html"
    return pages


def test_store_pages_in_browser(browser: Browser, store_pages: dict[str, Path]) -> None:
    """One pass over the eight pages at both widths; every problem is collected, then reported."""
    problems: list[str] = []
    for name, path in store_pages.items():
        url = path.as_uri()
        for width in WIDTHS:
            report = browser.load(url, width)
            layout = browser.evaluate(LAYOUT)
            found = {
                "console errors": report.console_errors + report.exceptions,
                "requests": [r for r in report.requests if r != url],
                "dialogs": report.dialogs,
                "wider than the page": layout["pageWidth"] > width + 1,
                "boxes scrolling sideways": layout["scrollingBoxes"] if width >= 1280 else [],
                "cut chart labels": layout["cutLabels"],
                "unlabelled lights": layout["lightsLabelled"] != layout["lights"],
                "hidden tables": layout["tablesVisible"] != layout["tables"],
                "script ran": layout["pwned"] != "undefined" or layout["title"] == "pwned",
                "checklist not first": name.endswith("team") and layout["firstSection"] != "checklist",
            }
            problems += [f"{name} at {width}: {what}: {value}" for what, value in found.items() if value]
            browser.screenshot(SCREENSHOTS / f"{name}-{width}.png", width)
    assert problems == []
    hostile = store_pages["hostile-team"].read_text("utf-8")
    assert "javascript:" not in hostile and "evil.example" not in hostile
