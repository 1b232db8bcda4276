"""The HTML pages: one cached Jinja2 environment, formatting filters, and the view of each page.

Numbers, colours and links are decided here; the templates only lay them out. Every string
from GitHub or Jira reaches the page through autoescaping, and a link is written only when it
is http(s) to one of the configured hosts.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from core.config import Config, zone_for
from core.weeks import Week
from metrics.result import TeamWeek
from reports import charts
from reports.practice import TeamPractice, practice_trend_view, practice_view

CATEGORIES = ("strategic", "implementation", "tactical")
COLOURS = ("green", "yellow", "red", "grey")
SEVERITY = {"grey": 0, "green": 1, "yellow": 2, "red": 3}
# Icon and word beside every colour, so no light depends on seeing colour.
LIGHTS = {
    "green": ("✓", "Green"),
    "yellow": ("▲", "Yellow"),
    "red": ("✕", "Red"),
    "grey": ("○", "No data"),
}
CHECKLIST_ITEMS = ("coding", "reviews", "tactical_ownership", "strategic_involvement", "decisions")
CHECKLIST_TITLES = {
    "coding": "Coding share within the target",
    "reviews": "Reviews not waiting on you",
    "tactical_ownership": "The team owns tactical decisions",
    "strategic_involvement": "You are in the strategic work",
    "decisions": "Decisions answered quickly",
}
CHECKLIST_SHORT = {
    "coding": "Coding",
    "reviews": "Reviews",
    "tactical_ownership": "Tactical",
    "strategic_involvement": "Strategic",
    "decisions": "Decisions",
}
# Our own next steps, used when a checklist entry carries none.
NEXT_STEPS = {
    ("coding", "red"): "Hand your next coding task to someone on the team and pair with them for an "
    "hour instead of writing it yourself.",
    ("coding", "yellow"): "Pick one coding task for next week that a team member could own, and hand it "
    "over with the context they need.",
    ("reviews", "red"): "Clear the pull requests waiting on you today, then name a second reviewer for "
    "each repo so merges stop waiting for you.",
    ("reviews", "yellow"): "Let a team member take the first review; add yourself only where your "
    "context is really needed.",
    ("tactical_ownership", "red"): "Walk through this week's tactical escalations with the team and agree "
    "who decides each kind of question without you.",
    ("tactical_ownership", "yellow"): "Pick the tactical question that reached you most often and write "
    "down who on the team owns it.",
    ("strategic_involvement", "red"): "Block time next week for the strategic issues you have not touched "
    "and leave your view on each.",
    ("strategic_involvement", "yellow"): "Check in on the strategic issues you missed this week.",
    ("decisions", "red"): "Answer the oldest pending decisions first, or hand each one to a named person "
    "with a deadline.",
    ("decisions", "yellow"): "Set a short daily slot to answer decision requests before they pile up.",
}
CATEGORY_TITLES = {
    "strategic": "Strategic",
    "implementation": "Implementation",
    "tactical": "Tactical",
}
README_ANCHOR = "how-the-numbers-are-computed"
_SAFE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_UNSAFE_URL_CHARACTERS = re.compile(r"[\s\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PageContext:
    """What a page needs beyond the metrics: passed in, so rendering reads no clock or config."""

    timezone: str
    freshness: Mapping[str, datetime | None]
    allowed_hosts: Collection[str]
    generated_at: datetime
    readme_url: str | None = None
    # Whether a [jira] section is configured; None: judge from `freshness` (a Jira source in it).
    jira_configured: bool | None = None

    @property
    def zone(self) -> ZoneInfo:
        return zone_for(self.timezone)


def link_hosts(config: Config) -> frozenset[str]:
    """The hosts a page may link to: GitHub's web host (from the API URL) and the Jira host."""
    hosts: set[str] = set()
    if config.github is not None:
        api = urlsplit(config.github.base_url).hostname or ""
        hosts.add("github.com" if api == "api.github.com" else api)
    if config.jira is not None:
        hosts.add(urlsplit(config.jira.url).hostname or "")
    return frozenset(h.lower() for h in hosts if h)


def link_or_none(url: object, allowed_hosts: Collection[str]) -> str | None:
    """`url` when it is http(s) to an allowed host with no credentials; None otherwise."""
    if not isinstance(url, str) or not url or _UNSAFE_URL_CHARACTERS.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        return None
    if host not in {h.lower() for h in allowed_hosts}:
        return None
    return url


