"""Who is who, which rows belong to a team, and the shared colour rules (SPEC §3, §5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from core.config import Config, Team
from core.schemas import SCHEMAS, conform

Tables = Mapping[str, pl.DataFrame]

COLOUR_RANK = {"grey": 0, "green": 1, "yellow": 2, "red": 3}


def worst(*colours: str) -> str:
    """Combine colours: red > yellow > green > grey (grey only when every part is grey)."""
    return max(colours, key=COLOUR_RANK.__getitem__) if colours else "grey"


def band(value: float | None, yellow_from: float, red_from: float) -> str:
    """green below `yellow_from`, yellow from it, red from `red_from`; grey for no value."""
    if value is None:
        return "grey"
    if value >= red_from:
        return "red"
    if value >= yellow_from:
        return "yellow"
    return "green"


def hours(duration: pl.Expr) -> pl.Expr:
    """A Duration expression as float hours."""
    return duration.dt.total_microseconds().cast(pl.Float64) / 3_600_000_000


def median_p90(values: pl.Series) -> tuple[float | None, float | None]:
    """Median and p90 (linear interpolation, as numpy); None for no values."""
    values = values.drop_nulls()
    if values.is_empty():
        return None, None
    frame = values.to_frame("v").select(
        pl.col("v").median().alias("median"),
        pl.col("v").quantile(0.9, interpolation="linear").alias("p90"),
    )
    median, p90 = frame.row(0)
    return float(median), float(p90)


@dataclass(frozen=True)
class Identities:
    """Raw source identities -> person ids, plus the bot rule."""

    github: dict[str, str]
    emails: dict[str, str]
    jira: dict[str, str]
    bots: frozenset[str]

    @classmethod
    def of(cls, config: Config) -> Identities:
        github: dict[str, str] = {}
        emails: dict[str, str] = {}
        jira: dict[str, str] = {}
        for person in config.people:
            github.update({login.lower(): person.id for login in person.github})
            emails.update({email.lower(): person.id for email in person.emails})
            jira.update({account: person.id for account in person.jira})
        return cls(github, emails, jira, frozenset(b.lower() for b in config.bots))

    def is_bot(self, column: str | pl.Expr) -> pl.Expr:
        """A login ending in [bot], or one the config lists as a bot."""
        value = (pl.col(column) if isinstance(column, str) else column).str.to_lowercase()
        return value.str.ends_with("[bot]").fill_null(False) | value.is_in(list(self.bots)).fill_null(False)

    def github_person(self, column: str | pl.Expr) -> pl.Expr:
        value = pl.col(column) if isinstance(column, str) else column
        return value.str.to_lowercase().replace_strict(self.github, default=None, return_dtype=pl.String)

    def email_person(self, column: str | pl.Expr) -> pl.Expr:
        value = pl.col(column) if isinstance(column, str) else column
        return value.str.to_lowercase().replace_strict(self.emails, default=None, return_dtype=pl.String)

    def jira_person(self, column: str | pl.Expr) -> pl.Expr:
        value = pl.col(column) if isinstance(column, str) else column
        return value.replace_strict(self.jira, default=None, return_dtype=pl.String)

    def commit_person(self) -> pl.Expr:
        """A commit's person: by login when it has one, else by author email."""
        return (
            pl.when(pl.col("author").is_not_null())
            .then(self.github_person("author"))
            .otherwise(self.email_person("author_email"))
        )


def table(tables: Tables, name: str) -> pl.DataFrame:
    """A table from the mapping, conformed to its schema (empty when absent)."""
    frame = tables.get(name)
    if frame is None:
        return pl.DataFrame(schema=SCHEMAS[name])
    return conform(name, frame)


def in_window(column: str, start: object, end: object) -> pl.Expr:
    """At or after `start` and before `end` ("in the week")."""
    return (pl.col(column) >= start) & (pl.col(column) < end)


def lowered(values: Iterable[str]) -> list[str]:
    return [v.lower() for v in values]


def team_issue_owner(tables: Tables, config: Config, ids: Identities) -> pl.DataFrame:
    """Issue key -> team name, by SPEC §5: a project listed by several teams goes to the team whose
    manager or member is the assignee, else the reporter, else the first listing team."""
    issues = table(tables, "issues").select("key", "project", "assignee", "reporter")
    rows: list[pl.DataFrame] = []
    for order, team in enumerate(config.teams):
        projects = config.team_projects(team)
        people = [team.manager, *team.members]
        candidates = issues if projects is None else issues.filter(pl.col("project").is_in(projects))
        rows.append(
            candidates.select(
                "key",
                pl.lit(team.name).alias("team"),
                pl.lit(order).alias("order"),
                ids.jira_person("assignee").is_in(people).fill_null(False).alias("by_assignee"),
                ids.jira_person("reporter").is_in(people).fill_null(False).alias("by_reporter"),
            )
        )
    if not rows:
        return pl.DataFrame(schema={"key": pl.String, "team": pl.String})
    return (
        pl.concat(rows)
        .sort(
            ["key", "by_assignee", "by_reporter", "order"],
            descending=[False, True, True, False],
        )
        .group_by("key", maintain_order=True)
        .first()
        .select("key", "team")
    )


