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
from metrics.checklist import CHECKLIST_ITEMS
from metrics.escalations import CATEGORIES
from metrics.result import ChecklistLight, Reviews, TeamWeek
from metrics.scope import COLOUR_RANK, worst
from reports import charts
from reports.change import change_text, colours_of, light_changes, streak, streak_text
from reports.practice import TeamPractice, practice_trend_view, practice_view
from reports.reasons import UNSPECIFIED, reason_of

# Icon and word beside every colour, so no light depends on seeing colour.
LIGHTS = {
    "green": ("✓", "Green"),
    "yellow": ("▲", "Yellow"),
    "red": ("✕", "Red"),
    "grey": ("○", "No data"),
}
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
CATEGORY_TITLES = {
    "strategic": "Strategic",
    "implementation": "Implementation",
    "tactical": "Tactical",
}
README_ANCHOR = "how-the-numbers-are-computed"
LIST_LIMIT = 10  # a page lists this many of a kind (the oldest first), then says "and N more"
ESCALATION_KINDS = {
    "label": "escalation label added",
    "assign": "assigned to you",
    "status": "moved into a decision status",
    "mention": "you were mentioned in a comment",
}
IDENTITY_SOURCES = {"github": "GitHub login", "jira": "Jira account"}
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
    if scheme not in ("", "http", "https"):
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


def lights_in_words(colours: Collection[str]) -> str:
    """`2 red, 1 yellow`; `all green` with nothing to act on; `no data` when every light is grey."""
    colours = list(colours)
    red, yellow = colours.count("red"), colours.count("yellow")
    if red or yellow:
        return ", ".join(f"{n} {word}" for n, word in ((red, "red"), (yellow, "yellow")) if n)
    if "green" in colours:
        return "all green"
    return "no data"


def checklist_lights(checklist: Sequence[ChecklistLight]) -> list[dict[str, Any]]:
    """The lights as every page and message shows them: title, icon and word beside the colour,
    the next step only on a red or yellow light, the reason only on a grey one."""
    lights = []
    for light in checklist:
        icon, word = LIGHTS[light.colour]
        lights.append(
            {
                "item": light.item,
                "title": CHECKLIST_TITLES[light.item],
                "colour": light.colour,
                "icon": icon,
                "word": word,
                "rank": 3 - COLOUR_RANK[light.colour],
                "next_step": light.next_step if light.colour in ("red", "yellow") else None,
                "reason": light.reason if light.colour == "grey" else None,
            }
        )
    return lights