def readme_link(readme_url: str | None) -> str | None:
    """The README's "how the numbers are computed" section, for an http(s) or relative URL."""
    if not readme_url or _UNSAFE_URL_CHARACTERS.search(readme_url):
        return None
    scheme = urlsplit(readme_url).scheme.lower()
    if scheme not in ("", "http", "https", "file"):
        return None
    return readme_url.split("#", 1)[0] + "#" + README_ANCHOR


# ---------------------------------------------------------------- filters


def hours(value: float | None) -> str:
    """`3.25` -> `3.3 h`; null -> an em dash."""
    if value is None:
        return "—"
    return f"{float(value):.1f} h"


def age(value: float | None) -> str:
    """An age in hours as a reader says it: `5 h`, `30 h`, `3.5 days`."""
    if value is None:
        return "—"
    value = float(value)
    if value < 48:
        return f"{value:.0f} h" if value >= 1 else f"{value * 60:.0f} min"
    return f"{value / 24:.1f} days"


def percent(value: float | None) -> str:
    """`0.314` -> `31 %`; null -> an em dash."""
    if value is None:
        return "—"
    return f"{round(float(value) * 100)} %"


def weekday(value: date | datetime | None) -> str:
    return "—" if value is None else f"{value:%a}"


def day(value: date | None) -> str:
    """`Mon 17 Nov 2025`."""
    return "—" if value is None else f"{value:%a} {value.day} {value:%b %Y}"


@pass_context
def local_time(context: Context, value: datetime | None, form: str = "%H:%M") -> str:
    """A UTC instant in the page's time zone (`zone` in the template context)."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(context["zone"]).strftime(form)


@pass_context
def local_datetime(context: Context, value: datetime | None) -> str:
    """`Fri 21 Nov 2025, 08:02` in the page's time zone."""
    if value is None:
        return "never"
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    local = value.astimezone(context["zone"])
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


def sort_key(value: float | int | None) -> str:
    """A `data-sort` value: numbers as text, null as empty (sorted last by the script)."""
    return "" if value is None else repr(float(value))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja2 environment: templates from the installed package, autoescape on everywhere."""
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        hours=hours,
        age=age,
        percent=percent,
        weekday=weekday,
        day=day,
        local_time=local_time,
        local_datetime=local_datetime,
        sort_key=sort_key,
    )
    env.globals.update(lights=LIGHTS, palette=charts.PALETTE, categories=CATEGORIES, titles=CATEGORY_TITLES)
    return env


@lru_cache(maxsize=1)
def _sort_script_hash() -> str:
    """The CSP hash of the comparison table's sorting script, exactly as base.html includes it."""
    source = environment().get_template("_sort.js").render()
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def chart_svg(chart: charts.Chart) -> str:
    """One chart as SVG text, drawn by the same template the pages use."""
    return str(environment().get_template("_chart.html").module.chart(chart))  # type: ignore[attr-defined]


# ---------------------------------------------------------------- page views


