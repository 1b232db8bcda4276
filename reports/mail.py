"""The mail version of a page (SPEC §7): what real mail clients show.

A 640 px table layout whose every style is inlined by css-inline (the `<style>` block is removed
after inlining, so nothing depends on it), no SVG, script or form, nothing loaded from the
network. Charts are the pages' own charts (the same `Chart` data and `_chart.html` template)
rendered to PNG by resvg, carried in the message as `cid:` images with alt text that states the
numbers. Sending and MIME assembly are in flows/delivery.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import css_inline
import resvg_py

from metrics.checklist import CHECKLIST_ITEMS
from metrics.result import TeamWeek
from metrics.scope import worst
from reports import charts
from reports.health import incomplete_reasons
from reports.render import (
    CHECKLIST_SHORT,
    LIGHTS,
    PageContext,
    _coding_history,
    category_rows,
    chart_svg,
    checklist_lights,
    environment,
    lights_in_words,
    pending_rows,
    waiting_rows,
    week_line,
)

MAIL_WIDTH = 640
PNG_ZOOM = 2  # drawn at twice the shown size, sharp on high-density screens
# Light cells: background and text colour, so a light reads without any stylesheet.
LIGHT_STYLES = {
    "green": (charts.PALETTE["green"], "#0b1f04"),
    "yellow": (charts.PALETTE["yellow"], "#2b1d00"),
    "red": (charts.PALETTE["red"], "#ffffff"),
    "grey": ("#ffffff", "#57606a"),
}
# The definitions in a few lines; every detail is in definitions.html beside the pages.
DEFINITIONS = (
    ("Week", "Monday 00:00 to the next Monday 00:00 in the config's time zone."),
    ("Coding share", "your commits grouped into sessions (a gap of 2 h or more starts a new one, "
     "each session plus 30 min), over a 40-hour week; the target follows how many people report to you."),
    ("Review share", "of other people's pull requests merged this week, the share you reviewed "
     "(green below 25 %); waiting: PRs with an open request to you at week end."),
    ("Escalation rate", "per delegation category, the active issues that were escalated to you "
     "(label, assignment, decision status or a mention)."),
    ("Decision latency", "from a decision request to your first answer; yellow from 24 h, red from 72 h."),
)  # fmt: skip


@dataclass(frozen=True)
class InlineImage:
    """A PNG carried in the message and referenced from the HTML as `cid:<cid>`."""

    cid: str
    png: bytes
    alt: str
    filename: str


@dataclass(frozen=True)
class MailBody:
    html: str
    images: tuple[InlineImage, ...]


def chart_png(chart: charts.Chart) -> bytes:
    """The chart the pages draw as SVG, as a PNG (resvg: no browser, no network)."""
    return bytes(resvg_py.svg_to_bytes(svg_string=chart_svg(chart), zoom=PNG_ZOOM, background="#ffffff"))


def _image(name: str, chart: charts.Chart, scope: str) -> dict[str, Any]:
    png = chart_png(chart)
    digest = hashlib.sha256(png + scope.encode("utf-8")).hexdigest()[:16]
    image = InlineImage(f"{name}.{digest}@delegation-radar", png, chart.label, f"{name}.png")
    return {"image": image, "width": chart.width, "height": chart.height, "alt": chart.label}


def _light(colour: str) -> dict[str, str]:
    icon, word = LIGHTS[colour]
    background, ink = LIGHT_STYLES[colour]
    return {"colour": colour, "icon": icon, "word": word, "background": background, "ink": ink}


def inline(html: str) -> str:
    """Every `<style>` rule moved into `style=` attributes; the block itself dropped."""
    return str(css_inline.inline(html, keep_style_tags=False, load_remote_stylesheets=False))


def team_mail(
    tw: TeamWeek, history: Sequence[TeamWeek], context: PageContext, attachment_name: str
) -> MailBody:
    """One team's week as mail HTML plus its chart images."""
    coding, reviews = tw.coding, tw.reviews
    hosts = context.allowed_hosts
    share, target = coding.share, coding.target
    scope = f"{tw.team.name}/{tw.week.label}"
    bullet = _image("coding-share", charts.bullet_chart(share, target), scope)
    values = _coding_history(history, tw)
    spark = _image("coding-weeks", charts.sparkline(values, target, "Coding share, last weeks"), scope)
    pickup = _image(
        "review-pickup",
        charts.compare_bars(
            [("You", reviews.manager_pickup_hours), ("The team", reviews.team_pickup_hours)],
            "h",
            "Median hours from review request to first review",
        ),
        scope,
    )
    lights = [{**light, **_light(light["colour"])} for light in checklist_lights(tw.checklist)]
    view = {
        "title": f"{tw.team.name} — week {tw.week.label}",
        "width": MAIL_WIDTH,
        "tw": tw,
        "week_line": week_line(tw.week, context.zone),
        "zone": context.zone,
        "timezone": context.timezone,
        "manager": tw.manager.display_name,
        "team_size": tw.team_size,
        "checklist": lights,
        "in_words": lights_in_words([light["colour"] for light in lights]),
        "incomplete": incomplete_reasons(tw),
        "coding": {"hours": coding.hours, "share": share, "target": target},
        "reviews": {"share": reviews.manager_review_share, "top_reviewer": reviews.top_reviewer_share},
        "charts": {"bullet": bullet, "spark": spark, "pickup": pickup},
        "waiting": waiting_rows(reviews, hosts),
        "pending": pending_rows(tw, hosts),
        "categories": category_rows(tw),
        "definitions": DEFINITIONS,
        "attachment": attachment_name,
        "generated_at": context.generated_at,
    }
    html = environment().get_template("mail.html").render(view)
    images = tuple(c["image"] for c in (bullet, spark, pickup))
    return MailBody(inline(html), images)


def digest_mail(
    name: str,
    rows: Sequence[Mapping[str, Any]],
    week_label: str,
    context: PageContext,
    attachment_name: str,
) -> MailBody:
    """The comparison of a digest's teams as mail HTML: each team's lights, their change since
    last week and the team's streak (see reports/digest.py for the rows)."""
    view = {
        "title": f"{name} — week {week_label}",
        "width": MAIL_WIDTH,
        "name": name,
        "week": week_label,
        "timezone": context.timezone,
        "rows": [
            {
                **row,
                "lights": [{**light, **_light(light["colour"])} for light in row["lights"]],
                "overall": _light(worst(*(light["colour"] for light in row["lights"]))),
            }
            for row in rows
        ],
        "short": [CHECKLIST_SHORT[item] for item in CHECKLIST_ITEMS],
        "definitions": DEFINITIONS,
        "attachment": attachment_name,
        "generated_at": context.generated_at,
        "zone": context.zone,
    }
    return MailBody(inline(environment().get_template("mail_digest.html").render(view)), ())
