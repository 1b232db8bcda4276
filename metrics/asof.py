"""The store as it stood at one instant (SPEC §5 "As of", "No look-ahead", "Issue state at as_of").

Every signal of a week reads the tables through `snapshot(tables, as_of)`, so no record timed at
or after `as_of` can change that week's numbers:

- rows timed at or after `as_of` are gone (a PR or issue created then, a review submitted then,
  a commit authored then, a changelog row or comment made then);
- times of things that happen later on rows that stay are unset (a PR merged or closed later is
  open, a review request removed later is in force, an issue resolved later is unresolved);
- an issue's labels, components, issue type, status and assignee are rolled back through its
  changelog rows for that field at or after `as_of`: the `from_value` of the earliest such row.
  Jira writes one changelog row per component added or removed, so components are rolled back
  per component name (a name's earliest later row tells whether it was there).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl

from core.config import Config
from core.schemas import GITHUB_TABLES, JIRA_TABLES
from metrics.scope import UTC_TIME, Identities, Tables, lowered, table

METRIC_TABLES = (*GITHUB_TABLES, *JIRA_TABLES)  # what the signals read (not the check-ins)

# Changelog field names (lowercased, as the connector stores them) -> the issue column they change.
SINGLE_FIELDS = {
    "status": "status",
    "assignee": "assignee",
    "issuetype": "issue_type",
    "issue type": "issue_type",
    "labels": "labels",
}
COMPONENT_FIELDS = ("component", "components")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _cut(as_of: datetime) -> pl.Expr:
    # An integer literal cast to the time type: a datetime literal costs a hundred times more.
    delta = as_of - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return pl.lit(micros, dtype=pl.Int64).cast(UTC_TIME)


def _before(column: str, as_of: datetime) -> pl.Expr:
    """Rows timed before `as_of` (rows without a time cannot be placed and are dropped)."""
    return pl.col(column) < _cut(as_of)


def _unless_later(column: str, as_of: datetime) -> pl.Expr:
    """The time when it is before `as_of`, else null (it has not happened yet)."""
    return pl.when(pl.col(column) < _cut(as_of)).then(pl.col(column)).alias(column)


def label_list(column: str) -> pl.Expr:
    """Jira's space-separated label list (a changelog value) as a list, empty for null."""
    return pl.col(column).fill_null("").str.split(" ").list.eval(pl.element().filter(pl.element() != ""))


def issues_at(issues: pl.LazyFrame, later_events: pl.LazyFrame) -> pl.LazyFrame:
    """Issues with their attributes rolled back through the changelog rows in `later_events`."""
    field = pl.col("field").str.to_lowercase()
    earliest = (
        later_events.filter(field.is_in(list(SINGLE_FIELDS)))
        .with_columns(column=field.replace_strict(SINGLE_FIELDS, return_dtype=pl.String))
        .sort("at", "event_id")
        .group_by("key", "column")
        .agg(pl.col("from_value").first())
        .collect()
    )
    rolled = issues
    for column in ("status", "assignee", "issue_type", "labels"):
        values = earliest.filter(pl.col("column") == column).select(
            "key", _value=label_list("from_value") if column == "labels" else pl.col("from_value")
        )
        if values.height == 0:
            continue
        rolled = (
            rolled.join(values.lazy().with_columns(_hit=pl.lit(True)), on="key", how="left")
            .with_columns(
                pl.when(pl.col("_hit").is_not_null())
                .then(pl.col("_value"))
                .otherwise(pl.col(column))
                .alias(column)
            )
            .drop("_value", "_hit")
        )
    touched = (
        later_events.filter(field.is_in(list(COMPONENT_FIELDS)))
        .select(
            "key",
            "at",
            "event_id",
            changes=pl.concat_list(
                pl.struct(name=pl.col("from_value"), present=pl.lit(True)),
                pl.struct(name=pl.col("to_value"), present=pl.lit(False)),
            ),
        )
        .explode("changes")
        .unnest("changes")
        .filter(pl.col("name").is_not_null())
        .sort("at", "event_id")
        .group_by("key", "name")
        .agg(pl.col("present").first())
        .collect()
    )
    if touched.height == 0:
        return rolled
    kept = (
        rolled.select("key", name=pl.col("components"))
        .explode("name")
        .filter(pl.col("name").is_not_null())
        .join(touched.lazy(), on=["key", "name"], how="anti")
    )
    restored = touched.lazy().filter("present").select("key", "name")
    components = pl.concat([kept, restored]).group_by("key").agg(_components=pl.col("name").unique().sort())
    return (
        rolled.join(
            touched.lazy().select("key").unique().with_columns(_touched=pl.lit(True)), on="key", how="left"
        )
        .join(components, on="key", how="left")
        .with_columns(
            components=pl.when(pl.col("_touched").is_not_null())
            .then(pl.col("_components").fill_null(pl.lit([], dtype=pl.List(pl.String))))
            .otherwise(pl.col("components"))
        )
        .drop("_components", "_touched")
    )


