"""Who is who, which rows belong to which team, which week a time falls in, and colour rules.

Everything here works on all teams and all report weeks at once: a row gets `team` and `week`
columns by joins, so the signals are plain group-bys (SPEC §3, §5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from core.config import Config, Team
from core.schemas import SCHEMAS, conform
from core.weeks import Week

Tables = Mapping[str, pl.DataFrame | pl.LazyFrame]
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
UTC_TIME = pl.Datetime("us", "UTC")

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


def lowered(values: Iterable[str]) -> list[str]:
    return [v.lower() for v in values]


def table(tables: Tables, name: str) -> pl.LazyFrame:
    """A table from the mapping (eager or lazy), as a lazy frame of its schema (empty when absent)."""
    frame = tables.get(name)
    if frame is None:
        return pl.LazyFrame(schema=SCHEMAS[name])
    return conform(name, frame.lazy())


def weeks_frame(weeks: Sequence[Week]) -> pl.DataFrame:
    """The report weeks: week (ISO label), monday (local date), start and end (UTC).

    `end` is the week's `as_of` (its end when complete): "in the week" is before it, "at week
    end" is at it."""
    return pl.DataFrame(
        {
            "week": [w.label for w in weeks],
            "monday": [w.monday for w in weeks],
            "start": [w.start for w in weeks],
            "end": [w.cutoff for w in weeks],
        },
        schema={"week": pl.String, "monday": pl.Date, "start": UTC_TIME, "end": UTC_TIME},
    ).unique("week", maintain_order=True)


def in_weeks(frame: FrameT, column: str, weeks: pl.DataFrame) -> FrameT:
    """The rows whose `column` falls in one of the weeks, with that week's label ("in the week":
    at or after its start, before its end).  Works eagerly or lazily, like its input.

    The weeks' UTC boundaries already carry the time zone (a DST week is 167 or 169 hours), so a
    binary search over them places each time without converting it to local time.
    """
    bounds = sorted({*weeks.get_column("start").to_list(), *weeks.get_column("end").to_list()})
    slots = pl.DataFrame(
        {
            "_slot": [bounds.index(start) + 1 for start in weeks.get_column("start").to_list()],
            "week": weeks.get_column("week").to_list(),
            "_end": weeks.get_column("end").to_list(),
        },
        schema={"_slot": pl.UInt32, "week": pl.String, "_end": UTC_TIME},
    )
    tagged = frame.filter(pl.col(column).is_not_null()).with_columns(
        _slot=pl.lit(pl.Series(bounds, dtype=UTC_TIME)).search_sorted(pl.col(column), side="right")
    )
    if isinstance(tagged, pl.LazyFrame):
        joined = tagged.join(slots.lazy(), on="_slot", how="inner")
    else:
        joined = tagged.join(slots, on="_slot", how="inner")
    # A slot between two weeks that do not touch starts at a week's end: keep times before it.
    return joined.filter(pl.col(column) < pl.col("_end")).drop("_slot", "_end")  # type: ignore[return-value]


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

    def is_bot(self, column: str) -> pl.Expr:
        """A login ending in [bot], or one the config lists as a bot (false for null)."""
        value = pl.col(column).str.to_lowercase()
        return (value.str.ends_with("[bot]") | value.is_in(list(self.bots))).fill_null(False)

    def github_person(self, column: str) -> pl.Expr:
        return (
            pl.col(column)
            .str.to_lowercase()
            .replace_strict(self.github, default=None, return_dtype=pl.String)
        )

    def email_person(self, column: str) -> pl.Expr:
        return (
            pl.col(column)
            .str.to_lowercase()
            .replace_strict(self.emails, default=None, return_dtype=pl.String)
        )

    def jira_person(self, column: str) -> pl.Expr:
        return pl.col(column).replace_strict(self.jira, default=None, return_dtype=pl.String)

    def commit_person(self) -> pl.Expr:
        """A commit's person: by login when it has one, else by author email."""
        return (
            pl.when(pl.col("author").is_not_null())
            .then(self.github_person("author"))
            .otherwise(self.email_person("author_email"))
        )

    def reviewer_key(self, column: str) -> pl.Expr:
        """A reviewer as a person id when mapped, else as `gh:<lowercased login>`."""
        return pl.coalesce(self.github_person(column), pl.lit("gh:") + pl.col(column).str.to_lowercase())


