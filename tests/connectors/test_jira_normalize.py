"""Normalisation of raw Jira payloads (real recordings and hand-built issues) into SPEC §4 rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import UnexpectedAnswer
from connectors.normalize_jira import (
    comment_mentions,
    comment_rows,
    event_rows,
    identity,
    issue_row,
    normalize_issue,
    normalize_issues,
    unique_by_id,
    user_keys,
)
from connectors.times import parse_time

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira"
NINO = "5b10ac8d82e05b22cc7d4ef5"
ANA = "5d53f3cbc6b9320d9ea5bdc2"
GIORGI = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def test_times_with_offsets_become_utc() -> None:
    # 09:00 at +04:00 is 05:00 UTC; 16:15 at -07:00 is 23:15 UTC the same day.
    assert parse_time("2026-11-03T09:00:00.000+0400") == datetime(2026, 11, 3, 5, 0, tzinfo=UTC)
    assert parse_time("2026-11-04T16:15:00.000-0700") == datetime(2026, 11, 4, 23, 15, tzinfo=UTC)
    assert parse_time("2021-03-28T16:06:08.713+0800") == datetime(2021, 3, 28, 8, 6, 8, 713000, tzinfo=UTC)
    assert parse_time(None) is None


def test_identity_prefers_account_id_then_name_then_key() -> None:
    assert identity({"accountId": "abc", "name": "peter", "key": "peter"}) == "abc"
    assert identity({"name": "nino.b", "key": "JIRAUSER10100"}) == "nino.b"
    assert identity({"key": "JIRAUSER10100"}) == "JIRAUSER10100"
    assert identity(None) is None
    assert identity({"accountId": "", "name": "", "key": ""}) is None


def test_cloud_issue_row_and_labels_assignment_status_events() -> None:
    ds1 = load("cloud_ds_issues.json")[0]
    rows = normalize_issue(ds1, "https://acme.atlassian.net")
    (issue,) = rows.issues
    assert issue == {
        "key": "DS-1",
        "project": "DS",
        "issue_type": "Task",
        "summary": "Churn model drifts after the feature store migration",
        "url": "https://acme.atlassian.net/browse/DS-1",
        "status": "Needs Decision",
        "labels": ["escalation", "model-anomaly"],
        "components": [],
        "assignee": NINO,
        "reporter": ANA,
        "created_at": datetime(2026, 11, 2, 6, 0, tzinfo=UTC),  # 10:00 +04:00
        "updated_at": datetime(2026, 11, 3, 5, 0, tzinfo=UTC),  # 09:00 +04:00
        "resolved_at": None,
        "parent_key": None,
    }
    events = {(e["event_id"], e["field"]): e for e in rows.issue_events}
    assert set(events) == {
        ("10100", "labels"),
        ("10101", "labels"),
        ("10101", "assignee"),
        ("10102", "status"),
    }
    # Labels: Jira's space-separated lists, as they were and became.
    assert (events["10101", "labels"]["from_value"], events["10101", "labels"]["to_value"]) == (
        "model-anomaly",
        "escalation model-anomaly",
    )
    assert events["10100", "labels"]["from_value"] == ""
    # Assignment of the issue to Nino by Ana: identities, not display names.
    assert events["10101", "assignee"] == {
        "key": "DS-1",
        "event_id": "10101",
        "field": "assignee",
        "at": datetime(2026, 11, 2, 8, 30, tzinfo=UTC),  # 12:30 +04:00
        "actor": ANA,
        "from_value": ANA,
        "to_value": NINO,
    }
    status = events["10102", "status"]
    assert (status["actor"], status["from_value"], status["to_value"]) == (
        GIORGI,
        "In Progress",
        "Needs Decision",
    )


def test_an_issue_without_its_project_field_takes_the_project_from_its_key() -> None:
    """An issue sent without `fields.project` is filed under its key's prefix (`DS-1` -> `DS`)."""
    ds1 = load("cloud_ds_issues.json")[0]
    del ds1["fields"]["project"]
    (issue,) = normalize_issue(ds1, "https://acme.atlassian.net").issues
    assert (issue["key"], issue["project"]) == ("DS-1", "DS")


