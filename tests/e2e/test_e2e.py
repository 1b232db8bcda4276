"""End to end: the installed `radar sync` and `radar report`, as subprocesses, against loopback
HTTPS services that answer like GitHub (GraphQL and REST) and Jira (Cloud and Server).

The runs themselves are made once per session by conftest.py (two at a time); each test checks
what one of them left behind: exit code, stderr, the store, metrics.json, the requests served.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from core.schemas import PRIMARY_KEYS
from tests.connectors.github_fake import TOKEN as GITHUB_TOKEN
from tests.e2e import dataset
from tests.e2e.conftest import (
    CLOCK,
    PLAN,
    PUSHED_AT,
    REVOKED_TOKEN,
    WEEK,
    CleanRuns,
    InterruptedRuns,
    ObjectStoreRuns,
    Runs,
    SingleRun,
)
from tests.e2e.expected import github_rows, jira_rows, rows
from tests.e2e.harness import JIRA_TOKEN, JIRA_USER, TABLES, differences
from tests.s3server import CREDENTIALS

GITHUB_TABLES = ("pull_requests", "reviews", "review_requests", "commits")
JIRA_TABLES = ("issues", "issue_events", "comments")


def expected(*, force_pushed: bool, flavor: str, jira_base: str) -> dict[str, set[Any]]:
    repos = dataset.github_repos(CLOCK)
    if force_pushed:
        dataset.force_push(repos, CLOCK, PUSHED_AT)
    return {**github_rows(repos), **jira_rows(dataset.jira_issues(CLOCK), flavor, jira_base)}


def jira_base(runs: Runs, name: str) -> str:
    return runs.scenarios[name].jira.url


def same_site(store: dict[str, pl.DataFrame], base: str) -> dict[str, pl.DataFrame]:
    """The store with its Jira links relative to the site (each scenario's Jira has its own port)."""
    issues = store["issues"].with_columns(pl.col("url").str.strip_prefix(base))
    return {**store, "issues": issues}


def same_as_clean(runs: Runs, clean: CleanRuns, name: str, store: dict[str, pl.DataFrame]) -> list[str]:
    """Every table of `store` against the clean run's, row for row."""
    return differences(
        same_site(clean.stores["pushed"], jira_base(runs, "clean")), same_site(store, jira_base(runs, name))
    )


def assert_succeeded(*finished: Any) -> None:
    for run in finished:
        assert run.code == 0, run.explain()
        assert run.stderr.strip() == "", run.explain()


def assert_keys_unique(store: dict[str, pl.DataFrame]) -> None:
    for name, frame in store.items():
        key = list(PRIMARY_KEYS[name])
        assert frame.select(key).is_duplicated().sum() == 0, f"{name}: duplicate primary keys"


@pytest.fixture(scope="module")
def clean(runs: Runs) -> CleanRuns:
    return runs.get("clean")  # type: ignore[no-any-return]


# -- a. a clean sync and the report -------------------------------------------------------------


@pytest.mark.scenario("clean")
def test_clean_sync_stores_exactly_the_dataset(clean: CleanRuns, runs: Runs) -> None:
    assert_succeeded(clean.first, clean.pushed, clean.again)
    assert clean.errors == []
    base = jira_base(runs, "clean")
    for stage, pushed in (("first", False), ("pushed", True)):
        store = clean.stores[stage]
        assert_keys_unique(store)
        wanted = expected(force_pushed=pushed, flavor="cloud", jira_base=base)
        for table in TABLES:
            got = rows(store[table], table)
            assert got == wanted[table], (
                f"{stage} {table}: missing {sorted(map(str, wanted[table] - got))}; "
                f"unexpected {sorted(map(str, got - wanted[table]))}"
            )


@pytest.mark.scenario("clean")
def test_force_push_between_syncs_replaces_the_pull_requests_commits(clean: CleanRuns) -> None:
    def pr_202(stage: str) -> list[str]:
        commits = clean.stores[stage]["commits"]
        return sorted(commits.filter(pl.col("pr_number") == 202)["message_first_line"].to_list())

    assert pr_202("first") == ["l2: change things", "l3: change things"]
    # l2 rewritten (new sha), l3 dropped, l4 added; nothing of the old branch is left behind.
    assert pr_202("pushed") == ["l2r: change things", "l4: change things"]
    assert dataset.sha("l3") not in clean.stores["pushed"]["commits"]["sha"].to_list()
    # The second sync asked only for what changed: no more than a page per repo, one search per
    # project and no Jira issue read again.
    assert len(clean.requests["pushed"]["github"]) <= 2, clean.requests["pushed"]
    assert clean.requests["pushed"]["jira"] == ["GET /rest/api/3/search/jql"] * 2


@pytest.mark.scenario("clean")
def test_rerun_with_nothing_changed_is_cheap_and_leaves_the_store_alone(clean: CleanRuns) -> None:
    first, again = clean.requests["first"], clean.requests["again"]
    seconds = [round(run.seconds, 1) for run in (clean.first, clean.pushed, clean.again, clean.report)]
    print(f"\nseconds: first sync, after the force-push, no-change rerun, report: {seconds}")
    print(
        f"\nrequests: clean sync github {len(first['github'])}, jira {len(first['jira'])}; "
        f"no-change rerun github {len(again['github'])}, jira {len(again['jira'])}"
    )
    # At most one GraphQL request per repo (its newest PR is known, the next one is older than
    # the cursor) and one search per project.
    assert len(again["github"]) <= 2 and all(line.startswith("POST /graphql") for line in again["github"])
    assert again["jira"] == ["GET /rest/api/3/search/jql"] * 2
    assert differences(clean.stores["pushed"], clean.stores["again"]) == []


@pytest.mark.scenario("clean")
def test_since_rereads_the_window_and_leaves_the_store_equal(clean: CleanRuns) -> None:
    assert_succeeded(clean.backfill)
    backfill = clean.requests["backfill"]
    print(f"\nrequests: --since backfill github {len(backfill['github'])}, jira {len(backfill['jira'])}")
    # Jira searches from the date, not from the cursor, and reads every issue again.
    assert backfill["jira"].count("GET /rest/api/3/search/jql") == 4
    assert differences(clean.stores["again"], clean.stores["backfill"]) == []


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def item(key: str, hours: float, kind: str, by: str, reason: str) -> dict[str, Any]:
    """An escalation as metrics.json lists it, `hours` after the report week's start."""
    return {
        "key": key,
        "at": iso(WEEK.start + timedelta(hours=hours)),
        "kind": kind,
        "by": by,
        "reasons": [reason],
    }


@pytest.mark.scenario("clean")
def test_report_numbers_are_what_the_spec_gives_by_hand(clean: CleanRuns) -> None:
    assert clean.report.code == 0, clean.report.explain()
    document = json.loads((clean.output / WEEK.label / "metrics.json").read_text("utf-8"))
    assert document["week"] == WEEK.label
    (team,) = document["teams"]
    assert team["team"] == dataset.TEAM
    assert team["team_size"] == 3  # ana, giorgi, luka; the manager is not counted

    # §5.1 coding: nino's commits in the week, in hours after Monday 00:00 (Tbilisi):
    #   n1 30, n2 31 (PR 103), d1 32.5 -> one session: 32.5 - 30 + 0.5 allowance = 3.0 h
    #   d2 78 (no linked account, matched by nino@acme.example) -> 0.5 h
    #   d3 81 (feature-store; 3 h after d2, more than the 2 h gap) -> 0.5 h
    #   n5 100 is on PR 104 labelled handover -> not coding; d0 at -30 is last week.
    #   hours = 4.0; a complete week expects 40 h x 5 / 5 = 40 h; share = 4 / 40 = 0.10;
    #   nino manages one team of 3 -> 3 reports, target 0.40; 0.10 < 0.40 -> green
    assert team["coding"] == {
        "hours": 4.0,
        "share": 0.1,
        "target": 0.4,
        "colour": "green",
        "reports": 3,
        "expected_hours": 40.0,
    }
    assert (document["as_of"], document["complete"]) == (iso(WEEK.end), True)

    # §5.2 reviews. Team PRs merged in the week, not by nino: 101 (nino approved), 102 (no nino
    #   review; his request was removed), 201 (nino commented). 203 is a bot's, 103 nino's own.
    #   manager_review_share = 2 / 3 -> red (>= 50 %)
    # Manager pickup: 101 requested 30 -> reviewed 40 = 10 h; 201 requested 48 -> 52 = 4 h;
    #   median(10, 4) = 7.0. Team pickup: 102 ana 44 -> 45 = 1 h; 201 giorgi 48 -> 56 = 8 h;
    #   103 ana 80 -> 85 = 5 h; median(1, 8, 5) = 5.0 (the team:data-science request is no person).
    # Waiting at week end (168): 202 requested nino at 140, open, no nino review -> 28.0 h.
    # Reviews submitted on team PRs in the week: nino 2 (101, 201), ana 2 (102, 103),
    #   giorgi 2 (201, 202) -> top share 2 / 6.
    # Colour: 3 merged PRs are fewer than min_sample (5): the share is grey (too few to judge);
    #   the worse of grey and yellow (oldest waiting 28 h: 24-48) -> yellow.
    reviews = team["reviews"]
    assert reviews["manager_review_share"] == pytest.approx(2 / 3)
    assert reviews["manager_pickup_hours"] == 7.0
    assert reviews["team_pickup_hours"] == 5.0
    assert reviews["waiting_on_manager"] == [{"repo": dataset.STORE, "number": 202, "age_hours": 28.0}]
    assert reviews["top_reviewer_share"] == pytest.approx(1 / 3)
    assert reviews["colour"] == "yellow"

    # §5.3 escalations (team issues: project DS; OPS belongs to no team). Active in the week:
    #   tactical DS-1 (26, 36), DS-2 (5, 40, 41, 52, 60, 61), DS-6 (150); DS-5 only last weeks.
    #     escalations: DS-1 labels + escalation at 26 (reason model-anomaly ->
    #     unexplained-model-behaviour) and assigned to nino by ana at 26 (same reason);
    #     DS-2 into Needs Decision at 40 and giorgi's mention of nino at 41 (no reason label ->
    #     unspecified); DS-6 needs-manager added at 150 (timeline-risk -> resource-timeline-risk).
    #     active 3, escalated 3, rate 1.0; nino commented on DS-1 (36) and DS-2 (60): involved 2.
    #     Reasons count escalated issues: DS-1, DS-2 and DS-6 once each.
    #   implementation DS-3 (component modelling): active, no escalation (luka mentions giorgi).
    #   strategic DS-4 (Epic): ana mentions nino at 100 (unspecified); nino answers at 130.
    escalations = team["escalations"]
    assert escalations["tactical"] == {
        "active": 3,
        "escalated": 3,
        "escalation_rate": 1.0,
        "manager_involved": 2,
        "reasons": {"unexplained-model-behaviour": 1, "unspecified": 1, "resource-timeline-risk": 1},
        "items": [
            item("DS-1", 26, "assign", "ana", "unexplained-model-behaviour"),
            item("DS-1", 26, "label", "ana", "unexplained-model-behaviour"),
            item("DS-2", 40, "status", "giorgi", "unspecified"),
            item("DS-2", 41, "mention", "giorgi", "unspecified"),
            item("DS-6", 150, "label", "luka", "resource-timeline-risk"),
        ],
    }
    assert escalations["implementation"] == {
        "active": 1,
        "escalated": 0,
        "escalation_rate": 0.0,
        "manager_involved": 0,
        "reasons": {},
        "items": [],
    }
    assert escalations["strategic"] == {
        "active": 1,
        "escalated": 1,
        "escalation_rate": 1.0,
        "manager_involved": 1,
        "reasons": {"unspecified": 1},
        "items": [item("DS-4", 100, "mention", "ana", "unspecified")],
    }
    assert escalations["strategic_without_manager"] == []

    # §5.4 decisions. Tactical: 5 requests; answered in the week:
    #   DS-1 label 26 -> nino's comment 36 = 10 h; DS-1 assigned 26 -> 36 = 10 h;
    #   DS-2 Needs Decision 40 -> left it at 52 (before nino's comment at 60) = 12 h;
    #   DS-2 mention 41 -> nino's comment 60 = 19 h.
    #   median(10, 10, 12, 19) = 11.0; p90 (linear) at rank 0.9 * 3 = 2.7: 12 + 0.7 * (19 - 12) = 16.9
    #   pending at week end: DS-6 since 150 -> 18.0 h.
    # Strategic: DS-4 mention 100 -> 130 = 30 h. Colour: longest wait max(19, 30, 18) = 30 h -> yellow.
    decisions = team["decisions"]
    assert decisions["tactical"]["requested"] == 5
    assert decisions["tactical"]["answered"] == 4
    assert decisions["tactical"]["median_hours"] == 11.0
    assert decisions["tactical"]["p90_hours"] == pytest.approx(16.9)
    assert decisions["tactical"]["pending"] == [{"key": "DS-6", "age_hours": 18.0}]
    assert decisions["strategic"] == {
        "requested": 1,
        "answered": 1,
        "median_hours": 30.0,
        "p90_hours": 30.0,
        "pending": [],
        "stale": {"count": 0, "oldest_age_hours": None},
    }
    assert decisions["implementation"] == {
        "requested": 0,
        "answered": 0,
        "median_hours": None,
        "p90_hours": None,
        "pending": [],
        "stale": {"count": 0, "oldest_age_hours": None},
    }
    assert decisions["colour"] == "yellow"

    # §5.5: coding green; reviews yellow; tactical rate 1.0 > 2 x 10 %, but 3 active issues are
    #   fewer than min_sample (5) -> grey, too few; strategic involvement 1 / 1 -> green; decisions
    #   yellow.
    lights = {item["item"]: item["colour"] for item in team["checklist"]}
    assert lights == {
        "coding": "green",
        "reviews": "yellow",
        "tactical_ownership": "grey",
        "strategic_involvement": "green",
        "decisions": "yellow",
    }
    assert [item["item"] for item in team["checklist"]] == list(lights)
    # too_few: reviews (0 < 3 merged < 5) and tactical ownership (0 < 3 active < 5).
    assert [item["too_few"] for item in team["checklist"]] == [False, True, True, False, False]


# -- b. faults ----------------------------------------------------------------------------------


@pytest.mark.scenario("faults", "clean")
def test_sync_through_every_transient_fault_equals_the_clean_store(runs: Runs, clean: CleanRuns) -> None:
    run: SingleRun = runs.get("faults")
    assert_succeeded(run.finished)
    assert run.errors == []
    unfired = [name for name, fault in run.extra["faults"].items() if fault.fired != 1]
    assert unfired == [], f"faults never served: {unfired}; requests {run.requests}"
    assert same_as_clean(runs, clean, "faults", run.store) == []


# -- c. interruption ------------------------------------------------------------------------------


@pytest.mark.scenario("interrupted", "clean")
def test_kill_9_at_several_points_then_rerun_equals_the_clean_store(runs: Runs, clean: CleanRuns) -> None:
    run: InterruptedRuns = runs.get("interrupted")
    for kill in run.kills:
        assert kill.returncode == -9, f"{kill.where}: exit {kill.returncode}"
        served = {name: len(lines) for name, lines in kill.requests.items()}
        print(f"\nkilled: {kill.where}; requests served {served}")
    final = {name: len(lines) for name, lines in run.final_requests.items()}
    print(f"rerun to completion: requests served {final}")
    assert_succeeded(run.final)
    assert run.errors == []
    assert same_as_clean(runs, clean, "interrupted", run.store) == []
    # The cursors the completed run left are as good as a clean run's: nothing new, little asked.
    assert_succeeded(run.after)
    after = run.after_requests
    print(f"then nothing changed: requests served { {k: len(v) for k, v in after.items()} }")
    assert len(after["github"]) <= 2 and after["jira"] == ["GET /rest/api/3/search/jql"] * 2


# -- d. refused token, unknown project ------------------------------------------------------------


@pytest.mark.scenario("rejected", "clean")
def test_refused_github_token_and_unknown_project_fail_only_themselves(runs: Runs, clean: CleanRuns) -> None:
    run: SingleRun = runs.get("rejected")
    assert run.finished.code == 1, run.finished.explain()
    lines = run.finished.stderr.strip().splitlines()
    assert len(lines) == 1, run.finished.explain()
    (line,) = lines
    print(f"\nstderr: {line}")
    github_url = runs.scenarios["rejected"].github.url
    assert f"GitHub rejected the token for {github_url}" in line
    assert "jira NOPE: project NOPE does not exist" in line and "jira DS" not in line
    assert "ghp_" not in run.finished.stderr + run.finished.stdout
    # GitHub refused every request; Jira DS synced in full all the same.
    assert run.store["pull_requests"].height == 0 and run.store["commits"].height == 0
    got = same_site(run.store, jira_base(runs, "rejected"))
    want = same_site(clean.stores["pushed"], jira_base(runs, "clean"))
    for table in JIRA_TABLES:
        ds = want[table].filter(pl.col("key").str.starts_with("DS-"))
        assert got[table].equals(ds), f"{table}: {got[table]} != {ds}"
    assert sorted(got["issues"]["key"].to_list()) == [f"DS-{n}" for n in range(1, 7)]


# -- e. Jira Server config pointed at Jira Cloud ----------------------------------------------------


@pytest.mark.scenario("wrong_flavor", "clean")
def test_server_flavour_against_jira_cloud_says_to_set_flavor_cloud(runs: Runs, clean: CleanRuns) -> None:
    run: SingleRun = runs.get("wrong_flavor")
    assert run.finished.code == 1, run.finished.explain()
    lines = run.finished.stderr.strip().splitlines()
    assert len(lines) == 1, run.finished.explain()
    print(f"\nstderr: {lines[0]}")
    assert 'set flavor = "cloud"' in lines[0]
    assert run.requests["jira"] == ["GET /rest/api/2/search"]
    # The same run's GitHub side: a repo that does not exist is named, the other one synced.
    assert "acme/missing" in lines[0] and "not found" in lines[0]
    for table in GITHUB_TABLES:
        churn = clean.stores["pushed"][table].filter(pl.col("repo") == dataset.CHURN)
        assert run.store[table].equals(churn), table


# -- REST fallback and Jira Server ----------------------------------------------------------------


@pytest.mark.scenario("rest_server", "clean")
def test_rest_fallback_and_jira_server_store_the_same_rows(runs: Runs, clean: CleanRuns) -> None:
    run: SingleRun = runs.get("rest_server")
    assert_succeeded(run.finished)
    assert run.errors == []
    unfired = [name for name, fault in run.extra["faults"].items() if fault.fired != 1]
    assert unfired == [], f"faults never served: {unfired}; requests {run.requests}"
    # Each repo's client finds out once that there is no GraphQL API (at GitHub Enterprise's
    # /api/graphql), then reads REST under /api/v3.
    graphql = [line for line in run.requests["github"] if line.startswith("POST")]
    assert 1 <= len(graphql) <= 2 and all(line.startswith("POST /api/graphql") for line in graphql)
    assert "GET /api/v3/repos/acme/churn-model/pulls" in run.requests["github"]
    assert "GET /rest/api/2/search" in run.requests["jira"]
    # REST list endpoints carry no line counts; every other column matches the GraphQL store.
    no_counts = {
        table: frame.drop("additions", "deletions", strict=False)
        for table, frame in clean.stores["pushed"].items()
        if table in GITHUB_TABLES
    }
    got = {table: run.store[table].drop("additions", "deletions", strict=False) for table in GITHUB_TABLES}
    for table in GITHUB_TABLES:
        assert got[table].equals(no_counts[table]), (
            f"{table}: {differences({**run.store, **got}, {**run.store, **no_counts})}"
        )
    wanted = jira_rows(dataset.jira_issues(CLOCK), "server", jira_base(runs, "rest_server"))
    for table in JIRA_TABLES:
        assert rows(run.store[table], table) == wanted[table], table
    # [[people]] lists both the Cloud accountId and the Server username: the same numbers.
    report = run.extra["report"]
    assert report.code == 0, report.explain()
    metrics = (run.extra["output"] / WEEK.label / "metrics.json").read_text("utf-8")
    assert metrics == (clean.output / WEEK.label / "metrics.json").read_text("utf-8")


# -- the store on S3 ------------------------------------------------------------------------------


@pytest.mark.scenario("object_store", "clean")
def test_two_syncs_at_once_into_one_s3_store_equal_one_clean_sync(runs: Runs, clean: CleanRuns) -> None:
    run: ObjectStoreRuns = runs.get("object_store")
    assert_succeeded(*run.together, run.again)
    assert run.errors == []
    # One sync per repo and project, at once, into one S3 store: every row of both, none twice.
    assert_keys_unique(run.store)
    assert same_as_clean(runs, clean, "object_store", run.store) == []
    # Both left their cursors in the store's state.json: a sync of the whole config finds nothing
    # new, asks as little as after a clean run and leaves the store equal.
    assert same_as_clean(runs, clean, "object_store", run.store_again) == []
    after = run.again_requests
    assert len(after["github"]) <= 2 and after["jira"] == ["GET /rest/api/3/search/jql"] * 2


@pytest.mark.scenario("object_store", "clean")
def test_report_from_the_s3_store_equals_the_local_stores(runs: Runs, clean: CleanRuns) -> None:
    run: ObjectStoreRuns = runs.get("object_store")
    assert run.report.code == 0, run.report.explain()
    metrics = (run.output / WEEK.label / "metrics.json").read_text("utf-8")
    assert metrics == (clean.output / WEEK.label / "metrics.json").read_text("utf-8")
    pages = sorted(path.name for path in (run.output / WEEK.label).glob("*.html"))
    assert pages == sorted(path.name for path in (clean.output / WEEK.label).glob("*.html"))
    assert "index.html" in pages


# -- secrets ----------------------------------------------------------------------------------------


def secret_forms() -> list[str]:
    """Every form a token travels in: raw (so `Bearer x` and `token x` too) and Jira's basic-auth
    base64 of user:token, with and without its padding."""
    basic = base64.b64encode(f"{JIRA_USER}:{JIRA_TOKEN}".encode()).decode()
    return [GITHUB_TOKEN, REVOKED_TOKEN, JIRA_TOKEN, basic, basic.rstrip("="), f"Bearer {JIRA_TOKEN}"]


@pytest.mark.scenario("echo")
def test_servers_that_echo_the_authorization_header_leak_no_secret(runs: Runs) -> None:
    run: SingleRun = runs.get("echo")
    assert run.finished.code == 1, run.finished.explain()
    lines = run.finished.stderr.strip().splitlines()
    assert len(lines) == 1, run.finished.explain()
    print(f"\nstderr: {lines[0]}")
    # Both services' echoes reached the message, and both were cut out of it.
    assert "GitHub GraphQL error: Bad header token [secret]" in lines[0]
    assert "Method not allowed for Basic [secret]" in lines[0]
    assert any(line.startswith("POST /graphql") for line in run.requests["github"])
    output = run.finished.stdout + run.finished.stderr
    assert [form for form in secret_forms() if form in output] == []


@pytest.mark.scenario("dead_host")
def test_a_dead_github_host_fails_fast_naming_it_and_jira_carries_on(runs: Runs) -> None:
    run: SingleRun = runs.get("dead_host")
    assert run.finished.code == 1, run.finished.explain()
    lines = run.finished.stderr.strip().splitlines()
    assert len(lines) == 1, run.finished.explain()
    print(f"\nstderr: {lines[0]} ({run.finished.seconds:.1f} s)")
    dead = run.extra["dead"]
    assert f"GitHub host https://{dead} is unreachable" in lines[0] and "connection refused" in lines[0]
    for repo in ("acme/churn-model", "acme/feature-store", "acme/missing"):
        assert f"github {repo}: " in lines[0]
    # Before: 5 tries per repo (15-30 s of backoff), then Prefect's task retries after 30 s and
    # 120 s — over 195 s for the first repo alone. Now the host is given up after 3 refusals and
    # no task is retried; the bound leaves room for Prefect's start-up on a busy machine.
    assert "Retrying" not in run.finished.stdout and "AwaitingRetry" not in run.finished.stdout
    assert run.finished.seconds < 150, run.finished.explain()
    wanted = jira_rows(dataset.jira_issues(CLOCK), "cloud", jira_base(runs, "dead_host"))
    for table in JIRA_TABLES:
        assert rows(run.store[table], table) == wanted[table], table


@pytest.mark.scenario(*PLAN)
def test_no_token_in_any_output_or_file_the_runs_left(runs: Runs) -> None:
    """stdout, stderr, the store, the state, the reports and PREFECT_HOME (its database included)."""
    outputs = []
    for name in PLAN:
        result = runs.get(name)
        if isinstance(result, SingleRun):
            outputs.append(result.finished.stdout + result.finished.stderr)
    secrets = [*secret_forms(), CREDENTIALS["AWS_SECRET_ACCESS_KEY"]]
    assert [form for form in secrets if any(form in output for output in outputs)] == []
    needles = [secret.encode() for secret in secrets]
    checked = 0
    for folder in runs.folders():
        for path in folder.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                checked += 1
                found = [needle.decode() for needle in needles if needle in content]
                assert not found, f"{path} holds a secret"
    assert checked > 50