def _rows(frame: pl.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """An evidence frame's rows as dicts of `columns`."""
    return frame.select(columns).to_dicts() if frame.height else []


def waiting_rows(reviews: Reviews, hosts: Collection[str]) -> list[dict[str, Any]]:
    """The pull requests waiting on the manager, oldest first, each with its safe link."""
    rows = _rows(reviews.waiting, ("repo", "number", "title", "url", "requested_at", "age_hours"))
    for row in rows:
        row["link"] = link_or_none(row["url"], hosts)
    return sorted(rows, key=lambda r: -r["age_hours"])


def pending_rows(tw: TeamWeek, hosts: Collection[str]) -> list[dict[str, Any]]:
    """The decisions waiting on the manager (stale ones aside), oldest first, with safe links."""
    rows = _rows(tw.decisions.pending, ("key", "summary", "url", "category", "requested_at", "age_hours"))
    for row in rows:
        row["link"] = link_or_none(row["url"], hosts)
    return sorted(rows, key=lambda r: -r["age_hours"])


def category_rows(tw: TeamWeek) -> list[dict[str, Any]]:
    """Per delegation category: its escalations (reasons most frequent first) and decisions."""
    result = []
    for category in CATEGORIES:
        esc, dec = tw.escalations.category(category), tw.decisions.category(category)
        result.append(
            {
                "category": category,
                "title": CATEGORY_TITLES[category],
                "active": esc.active,
                "escalated": esc.escalated,
                "rate": esc.escalation_rate,
                "manager_involved": esc.manager_involved,
                "reasons": sorted(esc.reasons.items(), key=lambda kv: (-kv[1], kv[0])),
                "requested": dec.requested,
                "answered": dec.answered,
                "median": dec.median_hours,
                "p90": dec.p90_hours,
                "pending": len(dec.pending),
            }
        )
    return result


# ---------------------------------------------------------------- evidence behind the lights


def bounded(rows: Sequence[Mapping[str, Any]], limit: int = LIST_LIMIT) -> dict[str, Any]:
    """The first `limit` rows (the caller sorts, oldest first) and how many more there are."""
    return {"rows": list(rows[:limit]), "more": max(len(rows) - limit, 0), "total": len(rows)}


def _issue_details(tw: TeamWeek) -> dict[str, dict[str, Any]]:
    """Issue key -> summary, url, category, from every evidence frame that names issues."""
    details: dict[str, dict[str, Any]] = {}
    frames = (tw.escalations.issues, tw.decisions.answered, tw.decisions.stale, tw.decisions.pending)
    for frame in frames:
        for row in _rows(frame, ("key", "summary", "url", "category")):
            details.setdefault(row["key"], row)
    return details


def _issue(key: str, details: Mapping[str, Mapping[str, Any]], hosts: Collection[str]) -> dict[str, Any]:
    """An issue as the page names it: key, summary and link when an evidence frame has them."""
    found = details.get(key, {})
    return {
        "key": key,
        "summary": found.get("summary"),
        "link": link_or_none(found.get("url"), hosts),
        "category": found.get("category"),
    }


def escalation_items(tw: TeamWeek, hosts: Collection[str]) -> list[dict[str, Any]]:
    """Each escalation of the week, oldest first: the issue, its category, how it reached you
    (in words), by whom, when, and its reasons in plain words."""
    details = _issue_details(tw)
    rows = []
    for category in CATEGORIES:
        for item in tw.escalations.category(category).items:
            reasons = list(item.reasons) or [UNSPECIFIED]
            rows.append(
                {
                    **_issue(item.key, details, hosts),
                    "category": category,
                    "at": item.at,
                    "kind": ESCALATION_KINDS.get(item.kind, item.kind),
                    "by": item.by if item.by is not None else "—",
                    "reasons": reasons,
                    "reason_titles": [reason_of(r).title for r in reasons],
                }
            )
    rows.sort(key=lambda r: (r["at"], r["key"]))
    return rows


def reason_steps(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One next step per reason among the week's escalations: the reason in plain words, the
    step, and the issues it refers to (each once); most escalated issues first."""
    by_reason: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        for reason in item["reasons"]:
            issues = by_reason.setdefault(reason, [])
            if all(i["key"] != item["key"] for i in issues):
                issues.append(item)
    steps: list[dict[str, Any]] = []
    for name, issues in by_reason.items():
        reason = reason_of(name)
        steps.append(
            {
                "reason": name,
                "title": reason.title,
                "next_step": reason.next_step,
                "count": len(issues),
                "issues": bounded(issues),
            }
        )
    steps.sort(key=lambda s: (-int(s["count"]), s["reason"] == UNSPECIFIED, str(s["title"])))
    return steps


def strategic_without_you(tw: TeamWeek, hosts: Collection[str]) -> list[dict[str, Any]]:
    """The strategic issues active in the week that you did not touch (SPEC §5.5)."""
    details = _issue_details(tw)
    return [_issue(key, details, hosts) for key in tw.escalations.strategic_without_manager]


def answered_decisions(tw: TeamWeek, hosts: Collection[str]) -> list[dict[str, Any]]:
    """The decision requests answered in the week, longest wait first."""
    rows = _rows(
        tw.decisions.answered,
        ("key", "summary", "url", "category", "requested_at", "answered_at", "wait_hours"),
    )
    for row in rows:
        row["link"] = link_or_none(row["url"], hosts)
    return sorted(rows, key=lambda r: (-r["wait_hours"], r["key"]))


def stale_requests(tw: TeamWeek, hosts: Collection[str]) -> list[dict[str, Any]]:
    """Requests older than `stale_after_days`, oldest first: answer or close them."""
    rows = _rows(tw.decisions.stale, ("key", "summary", "url", "category", "requested_at", "age_hours"))
    for row in rows:
        row["link"] = link_or_none(row["url"], hosts)
    return sorted(rows, key=lambda r: (-r["age_hours"], r["key"]))


def _reference(key: str, link: str | None, note: str) -> dict[str, Any]:
    return {"text": key, "link": link, "note": note}


def step_references(evidence: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """What each light's next step refers to: the items on this page (oldest or longest first,
    the first 3 named) and the section that lists them all."""
    waiting = [
        _reference(f"{w['repo']}#{w['number']}", w["link"], f"waiting {age(w['age_hours'])}")
        for w in evidence["waiting"]
    ]
    tactical = [
        _reference(i["key"], i["link"], i["kind"])
        for i in evidence["escalations"]
        if i["category"] == "tactical"
    ]
    strategic = [_reference(i["key"], i["link"], "moved without you") for i in evidence["strategic"]]
    pending = [
        _reference(str(p["key"]), p["link"], f"waiting {age(p['age_hours'])}") for p in evidence["pending"]
    ]
    if not pending:
        pending = [
            _reference(str(a["key"]), a["link"], f"answered after {age(a['wait_hours'])}")
            for a in evidence["answered"]
        ]
    longest = sorted(evidence["sessions"], key=lambda s: -s["hours"])
    sessions = [_reference(day(s["day"]), None, hours(s["hours"])) for s in longest]
    found = {
        "coding": ("coding", "your coding sessions", sessions),
        "reviews": ("waiting", "pull requests waiting on you", waiting),
        "tactical_ownership": ("escalations", "this week's escalations", tactical),
        "strategic_involvement": ("strategic-without-you", "strategic issues without you", strategic),
        "decisions": (
            "pending" if evidence["pending"] else "answered",
            "decisions waiting on you" if evidence["pending"] else "decisions you answered",
            pending,
        ),
    }
    result = {}
    for item, (anchor, section, refs) in found.items():
        result[item] = {"anchor": anchor, "section": section, **bounded(refs, 3)}
    return result


def identity_kind(source: object, identity: object) -> str:
    """What an unmapped identity is: a GitHub login, a commit e-mail, a Jira account."""
    if source == "github" and isinstance(identity, str) and "@" in identity:
        return "commit e-mail"
    return IDENTITY_SOURCES.get(str(source), str(source))


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


def _coding_history(history: Sequence[TeamWeek], current: TeamWeek) -> list[float | None]:
    weeks = [*[h for h in history if h.week.label != current.week.label][-7:], current]
    weeks.sort(key=lambda h: h.week.monday)
    return [h.coding.share for h in weeks]


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


def with_changes(lights: list[dict[str, Any]], history: Sequence[TeamWeek], current: TeamWeek) -> None:
    """Add each light's change since last week and its streak (reports/change.py) to `lights`."""
    weeks = [*[h for h in history if h.week.label != current.week.label], current]
    weeks.sort(key=lambda h: h.week.monday)
    changes = {c["item"]: c for c in light_changes(weeks)}
    for light in lights:
        found = changes.get(light["item"])
        light["change"] = found["change"] if found else None
        light["was"] = found["was"] if found else None
        light["change_text"] = change_text(found) if found else ""
        light["streak"] = found["streak"] if found else 0
        light["streak_text"] = streak_text(found["streak"], found["known"]) if found else ""


def team_page(
    tw: TeamWeek, history: Sequence[TeamWeek], context: PageContext, practice: TeamPractice | None = None
) -> str:
    """The team's weekly report: checklist (with change and streak, and what each next step
    refers to), the four signals and the evidence behind them, with `practice` the Friday
    self-check and the delegation plan, data-quality notes last."""
    coding, reviews = tw.coding, tw.reviews
    hosts = context.allowed_hosts
    waiting = waiting_rows(reviews, hosts)
    values = _coding_history(history, tw)
    sessions = _rows(coding.sessions, ("day", "start", "end", "commits", "hours"))
    escalations = escalation_items(tw, hosts)
    pending = pending_rows(tw, hosts)
    evidence = {
        "waiting": waiting,
        "escalations": escalations,
        "strategic": strategic_without_you(tw, hosts),
        "pending": pending,
        "answered": answered_decisions(tw, hosts),
        "sessions": sessions,
    }
    references = step_references(evidence)
    checklist = checklist_lights(tw.checklist)
    with_changes(checklist, history, tw)
    for light in checklist:
        light["refers"] = references.get(light["item"]) if light["next_step"] else None
    lights = {light["item"]: light for light in checklist}
    unmapped = _rows(tw.unmapped, ("source", "identity", "events"))
    for u in unmapped:
        u["kind"] = identity_kind(u["source"], u["identity"])
    view = {
        **_common(context, f"{tw.team.name} — week {tw.week.label}"),
        "tw": tw,
        "team_size": tw.team_size,
        "week_line": week_line(tw.week, context.zone),
        "reports_line": reports_line(coding.reports, coding.managed_teams),
        "manager": tw.manager.display_name,
        "freshness": _freshness(context, tw.week),
        "unmapped": unmapped,
        "checklist": checklist,
        "lights_by_item": lights,
        "coding": {
            "hours": coding.hours,
            "expected_hours": coding.expected_hours,
            "complete": tw.week.complete,
            "share": coding.share,
            "target": coding.target,
            "colour": coding.colour,
            "merged_pr_share": coding.manager_merged_pr_share,
            "commit_share": coding.manager_commit_share,
            "bullet": charts.bullet_chart(coding.share, coding.target),
            "sparkline": charts.sparkline(values, coding.target, "Coding share, last weeks"),
            "weeks": len(values),
        },
        "sessions": sessions,
        "sessions_list": bounded(sessions),
        "reviews": {
            "colour": reviews.colour,
            "share": reviews.manager_review_share,
            "manager_pickup": reviews.manager_pickup_hours,
            "team_pickup": reviews.team_pickup_hours,
            "top_reviewer": reviews.top_reviewer_share,
            "pickup_chart": charts.compare_bars(
                [("You", reviews.manager_pickup_hours), ("The team", reviews.team_pickup_hours)],
                "h",
                "Median hours from review request to first review",
            ),
        },
        "waiting": waiting,
        "waiting_list": bounded(waiting),
        "categories": category_rows(tw),
        "decisions_colour": tw.decisions.colour,
        "pending": pending,
        "pending_list": bounded(pending),
        "escalation_list": bounded(escalations),
        "reason_steps": reason_steps(escalations),
        "strategic_list": bounded(evidence["strategic"]),
        "answered_list": bounded(evidence["answered"]),
        "stale_list": bounded(stale_requests(tw, hosts)),
        "has_jira": _has_jira(tw, context),
        "flags": list(tw.flags),
        "practice": practice_view(practice),
    }
    return environment().get_template("team.html").render(view)


def comparison_page(
    week: Week,
    team_weeks: Sequence[TeamWeek],
    slugs: Mapping[str, str],
    context: PageContext,
    histories: Mapping[str, Sequence[TeamWeek]] | None = None,
) -> str:
    """Every team side by side: the checklist lights with their change since last week and
    streak, and the headline numbers, sortable by column. `histories` (team name -> weeks,
    oldest first, ending with this week) gives the changes; without it none are shown."""
    rows = []
    for tw in team_weeks:
        slug = slugs.get(tw.team.name)
        waiting = waiting_rows(tw.reviews, ())
        lights = checklist_lights(tw.checklist)
        overall = worst(*(light["colour"] for light in lights))
        history = list((histories or {}).get(tw.team.name) or [])
        with_changes(lights, history, tw)
        weeks = [*[h for h in history if h.week.label != tw.week.label], tw]
        team_streak = streak(weeks) if histories is not None else 0
        rows.append(
            {
                "name": tw.team.name,
                "href": f"{slug}.html" if slug and _SAFE_SLUG.match(slug) else None,
                "manager": tw.manager.display_name,
                "team_size": tw.team_size,
                "lights": lights,
                "overall": overall,
                "in_words": lights_in_words([light["colour"] for light in lights]),
                "overall_rank": 3 - COLOUR_RANK[overall],
                "streak": team_streak,
                "streak_text": streak_text(team_streak, len(weeks)) if team_streak > 1 else "",
                "coding_share": tw.coding.share,
                "coding_target": tw.coding.target,
                "review_share": tw.reviews.manager_review_share,
                "waiting": len(waiting),
                "oldest_waiting": waiting[0]["age_hours"] if waiting else None,
                "tactical_rate": tw.escalations.tactical.escalation_rate,
                "pending": tw.decisions.pending.height,
            }
        )
    view = {
        **_common(context, f"Delegation radar — all teams — week {week.label}"),
        "week": week,
        "week_line": week_line(week, context.zone),
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
    shares = [tw.coding.share for tw in weeks]
    target = weeks[-1].coding.target if weeks else None
    rate_series = [
        charts.Series(CATEGORY_TITLES[c], [tw.escalations.category(c).escalation_rate for tw in weeks])
        for c in CATEGORIES
    ]
    latency_series = [
        charts.Series(CATEGORY_TITLES[c], [tw.decisions.category(c).median_hours for tw in weeks])
        for c in CATEGORIES
    ]
    review_series = [
        charts.Series("Manager's review share", [tw.reviews.manager_review_share for tw in weeks]),
        charts.Series("Top reviewer's share", [tw.reviews.top_reviewer_share for tw in weeks]),
    ]
    table = [
        {
            "tw": tw,
            "lights": checklist_lights(tw.checklist),
            "coding": tw.coding.share,
            "hours": tw.coding.hours,
            "review_share": tw.reviews.manager_review_share,
            "categories": category_rows(tw),
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


# ---------------------------------------------------------------- the quarter index


def _week_score(colours: Sequence[str]) -> tuple[int, int]:
    return colours.count("red"), colours.count("yellow")


def best_and_worst(weeks: Sequence[TeamWeek]) -> tuple[TeamWeek | None, TeamWeek | None]:
    """The week with the fewest red, then yellow, lights and the one with the most (the earlier
    on a tie); weeks with every light grey are not judged."""
    judged = []
    for tw in weeks:
        colours = [c for c in colours_of(tw).values()]
        if any(c != "grey" for c in colours):
            judged.append((_week_score(colours), tw))
    if not judged:
        return None, None
    best = min(judged, key=lambda pair: pair[0])[1]
    worst_week = max(judged, key=lambda pair: pair[0])[1]
    return best, worst_week


def decision_wait(tw: TeamWeek) -> float | None:
    """Half of the decisions answered in the week were answered within this many hours (the
    median wait over every category); null with none answered."""
    frame = tw.decisions.answered
    if frame.height == 0:
        return None
    value = frame.get_column("wait_hours").median()
    return float(value) if isinstance(value, int | float) else None


def colour_counts(weeks: Sequence[TeamWeek]) -> dict[str, dict[str, int]]:
    """Light -> colour -> how many of the weeks it had that colour."""
    counts = {item: dict.fromkeys(("red", "yellow", "green", "grey"), 0) for item in CHECKLIST_ITEMS}
    for tw in weeks:
        for item, colour in colours_of(tw).items():
            counts[item][colour] += 1
    return counts


def longest_streak(weeks: Sequence[TeamWeek]) -> int:
    """The longest run of weeks in which the team had a red or yellow light."""
    longest = current = 0
    for tw in weeks:
        flagged = any(c in ("red", "yellow") for c in colours_of(tw).values())
        current = current + 1 if flagged else 0
        longest = max(longest, current)
    return longest


def _week_words(tw: TeamWeek | None) -> dict[str, Any] | None:
    if tw is None:
        return None
    return {
        "label": tw.week.label,
        "monday": tw.week.monday,
        "words": lights_in_words(list(colours_of(tw).values())),
    }


def quarter_page(
    series: Mapping[str, Sequence[TeamWeek]], slugs: Mapping[str, str], context: PageContext
) -> str:
    """The index of a range run: every team over the range side by side — weeks per colour for
    each light, best and worst week, and the coding share and decision wait trends."""
    teams = []
    labels: list[str] = []
    first_week: Week | None = None
    last_week: Week | None = None
    for name, team_weeks in series.items():
        weeks = sorted(team_weeks, key=lambda tw: tw.week.monday)
        if not weeks:
            continue
        if len(weeks) > len(labels):
            labels = [tw.week.label for tw in weeks]
            first_week, last_week = weeks[0].week, weeks[-1].week
        shares = [tw.coding.share for tw in weeks]
        target = weeks[-1].coding.target
        waits = [decision_wait(tw) for tw in weeks]
        best, worst_week = best_and_worst(weeks)
        counts = colour_counts(weeks)
        # "all green" as the subject says it: nothing red or yellow, something green
        all_green = sum(lights_in_words(list(colours_of(tw).values())) == "all green" for tw in weeks)
        with_red = sum("red" in colours_of(tw).values() for tw in weeks)
        slug = slugs.get(name)
        known_shares = [v for v in shares if v is not None]
        known_waits = [v for v in waits if v is not None]
        teams.append(
            {
                "name": name,
                "href": f"{slug}.html" if slug and _SAFE_SLUG.match(slug) else None,
                "manager": weeks[-1].manager.display_name,
                "weeks": len(weeks),
                "all_green": all_green,
                "with_red": with_red,
                "longest_streak": longest_streak(weeks),
                "best": _week_words(best),
                "worst": _week_words(worst_week),
                "counts": [
                    {"item": item, "short": CHECKLIST_SHORT[item], **counts[item]} for item in CHECKLIST_ITEMS
                ],
                "coding_first": known_shares[0] if known_shares else None,
                "coding_last": known_shares[-1] if known_shares else None,
                "coding_target": target,
                "coding_chart": charts.sparkline(shares, target, f"{name}: coding share by week"),
                "wait_first": known_waits[0] if known_waits else None,
                "wait_last": known_waits[-1] if known_waits else None,
                "wait_chart": charts.sparkline(
                    waits, None, f"{name}: half of decisions answered within, by week", as_percent=False
                ),
            }
        )
    title = f"All teams — {labels[0]} to {labels[-1]}" if labels else "All teams"
    view = {
        **_common(context, f"Delegation radar — {title}"),
        "title": title,
        "first": first_week,
        "last": last_week,
        "last_line": week_line(last_week, context.zone) if last_week else "",
        "weeks": len(labels),
        "teams": teams,
        "checklist_titles": [(CHECKLIST_SHORT[i], CHECKLIST_TITLES[i]) for i in CHECKLIST_ITEMS],
        "freshness": _freshness(context, last_week) if last_week else [],
    }
    return environment().get_template("quarter.html").render(view)