def prepare(tables: Tables, config: Config) -> dict[str, pl.DataFrame]:
    """The tables in their schemas, read once, with what every week would otherwise work out
    again per changelog row and comment (who acted, bots, escalation and decision-status moves).

    issue_events gains: _bot, _person (the actor's person id), by (person id, else the raw
    identity), _field (lowercased), _to_person, _label_added (an escalation label added),
    _into_decision / _exit_decision (a status move into / out of a decision status).
    comments gain: _bot, _person, by, _mentioned (the mentioned person ids).
    """
    ids = Identities.of(config)
    managers = sorted({team.manager for team in config.teams})
    decision = lowered(config.decision_statuses)
    escalation_labels = lowered(config.escalation.labels)
    frames = dict(
        zip(METRIC_TABLES, pl.collect_all([table(tables, name) for name in METRIC_TABLES]), strict=True)
    )
    field = pl.col("_field")
    to_decision = pl.col("to_value").str.to_lowercase().is_in(decision).fill_null(False)
    from_decision = pl.col("from_value").str.to_lowercase().is_in(decision).fill_null(False)
    lowered_labels = {
        column: label_list(column).list.eval(pl.element().str.to_lowercase())
        for column in ("from_value", "to_value")
    }
    frames["issue_events"] = (
        frames["issue_events"]
        .with_columns(_field=pl.col("field").str.to_lowercase())
        .with_columns(
            _bot=ids.is_bot("actor"),
            _person=ids.jira_person("actor"),
            by=pl.coalesce(ids.jira_person("actor"), pl.col("actor")),
            _to_person=ids.jira_person("to_value"),
            _label_added=(
                field.eq("labels")
                & lowered_labels["to_value"]
                .list.set_difference(lowered_labels["from_value"])
                .list.set_intersection(escalation_labels)
                .list.len()
                .gt(0)
            ).fill_null(False),
            _into_decision=field.eq("status") & to_decision & ~from_decision,
            _exit_decision=field.eq("status") & from_decision & ~to_decision,
        )
        .with_columns(
            # Read by some week whatever its time: escalations, answers, decision-status exits.
            _lasting=pl.col("_label_added")
            | pl.col("_into_decision")
            | pl.col("_exit_decision")
            | field.eq("assignee")
            | pl.col("_person").is_in(managers).fill_null(False)
        )
    )
    frames["comments"] = (
        frames["comments"]
        .with_columns(
            _bot=ids.is_bot("author"),
            _person=ids.jira_person("author"),
            by=pl.coalesce(ids.jira_person("author"), pl.col("author")),
            _mentioned=pl.col("mentions").list.eval(
                pl.element().replace_strict(ids.jira, default=None, return_dtype=pl.String)
            ),
        )
        .with_columns(
            _lasting=pl.col("_person").is_in(managers).fill_null(False)
            | pl.col("_mentioned").list.set_intersection(managers).list.len().gt(0).fill_null(False)
        )
    )
    return frames