def test_cloud_adf_mentions_and_anonymous_comment() -> None:
    ds1 = load("cloud_ds_issues.json")[0]
    comments = {c["comment_id"]: c for c in normalize_issue(ds1, "https://acme.atlassian.net").comments}
    assert comments["20001"] == {
        "key": "DS-1",
        "comment_id": "20001",
        "author": ANA,
        "created_at": datetime(2026, 11, 3, 4, 50, tzinfo=UTC),  # 08:50 +04:00
        "mentions": [NINO],
    }
    assert comments["20002"]["author"] is None  # anonymous: no author object at all
    assert comments["20002"]["mentions"] == []


def test_adf_mentions_are_found_nested_and_counted_once() -> None:
    def mention(account: str) -> dict[str, Any]:
        return {"type": "mention", "attrs": {"id": account, "text": "@someone"}}

    def paragraph(*content: dict[str, Any]) -> dict[str, Any]:
        return {"type": "paragraph", "content": list(content)}

    nested = {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [paragraph(mention(GIORGI))]}],
    }
    text = {"type": "text", "text": "[~not-a-wiki-mention-in-adf]"}
    body = {"type": "doc", "version": 1, "content": [nested, paragraph(text, mention(NINO), mention(GIORGI))]}
    assert comment_mentions(body) == [GIORGI, NINO]


def test_wiki_mentions_username_and_cloud_account_id() -> None:
    text = "ping [~nino.b] and [~accountid:557058:f58131cb-b67d-43c7-b30d-6b58d40bd077], again [~nino.b]"
    assert comment_mentions(text) == ["nino.b", GIORGI]
    assert comment_mentions("[~accountId:5b10ac8d82e05b22cc7d4ef5]") == [NINO]
    assert comment_mentions("no [link|http://x] mention, [~ ] neither") == []
    assert comment_mentions(None) == []


def test_server_issue_translates_user_keys_to_names() -> None:
    ds1 = load("server_ds_issues.json")[0]
    rows = normalize_issue(ds1, "https://jira.acme.example/")
    assert rows.issues[0]["assignee"] == "nino.b"
    assert rows.issues[0]["url"] == "https://jira.acme.example/browse/DS-1"
    assignment = next(e for e in rows.issue_events if e["field"] == "assignee")
    # Jira Server 8+ writes the user key JIRAUSER10100 into `to`; the store holds the username.
    assert (assignment["actor"], assignment["from_value"], assignment["to_value"]) == (
        "ana.k",
        "ana.k",
        "nino.b",
    )
    (comment,) = rows.comments
    assert (comment["author"], comment["mentions"]) == ("ana.k", ["nino.b", "giorgi.m"])


def test_server_deleted_user_and_history_without_author() -> None:
    ds3 = load("server_ds_issues.json")[2]
    rows = normalize_issue(ds3, "https://jira.acme.example")
    assert rows.issues[0]["parent_key"] == "DS-1"
    assert rows.issues[0]["resolved_at"] == datetime(2026, 11, 4, 23, 15, tzinfo=UTC)  # 16:15 -07:00
    assert rows.issues[0]["assignee"] is None
    (event,) = rows.issue_events
    assert (event["actor"], event["from_value"], event["to_value"]) == (None, "Review", "Done")
    assert rows.comments[0]["author"] is None


def test_repeated_field_in_one_history_keeps_keys_unique() -> None:
    history = {
        "id": "500",
        "created": "2026-11-03T09:00:00.000+0000",
        "items": [
            {"field": "Component", "fromString": None, "toString": "modelling"},
            {"field": "Component", "fromString": None, "toString": "serving"},
            {"field": "Link", "fromString": None, "toString": "blocks DS-9"},
        ],
    }
    rows = event_rows("DS-1", [history], {})
    assert [(r["event_id"], r["field"], r["to_value"]) for r in rows] == [
        ("500", "component", "modelling"),
        ("500.1", "component", "serving"),
        ("500", "link", "blocks DS-9"),
    ]