def category_expr(config: Config) -> pl.Expr:
    """The delegation category of an issue: first matching rule, tactical by default."""
    rules = config.delegation
    labels = pl.col("labels").list.eval(pl.element().str.to_lowercase())
    components = pl.col("components").list.eval(pl.element().str.to_lowercase())

    def matches(rule_labels: list[str], types: list[str], rule_components: list[str]) -> pl.Expr:
        hit = pl.lit(False)
        if rule_labels:
            hit = hit | labels.list.set_intersection(lowered(rule_labels)).list.len().gt(0).fill_null(False)
        if types:
            hit = hit | pl.col("issue_type").str.to_lowercase().is_in(lowered(types)).fill_null(False)
        if rule_components:
            hit = hit | components.list.set_intersection(lowered(rule_components)).list.len().gt(0).fill_null(
                False
            )
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


@dataclass(frozen=True)
class Scope:
    """Every team's rows, each tagged with `team`.

    teams: team, manager (person id), team_size, order.
    people: team, person, is_manager (manager and members).
    manager_jira: team, jira (the manager's Jira ids).
    prs: team PRs (authored by the manager or a member): team, repo, number, title, url,
         created_at, merged_at, closed_at, by_manager.
    commits: non-bot commits in the team's repos, one per (team, sha): team, sha, authored_at,
         person, handover, repo, author, author_email.
    manager_commits: every manager's coding commits in every repo of the store, one per sha,
         without those of handover PRs: manager (person id), sha, authored_at.
    reviews: submitted non-bot reviews on team PRs: team, repo, number, reviewer_key, submitted_at,
         by_manager.
    requests: review requests on team PRs (no team or bot reviewers): team, repo, number,
         reviewer_key, requested_at, removed_at, to_manager.
    issues: team issues: team, key, summary, url, category, reasons (list, "unspecified" when no
         label maps to a reason), created_at, resolved_at.
    events / comments: non-bot changelog rows and comments on team issues (with the columns
         metrics.asof.prepare adds), with team, manager and `by_manager`.
    """

    teams: pl.DataFrame
    people: pl.DataFrame
    manager_jira: pl.DataFrame
    team_repos: pl.DataFrame
    prs: pl.DataFrame
    commits: pl.DataFrame
    manager_commits: pl.DataFrame
    reviews: pl.DataFrame
    requests: pl.DataFrame
    issues: pl.DataFrame
    events: pl.DataFrame
    comments: pl.DataFrame


def team_repos(tables: Tables, config: Config, teams: Sequence[Team]) -> pl.DataFrame:
    """team, repo: a team's listed repos, or every repo in the store when none are configured."""
    known = (
        pl.concat([table(tables, name).select("repo") for name in ("pull_requests", "commits")])
        .unique()
        .collect()
    )
    rows = []
    for team in teams:
        repos = config.team_repos(team)
        frame = known if repos is None else pl.DataFrame({"repo": repos}, schema={"repo": pl.String})
        rows.append(frame.select(pl.lit(team.name).alias("team"), "repo"))
    return (
        pl.concat(rows).unique(maintain_order=True)
        if rows
        else pl.DataFrame(schema={"team": pl.String, "repo": pl.String})
    )


