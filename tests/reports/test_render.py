"""The three pages on hand-built TeamWeeks: content, honesty about missing data, and safety."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from markupsafe import escape as markup_escape

from core.config import parse_config
from metrics.checklist import NEXT_STEPS
from reports.render import (
    PageContext,
    comparison_page,
    environment,
    link_hosts,
    link_or_none,
    readme_link,
    team_page,
    trend_page,
)
from reports.slug import unique_slugs
from tests.reports.factory import (
    SYNCED,
    WEEK,
    ZONE_NAME,
    TeamWeekFactory,
    busy_summary,
    checklist,
    empty_evidence,
    evidence,
    grey_summary,
)

ZONE = ZoneInfo(ZONE_NAME)


class Parsed(HTMLParser):
    """Collects what matters for safety: tags, attributes, script bodies, link targets."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def hrefs(self) -> list[str]:
        """Every link target but the page's own section anchors (`#pending`, our constants)."""
        return [
            a["href"] or ""
            for t, a in self.tags
            if t == "a" and "href" in a and not (a["href"] or "").startswith("#")
        ]

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def lights(html: str) -> list[str]:
    return re.findall(r'data-light="(\w+)"', html)


# ---------------------------------------------------------------- team page


def test_team_page_shows_every_section(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week()
    html = team_page(tw, [tw], context)
    assert "<h1>Churn &amp; Retention</h1>" in html
    assert "Week 2026-W47: Mon 16 Nov 2026 – Sun 22 Nov 2026 (Asia/Tbilisi)" in html
    assert "Manager: Nino B. · team of 3" in html
    # checklist: five lights in SPEC order, then one per section heading, then the legend
    items = re.findall(r'<li data-item="(\w+)">', html)
    assert items == ["coding", "reviews", "tactical_ownership", "strategic_involvement", "decisions"]
    assert lights(html)[:5] == ["yellow", "red", "red", "yellow", "red"]
    assert html.count("Next step:") == 5
    # coding: 18.5 h = 46 % of 40 h against the 40 % target; sessions in Tbilisi time (UTC+4)
    assert "<strong>18.5 h</strong>" in html and "<strong>46 %</strong>" in html
    assert "the target is below 40 %" in html
    assert (
        '<td data-label="Day">Mon 16 Nov 2026</td><td data-label="Start">09:00</td>'
        '<td data-label="End">12:30</td>' in html
    )  # 05:00 UTC = 09:00 in Tbilisi
    # reviews: oldest waiting first, linked to GitHub; ages as a reader says them
    assert html.index("pull/42") < html.index("pull/43")
    assert "2.9 days" in html and ">5 h<" in html
    # reasons in plain words, never as slugs with counts
    assert "×" not in html and "stakeholder-misalignment" not in re.sub(r'data-reason="[^"]*"', "", html)
    assert "p90" not in html and "9 in 10 answered within" in html
    assert 'href="https://acme.atlassian.net/browse/DS-7"' in html
    assert "team is not owning tactical decisions" in html
    # data quality last: unmapped identities and freshness in the footer section, after the signals
    assert html.index('id="data-quality"') > html.index('id="decisions"') > html.index('id="checklist"')
    assert "Unmapped identities." in html and "GitHub login: old-laptop-login (3 events)" in html
    assert "Data last synced:" in html and "GitHub Fri 27 Nov 2026, 08:00" in html
    assert (
        'href="https://github.com/acme/delegation-radar/blob/main/README.md#how-the-numbers-are-computed"'
        in html
    )
    assert "Generated Fri 27 Nov 2026, 08:05" in html


def test_team_page_is_self_contained(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week()
    parsed = Parsed(team_page(tw, [tw], context))
    assert not parsed.named("script")
    assert not parsed.named("img") and not parsed.named("iframe")
    assert not [a for a in parsed.named("link") if a.get("rel") == "stylesheet"]
    assert all(
        href.startswith(("https://github.com/", "https://acme.atlassian.net/")) for href in parsed.hrefs()
    )
    (csp,) = [m for m in parsed.named("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in (csp["content"] or "") and "script-src 'none'" in (csp["content"] or "")
    assert len(parsed.named("svg")) == 3  # bullet, sparkline, pickup bars


def test_grey_week_with_nulls_reads_as_no_data(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week(summary=grey_summary("Churn & Retention", 3), frames=empty_evidence(), extras={})
    html = team_page(tw, [tw], context)
    assert lights(html)[:5] == ["grey"] * 5
    assert "Next step:" not in html
    assert "No working day of this week has begun yet." in html and "You spent" not in html
    assert "No coding sessions this week." in html
    assert "Nothing waits on your review" in html
    assert "No decision requests are waiting on you" in html
    assert "no data this week" in html  # the bullet chart says so instead of drawing a zero
    assert "Unmapped identities" not in html
    assert "None" not in html and "nan" not in html.lower().replace("nanum", "")


def test_next_steps_are_the_metrics_words_on_red_and_yellow_only(
    team_week: TeamWeekFactory, context: PageContext
) -> None:
    summary = busy_summary("Ops", 3)
    colours = ("red", "yellow", "green", "grey", "red")
    # every light carries a step here, so the page alone decides which ones to show
    summary["checklist"] = [{**c, "next_step": f"Step for {c['item']}."} for c in checklist(*colours)]
    tw = team_week(summary=summary)
    html = team_page(tw, [tw], context)
    assert "Step for coding." in html and "Step for reviews." in html and "Step for decisions." in html
    assert "Step for tactical_ownership." not in html  # green: nothing to do
    assert "Step for strategic_involvement." not in html  # grey: not judged
    assert html.count("Next step:") == 3


def test_the_page_shows_the_checklist_wording(team_week: TeamWeekFactory, context: PageContext) -> None:
    summary = busy_summary("Ops", 3)
    summary["checklist"] = [
        {**c, "next_step": NEXT_STEPS[c["item"]].get(c["colour"])}
        for c in checklist("red", "yellow", "green", "grey", "red")
    ]
    tw = team_week(summary=summary)
    html = team_page(tw, [tw], context)
    for item, colour in (("coding", "red"), ("reviews", "yellow"), ("decisions", "red")):
        assert escape(NEXT_STEPS[item][colour]) in html


def test_team_without_jira(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week(jira_projects=[], summary=grey_summary("Ops", 4), frames=evidence(), name="Ops", size=4)
    html = team_page(tw, [tw], replace(context, freshness={"GitHub": context.freshness["GitHub"]}))
    assert "has no Jira project configured" in html
    assert 'id="categories-table"' not in html
    assert "DS-7" not in html


@pytest.mark.parametrize(
    ("jira_configured", "freshness", "measured"),
    [
        (None, {"github": SYNCED, "jira": SYNCED}, True),
        (None, {"github": SYNCED}, False),  # nothing from Jira: say so rather than show zeros
        (None, {}, True),  # no freshness given: nothing to judge by
        (False, {"github": SYNCED, "jira": SYNCED}, False),
        (True, {"github": SYNCED}, True),
    ],
)
def test_jira_section_follows_the_configuration(
    team_week: TeamWeekFactory,
    context: PageContext,
    jira_configured: bool | None,
    freshness: dict[str, datetime],
    measured: bool,
) -> None:
    tw = team_week()
    page = replace(context, jira_configured=jira_configured, freshness=freshness)
    html = team_page(tw, [tw], page)
    assert ('id="categories-table"' in html) is measured
    assert ("has no Jira project configured" in html) is not measured
    if freshness:
        assert "GitHub Fri 27 Nov 2026" in html  # source names as people write them


def test_team_of_one(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week(name="Solo", size=1, summary=busy_summary("Solo", 1))
    html = team_page(tw, [tw], context)
    assert "team of 1 (not counting the manager)" in html
    assert "For a team of 1, the target is below 40 %." in html


def test_sparkline_uses_up_to_eight_weeks_oldest_first(
    team_week: TeamWeekFactory, context: PageContext
) -> None:
    history = []
    for back in range(9, 0, -1):
        summary = busy_summary("Churn & Retention", 3)
        summary["coding"] = {**summary["coding"], "share": back / 100}
        history.append(team_week(week=WEEK.previous(ZONE, back), summary=summary))
    tw = team_week()
    html = team_page(tw, [*history, tw], context)
    # 7 previous weeks (7 %, 6 %, ... 1 %) and this one (46 %)
    assert "Coding share, last weeks, oldest first: 7 %, 6 %, 5 %, 4 %, 3 %, 2 %, 1 %, 46 %" in html
    assert "Last 8 weeks" in html


def test_freshness_warns_when_synced_before_week_end(
    team_week: TeamWeekFactory, context: PageContext
) -> None:
    tw = team_week()
    early = replace(context, freshness={"GitHub": WEEK.end.replace(year=2026, day=20), "Jira": None})
    html = team_page(tw, [tw], early)
    assert "before the week ended: numbers may be incomplete" in html
    assert "Jira never" in html


# ---------------------------------------------------------------- hostile input

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "{{7*7}}",
    "{% raw %}x",
    "'; document.title='pwned'; '",
    "</title><script>document.title='pwned'</script>",
    "<svg onload=alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_source_text_is_escaped(
    team_week: TeamWeekFactory, context: PageContext, payload: str
) -> None:
    frames = evidence(title=payload, summary=payload)
    frames["unmapped"] = pl.DataFrame({"source": ["github"], "identity": [payload], "events": [1]})
    summary = busy_summary(payload, 3)
    summary["escalations"]["tactical"]["reasons"] = {payload: 2}
    summary["checklist"][1]["next_step"] = payload
    tw = team_week(
        name=payload, summary=summary, frames=frames, manager_name=payload, extras={"flags": [payload]}
    )
    pages = [
        team_page(tw, [tw], context),
        comparison_page(WEEK, [tw], unique_slugs([payload]), context),
        trend_page([tw], context),
    ]
    for html in pages:
        parsed = Parsed(html)
        assert not any(t == "img" for t, _ in parsed.tags)
        assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
        assert all("__pwned" not in s and "pwned'" not in s for s in parsed.scripts)
        assert "49" not in html.split("<body>")[1].replace("2026-W47", "")  # {{7*7}} never evaluated
        if "<" in payload:
            assert payload not in html
    assert str(markup_escape(payload)) in pages[0]  # shown as the text it is, escaped


def test_template_syntax_in_data_stays_literal(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week(frames=evidence(title="{{7*7}} {% if 1 %}x{% endif %}"))
    html = team_page(tw, [tw], context)
    assert "{{7*7}} {% if 1 %}x{% endif %}" in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "https://evil.example/acme/churn-model/pull/42",
        "https://github.com.evil.example/x",
        "https://user:pw@github.com/x",
        "https://evil.example\\@github.com/x",
        "https://github.com\\@evil.example/x",
        "//github.com/x",
        "https://github.com:99999/x",
        "file:///etc/passwd",
        "",
        None,
    ],
)
def test_links_only_to_allowed_hosts(
    team_week: TeamWeekFactory, context: PageContext, url: str | None
) -> None:
    frames = evidence()
    for name in ("waiting", "pending", "answered", "issues", "stale"):
        frames[name] = frames[name].with_columns(pl.lit(url, dtype=pl.String).alias("url"))
    tw = team_week(frames=frames)
    html = team_page(tw, [tw], context)
    assert link_or_none(url, context.allowed_hosts) is None
    hrefs = Parsed(html).hrefs()
    assert hrefs == [hrefs[-1]] and hrefs[-1].endswith("#how-the-numbers-are-computed")
    assert "acme/churn-model#42" in html and "DS-7" in html  # shown as plain text
    assert "DS-12" in html and "DS-1" in html and "DS-3" in html


def test_allowed_links_pass() -> None:
    hosts = {"github.com", "jira.acme.example"}
    assert link_or_none("https://github.com/acme/x/pull/1", hosts) == "https://github.com/acme/x/pull/1"
    assert link_or_none("https://GitHub.com/acme/x/pull/1", hosts) is not None
    assert link_or_none("http://jira.acme.example:8080/browse/DS-1", hosts) is not None
    assert link_or_none("https://sub.github.com/x", hosts) is None


def test_readme_link() -> None:
    assert (
        readme_link("https://h.example/README.md#setup")
        == "https://h.example/README.md#how-the-numbers-are-computed"
    )
    assert readme_link("../README.md") == "../README.md#how-the-numbers-are-computed"
    assert readme_link("javascript:alert(1)") is None
    assert readme_link(None) is None


def test_link_hosts_from_config() -> None:
    config = parse_config(
        {
            "github": {"base_url": "https://ghe.acme.example/api/v3"},
            "jira": {"url": "https://acme.atlassian.net"},
        }
    )
    assert link_hosts(config) == {"ghe.acme.example", "acme.atlassian.net"}
    assert link_hosts(parse_config({"github": {}})) == {"github.com"}


def test_environment_is_cached_with_autoescape() -> None:
    env = environment()
    assert env is environment()
    assert env.autoescape is True
    for name in ("hours", "percent", "weekday", "age", "day", "local_time"):
        assert name in env.filters
    # no template marks anything safe: source data is always escaped
    for name in env.list_templates():
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source
    # ...and no Python code in reports/ hands the templates pre-made markup either
    for module in Path(environment.__wrapped__.__code__.co_filename).parent.glob("*.py"):
        code = module.read_text("utf-8")
        assert "Markup(" not in code and "markupsafe" not in code, module.name


# ---------------------------------------------------------------- comparison page


def test_comparison_page_many_teams(team_week: TeamWeekFactory, context: PageContext) -> None:
    names = [f"Team {i:02d}" for i in range(25)] + ["Churn & Retention", "churn retention"]
    team_weeks = [
        team_week(
            name=n, summary=busy_summary(n, 3) if i % 2 else grey_summary(n, 5), frames=empty_evidence()
        )
        for i, n in enumerate(names)
    ]
    slugs = unique_slugs(names)
    html = comparison_page(WEEK, team_weeks, slugs, context)
    parsed = Parsed(html)
    assert "27 teams" in html
    assert html.count("<tr>") + html.count("<tr data-team=") == 28  # header + one row per team
    assert len(lights(html)) == 27 * 6 + 4  # overall + five per team, plus the legend
    team_links = [h for h in parsed.hrefs() if h.endswith(".html")]
    assert team_links == [f"{slugs[n]}.html" for n in names]
    assert len(set(team_links)) == 27
    (script,) = parsed.scripts
    assert "querySelectorAll" in script
    (csp,) = [m for m in parsed.named("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "script-src 'sha256-" in (csp["content"] or "")


def test_comparison_page_reads_without_script(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week()
    html = comparison_page(WEEK, [tw], {"Churn & Retention": "churn-retention"}, context)
    body = html.split("<script>")[0]
    # the numbers are in the HTML itself, in the cells, with sort keys beside them
    assert 'data-sort="0.4625">46 %' in body
    assert 'data-sort="0.6">60 %' in body
    assert '2<br><span class="meta">oldest 2.9 days</span>' in body


def test_comparison_page_ignores_unsafe_slug(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week()
    html = comparison_page(WEEK, [tw], {"Churn & Retention": "../../etc/passwd"}, context)
    assert not [h for h in Parsed(html).hrefs() if h.endswith(".html")]


def test_comparison_page_no_teams(context: PageContext) -> None:
    html = comparison_page(WEEK, [], {}, context)
    assert "No teams in this report." in html


# ---------------------------------------------------------------- trend page


def test_trend_page(team_week: TeamWeekFactory, context: PageContext) -> None:
    weeks = []
    for back in range(12, -1, -1):
        summary = busy_summary("Churn & Retention", 3) if back != 5 else grey_summary("Churn & Retention", 3)
        weeks.append(team_week(week=WEEK.previous(ZONE, back) if back else WEEK, summary=summary))
    html = trend_page(list(reversed(weeks)), context)  # given newest first, drawn oldest first
    assert "Weeks 2026-W35 to 2026-W47" in html
    assert html.count('<th scope="row">2026-W') == 13
    assert html.index("2026-W35<br>") < html.index("2026-W47<br>")
    parsed = Parsed(html)
    assert len(parsed.named("svg")) == 4
    assert "green: below 40 %" in html
    assert "Coding share: 46 %" in html and "no data" in html  # the grey week is a gap, not a zero


def test_trend_page_empty(context: PageContext) -> None:
    html = trend_page([], context)
    assert "No weeks in this range." in html


def test_dates_follow_the_page_time_zone(team_week: TeamWeekFactory, context: PageContext) -> None:
    tw = team_week()
    utc = team_page(tw, [tw], replace(context, timezone="UTC"))
    assert (
        '<td data-label="Day">Mon 16 Nov 2026</td><td data-label="Start">05:00</td>'
        '<td data-label="End">08:30</td>' in utc
    )  # Tbilisi is UTC+4
    assert "Generated Fri 27 Nov 2026, 04:05 (UTC)" in utc
    assert datetime(2026, 11, 27, 4, 5, tzinfo=UTC) == context.generated_at


def test_week_line_says_to_date_for_the_week_in_progress() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from core.weeks import Week
    from reports.render import week_line

    zone = ZoneInfo("Asia/Tbilisi")
    week = Week.parse("2026-W48", zone)
    assert week_line(week, zone) == "Week 2026-W48: Mon 23 Nov 2026 – Sun 29 Nov 2026"
    # Friday 27 Nov 11:00 UTC is 15:00 in Tbilisi (UTC+4).
    friday = week.at(datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
    assert week_line(friday, zone) == "Week 2026-W48 to date, as of Fri 27 Nov 15:00"


def test_reports_line_counts_every_report_across_the_managers_teams() -> None:
    from reports.render import reports_line

    assert reports_line(23, 2) == "23 reports across 2 teams"
    assert reports_line(4, 1) == "a team of 4"