def test_real_cloud_issues_with_changelog() -> None:
    issues = load("devlake_cloud_issues_expand_changelog.json")
    rows = normalize_issues(issues, "https://merico.atlassian.net")
    assert [r["key"] for r in rows.issues] == ["EE-1", "EE-2", "EE-17", "EE-20", "EE-24"]
    expected_events = sum(len(h["items"]) for i in issues for h in i["changelog"]["histories"])
    assert len(rows.issue_events) == expected_events
    assert len({(r["key"], r["event_id"], r["field"]) for r in rows.issue_events}) == expected_events
    ee1 = rows.issues[0]
    assert ee1["labels"] == ["frontEnd", "Saas"]
    assert ee1["assignee"] == "5ecfbd0c730ec90c1999cadf"
    assert ee1["updated_at"] == datetime(2021, 3, 28, 8, 6, 8, 713000, tzinfo=UTC)  # 16:06:08.713 +08:00
    reopen = [r for r in rows.issue_events if r["key"] == "EE-1" and r["field"] == "status"]
    assert ("Closed", "已完成") in {(r["from_value"], r["to_value"]) for r in reopen}
    assert all(r["actor"] and ":" not in r["actor"] for r in reopen)  # accountIds of this site
    assert {c["key"] for c in rows.comments} == {"EE-1", "EE-2", "EE-17", "EE-24"}


def test_real_v3_changelog_page_walks_status_names() -> None:
    values = load("devlake_cloud_issue_13954_changelog_values.json")
    rows = event_rows("EE-13954", values, {})
    in_order = sorted(rows, key=lambda r: r["at"])
    status = [(r["from_value"], r["to_value"]) for r in in_order if r["field"] == "status"]
    assert status == [
        ("Open", "开发中"),
        ("开发中", "Code Review"),
        ("Code Review", "待测试"),
        ("待测试", "测试中"),
        ("测试中", "发布中"),
        ("发布中", "已完成"),
    ]
    assert len({(r["event_id"], r["field"]) for r in rows}) == len(rows)
    assert {"remoteissuelink", "sprint", "link", "workflow"} <= {r["field"] for r in rows}


def test_real_cloud_v2_comments_use_account_id_and_wiki_mentions() -> None:
    page = load("perceval_cloud_comments_page1.json")
    rows = comment_rows("VOICE-1", page["comments"])
    first = rows[0]
    # The author carries accountId and the legacy name "peter": Cloud identity is the accountId.
    assert first["author"] == "557058:887ce97e-9fbd-4873-8b09-669ce3b1e696"
    assert first["mentions"] == ["leo.papadopoulos"]
    assert first["created_at"] == datetime(2018, 5, 24, 21, 35, 30, 742000, tzinfo=UTC)  # 23:35:30.742 +02:00


def test_atlassian_adf_comment_example() -> None:
    page = load("atlassian_issue_comment_GET_200.json")
    (row,) = comment_rows("EX-1", page["comments"])
    assert (row["author"], row["mentions"]) == ("5b10a2844c20165700ede21g", [])


def test_unique_by_id_merges_overlapping_pages() -> None:
    embedded = [{"id": "101", "v": "old"}, {"id": "99"}]
    fetched = [{"id": "99"}, {"id": "100"}, {"id": "101", "v": "new"}]
    merged = unique_by_id(embedded, fetched)
    assert [m["id"] for m in merged] == ["99", "100", "101"]
    assert merged[-1]["v"] == "new"


def test_a_change_without_display_text_keeps_its_raw_values() -> None:
    """An item whose fromString / toString are null (Jira leaves them out for some fields, e.g. a
    custom field set by an app) keeps the raw `from` / `to` it does carry."""
    history = {
        "id": "600",
        "created": "2026-11-03T09:00:00.000+0000",
        "items": [{"field": "Story Points", "from": "3", "fromString": None, "to": "5", "toString": None}],
    }
    (row,) = event_rows("DS-1", [history], {})
    assert (row["from_value"], row["to_value"]) == ("3", "5")


def test_only_server_users_with_a_key_and_a_name_translate_keys() -> None:
    """A key becomes a username only when the user object has both and is a Server user: a
    Cloud user (with an accountId) or one without a username (anonymised) translates nothing."""
    fields = {
        "assignee": {"key": "JIRAUSER10100", "name": "nino.b"},
        "reporter": {"key": "JIRAUSER10101", "displayName": "Former user"},  # anonymised: no name
        "creator": {"key": "ana", "name": "ana.k", "accountId": ANA},  # Cloud keeps legacy fields
    }
    history = {"author": {"name": "giorgi.m", "displayName": "Giorgi M."}}  # no key
    assert user_keys(fields, [history], []) == {"JIRAUSER10100": "nino.b"}


def test_the_project_of_an_issue_is_its_project_field_before_its_key() -> None:
    """An issue moved from another project keeps an old key in some answers; the `project`
    field says where it is now. The key's prefix is used only when the field is absent."""
    moved = {"key": "OLD-7", "fields": {"project": {"key": "DS"}, "summary": "s"}}
    assert issue_row(moved, "https://jira.acme.example")["project"] == "DS"
    bare = {"key": "ML-3", "fields": {"summary": "s"}}
    assert issue_row(bare, "https://jira.acme.example")["project"] == "ML"