def _section(summary: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = summary.get(key)
    return value if isinstance(value, Mapping) else {}


def _colour(value: object) -> str:
    return value if isinstance(value, str) and value in COLOURS else "grey"


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def worst(colours: Sequence[str]) -> str:
    """The worse of several colours: red > yellow > green > grey (SPEC §5)."""
    return max((_colour(c) for c in colours), key=SEVERITY.__getitem__, default="grey")


def lights_in_words(colours: Collection[str]) -> str:
    """`2 red, 1 yellow`; `all green` with nothing to act on; `no data` when every light is grey."""
    colours = list(colours)
    red, yellow = colours.count("red"), colours.count("yellow")
    if red or yellow:
        return ", ".join(f"{n} {word}" for n, word in ((red, "red"), (yellow, "yellow")) if n)
    if "green" in colours:
        return "all green"
    return "no data"


def checklist_lights(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The five lights in SPEC order (a missing one is grey), then any others the metrics add."""
    entries = [e for e in summary.get("checklist") or [] if isinstance(e, Mapping)]
    by_item = {str(e.get("item")): e for e in entries}
    names = list(CHECKLIST_ITEMS) + [
        str(e.get("item")) for e in entries if e.get("item") not in CHECKLIST_ITEMS
    ]
    lights = []
    for item in names:
        entry = by_item.get(item, {})
        colour = _colour(entry.get("colour"))
        step = entry.get("next_step") if isinstance(entry.get("next_step"), str) else None
        if colour in ("red", "yellow"):
            step = (step or "").strip() or NEXT_STEPS.get((item, colour)) or "Look at this section below."
        else:
            step = None
        icon, word = LIGHTS[colour]
        reason = entry.get("reason") if colour == "grey" and isinstance(entry.get("reason"), str) else None
        lights.append(
            {
                "item": item,
                "title": CHECKLIST_TITLES.get(item, item.replace("_", " ").capitalize()),
                "colour": colour,
                "icon": icon,
                "word": word,
                "rank": 3 - SEVERITY[colour],
                "next_step": step,
                "reason": reason,
            }
        )
    return lights


def _rows(frame: pl.DataFrame | None, columns: Sequence[str]) -> list[dict[str, Any]]:
    """A frame's rows as dicts with every expected column (None where the frame lacks it)."""
    if frame is None or frame.height == 0:
        return []
    return [{c: row.get(c) for c in columns} for row in frame.to_dicts()]


def _waiting(tw: TeamWeek, hosts: Collection[str]) -> list[dict[str, Any]]:
    rows = _rows(tw.waiting, ("repo", "number", "title", "url", "requested_at", "age_hours"))
    if not rows:
        listed = _section(tw.summary, "reviews").get("waiting_on_manager") or []
        rows = [
            {"repo": w.get("repo"), "number": w.get("number"), "title": None, "url": None,
             "requested_at": None, "age_hours": w.get("age_hours")}
            for w in listed if isinstance(w, Mapping)
        ]  # fmt: skip
    for row in rows:
        row["link"] = link_or_none(row["url"], hosts)
    return sorted(rows, key=lambda r: -(_float(r["age_hours"]) or 0.0))


def _pending(tw: TeamWeek, hosts: Collection[str]) -> list[dict[str, Any]]:
    rows = _rows(tw.pending, ("key", "summary", "url", "category", "requested_at", "age_hours"))
    if not rows:
        decisions = _section(tw.summary, "decisions")
        for category in CATEGORIES:
            for p in _section(decisions, category).get("pending") or []:
                if isinstance(p, Mapping):
                    rows.append(
                        {"key": p.get("key"), "summary": None, "url": None, "category": category,
                         "requested_at": None, "age_hours": p.get("age_hours")}
                    )  # fmt: skip
    for row in rows:
        row["link"] = link_or_none(row["url"], hosts)
        row["category"] = row["category"] if row["category"] in CATEGORIES else None
    return sorted(rows, key=lambda r: -(_float(r["age_hours"]) or 0.0))


def _categories(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    escalations, decisions = _section(summary, "escalations"), _section(summary, "decisions")
    result = []
    for category in CATEGORIES:
        esc, dec = _section(escalations, category), _section(decisions, category)
        reasons = esc.get("reasons")
        if not isinstance(reasons, Mapping):
            reasons = {}
        result.append(
            {
                "category": category,
                "title": CATEGORY_TITLES[category],
                "active": esc.get("active"),
                "escalated": esc.get("escalated"),
                "rate": _float(esc.get("escalation_rate")),
                "manager_involved": esc.get("manager_involved"),
                "reasons": sorted(reasons.items(), key=lambda kv: (-(kv[1] or 0), str(kv[0]))),
                "requested": dec.get("requested"),
                "answered": dec.get("answered"),
                "median": _float(dec.get("median_hours")),
                "p90": _float(dec.get("p90_hours")),
                "pending": len(dec.get("pending") or []),
            }
        )
    return result


def _has_jira(tw: TeamWeek, context: PageContext) -> bool:
    if tw.team.jira_projects == [] or context.jira_configured is False:
        return False
    if context.jira_configured:
        return True
    return not context.freshness or any("jira" in source.lower() for source in context.freshness)


SOURCE_NAMES = {"github": "GitHub", "jira": "Jira"}


def _freshness(context: PageContext, week: Week) -> list[dict[str, Any]]:
    return [
        {
            "source": SOURCE_NAMES.get(source.lower(), source),
            "synced": synced,
            "before_week_end": synced is not None and synced < week.end,
        }
        for source, synced in context.freshness.items()
    ]


def _unmapped(tw: TeamWeek) -> list[dict[str, Any]]:
    return _rows(tw.unmapped, ("source", "identity", "events"))


def _coding_history(history: Sequence[TeamWeek], current: TeamWeek) -> list[float | None]:
    weeks = [*[h for h in history if h.week.label != current.week.label][-7:], current]
    weeks.sort(key=lambda h: h.week.monday)
    return [_float(_section(h.summary, "coding").get("share")) for h in weeks]


def _common(context: PageContext, title: str) -> dict[str, Any]:
    return {
        "zone": context.zone,
        "timezone": context.timezone,
        "page_title": title,
        "generated_at": context.generated_at,
        "readme": readme_link(context.readme_url),
        "script_hash": None,
    }


def week_line(week: Week, zone: ZoneInfo) -> str:
    """`Week 2026-W47: Mon 16 Nov 2026 – Sun 22 Nov 2026`, or, for the week in progress,
    `Week 2026-W48 to date, as of Fri 27 Nov 15:00`."""
    if week.complete:
        return f"Week {week.label}: {day(week.monday)} – {day(week.local_sunday)}"
    local = week.cutoff.astimezone(zone)
    return f"Week {week.label} to date, as of {local:%a} {local.day} {local:%b} {local:%H:%M}"


def reports_line(reports: int | None, teams: int) -> str:
    """Who the coding target is for: `a team of 4`, or `23 reports across 2 teams`."""
    if reports is None:
        return "your team"
    if teams > 1:
        return f"{reports} reports across {teams} teams"
    return f"a team of {reports}"


def team_page(
    tw: TeamWeek, history: Sequence[TeamWeek], context: PageContext, practice: TeamPractice | None = None
) -> str:
    """The team's weekly report: checklist, the four signals and the evidence behind them, and
    with `practice` the Friday self-check and the delegation plan."""
    summary = tw.summary
    coding, reviews = _section(summary, "coding"), _section(summary, "reviews")
    hosts = context.allowed_hosts
    share, target = _float(coding.get("share")), _float(coding.get("target"))
    waiting = _waiting(tw, hosts)
    values = _coding_history(history, tw)
    flags = tw.extras.get("flags") or []
    view = {
        **_common(context, f"{tw.team.name} — week {tw.week.label}"),
        "tw": tw,
        "team_size": summary.get("team_size", len(tw.team.members)),
        "week_line": week_line(tw.week, context.zone),
        "reports_line": reports_line(
            coding.get("reports", summary.get("team_size")), int(tw.extras.get("managed_teams") or 1)
        ),
        "manager": tw.manager.display_name,
        "freshness": _freshness(context, tw.week),
        "unmapped": _unmapped(tw),
        "checklist": checklist_lights(summary),
        "coding": {
            "hours": _float(coding.get("hours")),
            "expected_hours": _float(coding.get("expected_hours")),
            "complete": tw.week.complete,
            "share": share,
            "target": target,
            "colour": _colour(coding.get("colour")),
            "merged_pr_share": _float(tw.extras.get("manager_merged_pr_share")),
            "commit_share": _float(tw.extras.get("manager_commit_share")),
            "bullet": charts.bullet_chart(share, target),
            "sparkline": charts.sparkline(values, target, "Coding share, last weeks"),
            "weeks": len(values),
        },
        "sessions": _rows(tw.sessions, ("day", "start", "end", "commits", "hours")),
        "reviews": {
            "colour": _colour(reviews.get("colour")),
            "share": _float(reviews.get("manager_review_share")),
            "manager_pickup": _float(reviews.get("manager_pickup_hours")),
            "team_pickup": _float(reviews.get("team_pickup_hours")),
            "top_reviewer": _float(reviews.get("top_reviewer_share")),
            "pickup_chart": charts.compare_bars(
                [
                    ("You", _float(reviews.get("manager_pickup_hours"))),
                    ("The team", _float(reviews.get("team_pickup_hours"))),
                ],
                "h",
                "Median hours from review request to first review",
            ),
        },
        "waiting": waiting,
        "categories": _categories(summary),
        "decisions_colour": _colour(_section(summary, "decisions").get("colour")),
        "pending": _pending(tw, hosts),
        "has_jira": _has_jira(tw, context),
        "flags": [str(f) for f in flags if f],
        "practice": practice_view(practice),
    }
    return environment().get_template("team.html").render(view)


def comparison_page(
    week: Week, team_weeks: Sequence[TeamWeek], slugs: Mapping[str, str], context: PageContext
) -> str:
    """Every team side by side: the checklist lights and headline numbers, sortable by column."""
    rows = []
    for tw in team_weeks:
        summary = tw.summary
        coding, reviews = _section(summary, "coding"), _section(summary, "reviews")
        slug = slugs.get(tw.team.name)
        waiting = _waiting(tw, ())
        pending = _pending(tw, ())
        lights = checklist_lights(summary)[: len(CHECKLIST_ITEMS)]
        rows.append(
            {
                "name": tw.team.name,
                "href": f"{slug}.html" if slug and _SAFE_SLUG.match(slug) else None,
                "manager": tw.manager.display_name,
                "team_size": summary.get("team_size"),
                "lights": lights,
                "overall": worst([light["colour"] for light in lights]),
                "in_words": lights_in_words([light["colour"] for light in lights]),
                "overall_rank": 3 - SEVERITY[worst([light["colour"] for light in lights])],
                "coding_share": _float(coding.get("share")),
                "coding_target": _float(coding.get("target")),
                "review_share": _float(reviews.get("manager_review_share")),
                "waiting": len(waiting),
                "oldest_waiting": _float(waiting[0]["age_hours"]) if waiting else None,
                "tactical_rate": _float(
                    _section(_section(summary, "escalations"), "tactical").get("escalation_rate")
                ),
                "pending": len(pending),
            }
        )
    view = {
        **_common(context, f"Delegation radar — all teams — week {week.label}"),
        "week": week,
        "rows": rows,
        "checklist_titles": [(CHECKLIST_SHORT[i], CHECKLIST_TITLES[i]) for i in CHECKLIST_ITEMS],
        "freshness": _freshness(context, week),
        "script_hash": _sort_script_hash(),
    }
    return environment().get_template("compare.html").render(view)


def trend_page(
    team_weeks: Sequence[TeamWeek],
    context: PageContext,
    practices: Sequence[TeamPractice | None] | None = None,
) -> str:
    """One team over a range of weeks (oldest first): the lines a quarterly review needs, and
    with `practices` (one per week, in the same order) the self-checks and plan verdicts."""
    weeks = sorted(team_weeks, key=lambda tw: tw.week.monday)
    labels = [tw.week.label for tw in weeks]
    coding = [_section(tw.summary, "coding") for tw in weeks]
    shares = [_float(c.get("share")) for c in coding]
    targets = [t for t in (_float(c.get("target")) for c in coding) if t is not None]
    target = targets[-1] if targets else None
    escalations = [_section(tw.summary, "escalations") for tw in weeks]
    decisions = [_section(tw.summary, "decisions") for tw in weeks]
    rate_series = [
        charts.Series(
            CATEGORY_TITLES[c], [_float(_section(e, c).get("escalation_rate")) for e in escalations]
        )
        for c in CATEGORIES
    ]
    latency_series = [
        charts.Series(CATEGORY_TITLES[c], [_float(_section(d, c).get("median_hours")) for d in decisions])
        for c in CATEGORIES
    ]
    review_series = [
        charts.Series(
            "Your review share",
            [_float(_section(tw.summary, "reviews").get("manager_review_share")) for tw in weeks],
        ),
        charts.Series(
            "Top reviewer's share",
            [_float(_section(tw.summary, "reviews").get("top_reviewer_share")) for tw in weeks],
        ),
    ]
    table = [
        {
            "tw": tw,
            "lights": checklist_lights(tw.summary)[: len(CHECKLIST_ITEMS)],
            "coding": _float(_section(tw.summary, "coding").get("share")),
            "hours": _float(_section(tw.summary, "coding").get("hours")),
            "review_share": _float(_section(tw.summary, "reviews").get("manager_review_share")),
            "categories": _categories(tw.summary),
        }
        for tw in weeks
    ]
    first, last = (weeks[0], weeks[-1]) if weeks else (None, None)
    name = first.team.name if first else "—"
    view = {
        **_common(context, f"{name} — trend {labels[0]} to {labels[-1]}" if labels else f"{name} — trend"),
        "team": first.team if first else None,
        "manager": first.manager.display_name if first else "—",
        "first": first,
        "last": last,
        "table": table,
        "checklist_titles": [(CHECKLIST_SHORT[i], CHECKLIST_TITLES[i]) for i in CHECKLIST_ITEMS],
        "coding_chart": charts.line_chart(
            labels,
            [charts.Series("Coding share", shares)],
            "Coding share by week",
            band=(0.0, target) if target is not None else None,
            band_label=f"green: below {percent(target)}" if target is not None else "",
        ),
        "review_chart": charts.line_chart(labels, review_series, "Review load by week"),
        "rate_chart": charts.line_chart(labels, rate_series, "Escalation rate by category and week"),
        "latency_chart": charts.line_chart(
            labels, latency_series, "Median decision latency by category and week", as_percent=False
        ),
        "freshness": _freshness(context, last.week) if last else [],
        "practice_trend": practice_trend_view(practices) if practices else None,
    }
    return environment().get_template("trend.html").render(view)


def definitions_page(context: PageContext) -> str:
    """`definitions.html`: how every number and colour is computed (linked from every page)."""
    return (
        environment()
        .get_template("definitions.html")
        .render(_common(context, "How the numbers are computed"))
    )