def issue_owners(
    issues: pl.DataFrame, config: Config, teams: Sequence[Team], ids: Identities
) -> pl.DataFrame:
    """key -> team.  A project listed by several teams: the team whose manager or member is the
    assignee, else the reporter, else the first listing team in config order."""
    projects = pl.concat(
        [
            (
                issues.select("project").unique()
                if (listed := config.team_projects(team)) is None
                else pl.DataFrame({"project": listed}, schema={"project": pl.String})
            ).select(pl.lit(team.name).alias("team"), pl.lit(order).alias("order"), "project")
            for order, team in enumerate(teams)
        ]
    )
    people = pl.DataFrame(
        [(team.name, person) for team in teams for person in (team.manager, *team.members)],
        schema={"team": pl.String, "person": pl.String},
        orient="row",
    ).with_columns(hit=pl.lit(True))
    candidates = issues.select(
        "key",
        "project",
        assignee_person=ids.jira_person("assignee"),
        reporter_person=ids.jira_person("reporter"),
    ).join(projects, on="project", how="inner")
    return (
        candidates.join(
            people.rename({"person": "assignee_person", "hit": "by_assignee"}),
            on=["team", "assignee_person"],
            how="left",
        )
        .join(
            people.rename({"person": "reporter_person", "hit": "by_reporter"}),
            on=["team", "reporter_person"],
            how="left",
        )
        .with_columns(pl.col("by_assignee", "by_reporter").fill_null(False))
        .sort(["key", "by_assignee", "by_reporter", "order"], descending=[False, True, True, False])
        .unique("key", keep="first", maintain_order=True)
        .select("key", "team")
    )