def snapshot(
    tables: Mapping[str, pl.DataFrame], as_of: datetime, since: datetime | None = None
) -> Mapping[str, pl.LazyFrame]:
    """Every table (from `prepare`) as it stood at `as_of` (lazy).

    `since` (a week's start) also drops what no signal of the week reads — the week's numbers do
    not change, the tables shrink to about one week:

    - commits authored before it (coding sessions are cut at the week's start);
    - changelog rows and comments before it that cannot be an escalation, an answer or a
      decision-status exit (`_lasting` is false);
    - pull requests closed before it (and their reviews and requests), unless a review of the
      week or a commit of the week names them: such a PR can be neither merged, waiting nor
      picked up in the week;
    - issues resolved before it with no changelog row, comment, creation or resolution in the
      week (and their rows): such an issue can be neither active, escalated, answered nor
      pending in the week (a request on it was answered or closed by its resolution).
    """
    commits = tables["commits"].lazy().filter(_before("authored_at", as_of))
    history = tables["issue_events"].lazy().filter(_before("at", as_of))
    talk = tables["comments"].lazy().filter(_before("created_at", as_of))
    events = tables["issue_events"].lazy()
    issues = tables["issues"].lazy().filter(pl.col("created_at").is_null() | _before("created_at", as_of))
    prs = (
        tables["pull_requests"]
        .lazy()
        .filter(pl.col("created_at").is_null() | _before("created_at", as_of))
        .with_columns(_unless_later("merged_at", as_of), _unless_later("closed_at", as_of))
    )
    reviews = tables["reviews"].lazy().filter(_before("submitted_at", as_of))
    requests = (
        tables["review_requests"]
        .lazy()
        .filter(_before("requested_at", as_of))
        .with_columns(_unless_later("removed_at", as_of))
    )
    later = events.filter(~_before("at", as_of))
    if since is not None:
        start = _cut(since)
        commits = commits.filter(pl.col("authored_at") >= start)
        history = history.filter((pl.col("at") >= start) | pl.col("_lasting"))
        talk = talk.filter((pl.col("created_at") >= start) | pl.col("_lasting"))
        pr_keys = ["repo", "number"]
        named = pl.concat(
            [
                reviews.filter(pl.col("submitted_at") >= start).select(pr_keys),
                commits.filter(pl.col("pr_number").is_not_null()).select("repo", number="pr_number"),
            ]
        )
        closed_before = pl.col("closed_at").fill_null(pl.col("merged_at")) < start
        unmerged_before = pl.col("merged_at").is_null() | (pl.col("merged_at") < start)
        prs = pl.concat(
            [
                prs.filter(~(closed_before & unmerged_before).fill_null(False)),
                prs.join(named.unique(), on=pr_keys, how="semi"),
            ]
        ).unique(pr_keys, keep="first", maintain_order=True)
        kept = prs.select(pr_keys)
        reviews = reviews.join(kept, on=pr_keys, how="semi")
        requests = requests.join(kept, on=pr_keys, how="semi")
        touched = pl.concat(
            [
                history.filter(pl.col("at") >= start).select("key"),
                talk.filter(pl.col("created_at") >= start).select("key"),
            ]
        )
        # `resolved_at` is still the stored one here: resolved at or after `since` (before or after
        # `as_of`) means unresolved at the week's start.
        resolved_before = pl.col("resolved_at") < start
        created_in_week = pl.col("created_at") >= start
        issues = pl.concat(
            [
                issues.filter(~resolved_before.fill_null(False) | created_in_week.fill_null(False)),
                issues.join(touched.unique(), on="key", how="semi"),
            ]
        ).unique("key", keep="first", maintain_order=True)
        keys = issues.select("key")
        history = history.join(keys, on="key", how="semi")
        talk = talk.join(keys, on="key", how="semi")
        later = later.join(keys, on="key", how="semi")
    return {
        "pull_requests": prs,
        "reviews": reviews,
        "review_requests": requests,
        "commits": commits,
        "issues": issues_at(issues, later).with_columns(_unless_later("resolved_at", as_of)),
        "issue_events": history,
        "comments": talk,
    }