@dataclass(frozen=True)
class TeamScope:
    """One team's rows, read once and reused for every week.

    prs: team PRs (authored by the manager or a member) with `author_person`.
    commits: non-bot commits in the team's repos, one per sha, with `person`.
    reviews: non-bot, submitted reviews on team PRs, with `reviewer_key` (person id or login).
    requests: review requests on team PRs, with `reviewer_key` (team requests excluded).
    issues: the team's issues with `category`; events/comments on them (non-bot actors).
    """

    team: Team
    manager: str
    manager_logins: list[str]
    manager_jira: list[str]
    prs: pl.DataFrame
    all_prs: pl.DataFrame
    commits: pl.DataFrame
    reviews: pl.DataFrame
    requests: pl.DataFrame
    issues: pl.DataFrame
    events: pl.DataFrame
    comments: pl.DataFrame


def reviewer_key(ids: Identities, column: str) -> pl.Expr:
    """A reviewer as a person id when mapped, else as the lowercased login."""
    return pl.coalesce(ids.github_person(column), pl.lit("gh:") + pl.col(column).str.to_lowercase())


def category_expr(config: Config) -> pl.Expr:
    """The delegation category of an issue: first matching rule, tactical by default."""
    rules = config.delegation

    def matches(rule_labels: list[str], types: list[str], components: list[str]) -> pl.Expr:
        labels = pl.col("labels").list.eval(pl.element().str.to_lowercase())
        comps = pl.col("components").list.eval(pl.element().str.to_lowercase())
        hit = pl.lit(False)
        if rule_labels:
            hit = hit | labels.list.set_intersection(lowered(rule_labels)).list.len().gt(0).fill_null(False)
        if types:
            hit = hit | pl.col("issue_type").str.to_lowercase().is_in(lowered(types)).fill_null(False)
        if components:
            hit = hit | comps.list.set_intersection(lowered(components)).list.len().gt(0).fill_null(False)
        return hit

    strategic = matches(rules.strategic.labels, rules.strategic.issue_types, rules.strategic.components)
    implementation = matches(
        rules.implementation.labels, rules.implementation.issue_types, rules.implementation.components
    )
    return (
        pl.when(strategic)
        .then(pl.lit("strategic"))
        .when(implementation)
        .then(pl.lit("implementation"))
        .otherwise(pl.lit("tactical"))
    )


def team_scope(
    tables: Tables, config: Config, team: Team, ids: Identities, owners: pl.DataFrame
) -> TeamScope:
    """Select the rows that belong to `team` (SPEC §5: team PRs, team issues)."""
    people = [team.manager, *team.members]
    manager = config.person(team.manager)
    repos = config.team_repos(team)

    def in_repos(frame: pl.DataFrame) -> pl.DataFrame:
        return frame if repos is None else frame.filter(pl.col("repo").is_in(repos))

    all_prs = in_repos(table(tables, "pull_requests")).with_columns(author_person=ids.github_person("author"))
    prs = all_prs.filter(pl.col("author_person").is_in(people).fill_null(False) & ~ids.is_bot("author"))
    pr_keys = prs.select("repo", "number")

    handover = lowered(config.delegation.handover_labels)
    handover_prs = in_repos(table(tables, "pull_requests")).filter(
        pl.col("labels")
        .list.eval(pl.element().str.to_lowercase())
        .list.set_intersection(handover)
        .list.len()
        .gt(0)
        .fill_null(False)
    )
    handover_shas = (
        in_repos(table(tables, "commits"))
        .join(
            handover_prs.select("repo", pl.col("number").alias("pr_number")),
            on=["repo", "pr_number"],
            how="semi",
        )
        .get_column("sha")
    )
    commits = (
        in_repos(table(tables, "commits"))
        .filter(~(pl.col("author").is_not_null() & ids.is_bot("author")))
        .sort("repo", "sha")
        .unique(subset="sha", keep="first", maintain_order=True)
        .with_columns(
            person=ids.commit_person(),
            handover=pl.col("sha").is_in(handover_shas.implode()),
        )
    )
    reviews = (
        table(tables, "reviews")
        .join(pr_keys, on=["repo", "number"], how="semi")
        .filter(pl.col("submitted_at").is_not_null() & ~ids.is_bot("reviewer").fill_null(False))
        .filter(pl.col("reviewer").is_not_null())
        .with_columns(reviewer_key=reviewer_key(ids, "reviewer"))
    )
    requests = (
        table(tables, "review_requests")
        .join(pr_keys, on=["repo", "number"], how="semi")
        .filter(
            pl.col("reviewer").is_not_null()
            & ~pl.col("reviewer").str.starts_with("team:")
            & ~ids.is_bot("reviewer")
        )
        .with_columns(reviewer_key=reviewer_key(ids, "reviewer"))
    )
    team_keys = owners.filter(pl.col("team") == team.name).select("key")
    issues = (
        table(tables, "issues")
        .join(team_keys, on="key", how="semi")
        .with_columns(category=category_expr(config))
    )
    events = (
        table(tables, "issue_events")
        .join(issues.select("key"), on="key", how="semi")
        .filter(~(pl.col("actor").is_not_null() & ids.is_bot("actor")))
    )
    comments = (
        table(tables, "comments")
        .join(issues.select("key"), on="key", how="semi")
        .filter(~(pl.col("author").is_not_null() & ids.is_bot("author")))
    )
    return TeamScope(
        team=team,
        manager=team.manager,
        manager_logins=lowered(manager.github),
        manager_jira=list(manager.jira),
        prs=prs,
        all_prs=all_prs,
        commits=commits,
        reviews=reviews,
        requests=requests,
        issues=issues,
        events=events,
        comments=comments,
    )