def build_scope(tables: Tables, config: Config, teams: Sequence[Team], ids: Identities) -> Scope:
    """Tag every row with the team(s) it belongs to (SPEC §5: team PRs, team issues)."""
    team_frame = pl.DataFrame(
        {
            "team": [t.name for t in teams],
            "manager": [t.manager for t in teams],
            "team_size": [len(t.members) for t in teams],
            "order": list(range(len(teams))),
        },
        schema={"team": pl.String, "manager": pl.String, "team_size": pl.Int64, "order": pl.Int64},
    )
    people = pl.DataFrame(
        [(t.name, p, p == t.manager) for t in teams for p in (t.manager, *t.members)],
        schema={"team": pl.String, "person": pl.String, "is_manager": pl.Boolean},
        orient="row",
    )
    manager_jira = pl.DataFrame(
        [(t.name, account) for t in teams for account in config.person(t.manager).jira],
        schema={"team": pl.String, "jira": pl.String},
        orient="row",
    )
    repos = team_repos(tables, config, teams)

    lazy_repos = repos.lazy()
    lazy_people = people.lazy()
    lazy_managers = team_frame.lazy().select("team", "manager")

    prs_plan = (
        table(tables, "pull_requests")
        .lazy()
        .filter(~ids.is_bot("author"))
        .with_columns(person=ids.github_person("author"))
        .join(lazy_repos, on="repo", how="inner")
        .join(lazy_people, on=["team", "person"], how="inner")
        .select(
            "team",
            "repo",
            "number",
            "title",
            "url",
            "created_at",
            "merged_at",
            "closed_at",
            by_manager=pl.col("is_manager"),
        )
    )
    (prs,) = pl.collect_all([prs_plan])
    pr_keys = prs.lazy().select("team", "repo", "number")

    handover = lowered(config.delegation.handover_labels)
    handover_prs = (
        table(tables, "pull_requests")
        .lazy()
        .filter(
            pl.col("labels")
            .list.eval(pl.element().str.to_lowercase())
            .list.set_intersection(handover)
            .list.len()
            .gt(0)
            .fill_null(False)
        )
        .select("repo", pl.col("number").alias("pr_number"))
    )
    all_commits = table(tables, "commits").lazy()
    handover_shas = (
        all_commits.join(handover_prs, on=["repo", "pr_number"], how="semi").select("sha").unique()
    )
    managers = sorted({team.manager for team in teams})
    manager_commits_plan = (
        all_commits.filter(~ids.is_bot("author"))
        .with_columns(person=ids.commit_person())
        .filter(pl.col("person").is_in(managers))
        .join(handover_shas, on="sha", how="anti")
        .group_by("person", "sha")
        .agg(pl.col("authored_at").min())
        .select(manager="person", sha="sha", authored_at="authored_at")
    )
    # One row per commit and team. A sha stored in two of a team's repos is one commit; its copies
    # can name the author differently (a login in one, only an email in the other), so the copy
    # kept is chosen, not left to chance: one whose person is known, then one with a login, then
    # the first repo by name. Any copy would do for counting; the choice keeps a week's numbers
    # and evidence the same however much of the store was read (`snapshot(..., since)`).
    commits_plan = (
        all_commits.filter(~ids.is_bot("author"))
        .join(lazy_repos, on="repo", how="inner")
        .with_columns(person=ids.commit_person())
        .sort("team", "sha", pl.col("person").is_null(), pl.col("author").is_null(), "repo")
        .unique(["team", "sha"], keep="first", maintain_order=True)
        .join(handover_shas.with_columns(handover=pl.lit(True)), on="sha", how="left")
        .with_columns(handover=pl.col("handover").fill_null(False))
        .select("team", "sha", "repo", "authored_at", "person", "handover", "author", "author_email")
    )

    def by_reviewer(frame: pl.LazyFrame, times: list[str], flag: str) -> pl.LazyFrame:
        """Rows on team PRs, with `reviewer_key` and whether that reviewer is the team's manager."""
        return (
            frame.join(pr_keys, on=["repo", "number"], how="inner")
            .with_columns(reviewer_key=ids.reviewer_key("reviewer"))
            .join(lazy_managers, on="team", how="left")
            .select(
                "team",
                "repo",
                "number",
                "reviewer_key",
                *times,
                (pl.col("reviewer_key") == pl.col("manager")).alias(flag),
            )
        )

    reviews_plan = by_reviewer(
        table(tables, "reviews").filter(
            pl.col("submitted_at").is_not_null() & pl.col("reviewer").is_not_null() & ~ids.is_bot("reviewer")
        ),
        ["submitted_at"],
        "by_manager",
    )
    requests_plan = by_reviewer(
        table(tables, "review_requests").filter(
            pl.col("reviewer").is_not_null()
            & ~pl.col("reviewer").str.starts_with("team:")
            & ~ids.is_bot("reviewer")
            & pl.col("requested_at").is_not_null()
        ),
        ["requested_at", "removed_at"],
        "to_manager",
    )

    all_issues = table(tables, "issues")
    owners = issue_owners(
        all_issues.select("key", "project", "assignee", "reporter").collect(), config, teams, ids
    ).lazy()
    reasons = {label.lower(): reason for label, reason in config.escalation.reasons.items()}
    reason_list = (
        pl.col("labels")
        .list.eval(
            pl.element().str.to_lowercase().replace_strict(reasons, default=None, return_dtype=pl.String)
        )
        .list.drop_nulls()
        .list.unique()
        .list.sort()
    )
    issues_plan = (
        all_issues.lazy()
        .join(owners, on="key", how="inner")
        .select(
            "team",
            "key",
            "summary",
            "url",
            "created_at",
            "resolved_at",
            category=category_expr(config),
            reasons=pl.when(reason_list.list.len() > 0)
            .then(reason_list)
            .otherwise(pl.lit(["unspecified"], dtype=pl.List(pl.String))),
        )
    )

    def on_team_issues(name: str, when: str) -> pl.LazyFrame:
        """Non-bot rows on team issues (prepared by metrics.asof.prepare), with `team`, its
        `manager` and whether the row is the manager's (`by_manager`)."""
        frame = tables[name]
        return (
            frame.lazy()
            .filter(pl.col(when).is_not_null() & ~pl.col("_bot"))
            .join(owners, on="key", how="inner")
            .join(lazy_managers, on="team", how="left")
            .with_columns(by_manager=(pl.col("_person") == pl.col("manager")).fill_null(False))
        )

    events_plan = on_team_issues("issue_events", "at")
    comments_plan = on_team_issues("comments", "created_at")
    commits, manager_commits, reviews, requests, issues, events, comments = pl.collect_all(
        [
            commits_plan,
            manager_commits_plan,
            reviews_plan,
            requests_plan,
            issues_plan,
            events_plan,
            comments_plan,
        ]
    )
    return Scope(
        teams=team_frame,
        people=people,
        manager_jira=manager_jira,
        team_repos=repos,
        prs=prs,
        commits=commits,
        manager_commits=manager_commits,
        reviews=reviews,
        requests=requests,
        issues=issues,
        events=events,
        comments=comments,
    )