def test_an_item_named_only_by_its_field_id_is_kept_under_it() -> None:
    """Jira Cloud sends some changelog items with `fieldId` and no `field`: the id names them."""
    history = {
        "id": "700",
        "created": "2026-11-03T09:00:00.000+0000",
        "author": {"accountId": NINO},
        "items": [{"fieldId": "Status", "fromString": "Open", "toString": "Done"}, {"fromString": "a"}],
    }
    assert event_rows("DS-1", [history], {}) == [
        {
            "key": "DS-1",
            "event_id": "700",
            "field": "status",
            "at": datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
            "actor": NINO,
            "from_value": "Open",
            "to_value": "Done",
        },
        {
            "key": "DS-1",
            "event_id": "700",
            "field": "",
            "at": datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
            "actor": NINO,
            "from_value": "a",
            "to_value": None,
        },
    ]


def test_components_without_a_name_and_a_user_field_cleared_are_left_empty() -> None:
    issue = {
        "key": "DS-9",
        "fields": {"components": [{"name": "serving"}, {"id": "3"}, {"name": ""}], "labels": None},
        "changelog": {
            "histories": [
                {
                    "id": "1",
                    "created": "2026-11-03T09:00:00.000+0000",
                    "items": [{"field": "assignee", "from": "JIRAUSER1", "to": None}],
                }
            ]
        },
    }
    rows = normalize_issue(issue, "https://jira.acme.example")
    assert (rows.issues[0]["components"], rows.issues[0]["labels"]) == (["serving"], [])
    assert [(e["from_value"], e["to_value"]) for e in rows.issue_events] == [("JIRAUSER1", None)]


def test_ids_are_ordered_as_numbers_even_past_a_digit_more() -> None:
    """Jira's ids are numbers in strings: "999" comes before "1000", as in the changelog."""
    merged = unique_by_id([{"id": "1000"}, {"id": "999"}, {"id": "1001"}], [{"id": "998"}])
    assert [m["id"] for m in merged] == ["998", "999", "1000", "1001"]


def test_an_issue_missing_what_is_read_is_named_with_the_site_and_its_key() -> None:
    with pytest.raises(UnexpectedAnswer) as without_id:
        normalize_issue(
            {"key": "DS-4", "fields": {}, "changelog": {"histories": [{"created": "x"}]}},
            "https://jira.acme.example",
        )
    assert str(without_id.value) == (
        "Jira at https://jira.acme.example sent issue DS-4 in an unexpected shape (no 'id')"
    )
    with pytest.raises(UnexpectedAnswer) as without_key:
        normalize_issue({"fields": {}}, "https://jira.acme.example")
    assert str(without_key.value) == (
        "Jira at https://jira.acme.example sent issue ? in an unexpected shape (no 'key')"
    )


def test_both_user_keys_of_an_assignee_change_are_translated() -> None:
    """Jira Server writes user keys into both sides of an assignee change; each becomes the
    username the issue's user objects give for it."""
    fields = {
        "assignee": {"key": "JIRAUSER10101", "name": "nino.b"},
        "reporter": {"key": "JIRAUSER10100", "name": "ana.k"},
    }
    history = {
        "id": "800",
        "created": "2026-11-03T09:00:00.000+0000",
        "author": {"key": "JIRAUSER10100", "name": "ana.k"},
        "items": [{"field": "assignee", "from": "JIRAUSER10100", "to": "JIRAUSER10101"}],
    }
    (event,) = event_rows("DS-1", [history], user_keys(fields, [history], []))
    assert (event["actor"], event["from_value"], event["to_value"]) == ("ana.k", "ana.k", "nino.b")


@pytest.mark.parametrize("issue", [["not", "an", "issue"], "DS-1", None])
def test_an_issue_that_is_not_an_object_is_an_unexpected_answer(issue: Any) -> None:
    with pytest.raises(UnexpectedAnswer) as caught:
        normalize_issue(issue, "https://jira.acme.example")
    # `issue["key"]` of a list, a string or None is a TypeError: no key can be named
    assert (
        str(caught.value)
        == "Jira at https://jira.acme.example sent issue ? in an unexpected shape (TypeError)"
    )
