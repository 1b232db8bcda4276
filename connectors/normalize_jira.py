"""Pure normalisation of raw Jira issues into the `issues`, `issue_events` and `comments` rows (SPEC §4).

Works on both flavours: Cloud identifies users by `accountId`, Server/Data Center by `name` (its
older `key` when a name is missing). Comment bodies are Atlassian Document Format on Cloud's v3
API (mentions are `mention` nodes) and wiki markup elsewhere (`[~username]`, `[~accountid:...]`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import UNREADABLE, unreadable
from connectors.times import parse_time

# Changelog fields whose `from`/`to` hold user identities (the `*String` twins hold display names).
USER_FIELDS = frozenset({"assignee", "reporter"})

# `[~username]` on Server, `[~accountid:5b10ac8d82e05b22cc7d4ef5]` in Cloud's v2 (wiki markup) bodies.
WIKI_MENTION = re.compile(r"\[~(?:accountid:)?([^\]\s|]+)\]", re.IGNORECASE)


@dataclass
class JiraRows:
    """The rows one batch of raw issues turns into, one list per table."""

    issues: list[dict[str, Any]] = field(default_factory=list)
    issue_events: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: JiraRows) -> None:
        self.issues.extend(other.issues)
        self.issue_events.extend(other.issue_events)
        self.comments.extend(other.comments)


def identity(user: Mapping[str, Any] | None) -> str | None:
    """The raw identity of a Jira user object: Cloud accountId, else Server name, else key.

    An anonymous action or a deleted Server user comes without a user object: None.
    """
    if not user:
        return None
    for attribute in ("accountId", "name", "key"):
        value = user.get(attribute)
        if value:
            return str(value)
    return None


def adf_mentions(node: Any) -> list[str]:
    """The account ids of the `mention` nodes in an Atlassian Document Format tree, in document order."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("type") == "mention":
                mentioned = (item.get("attrs") or {}).get("id")
                if mentioned:
                    found.append(str(mentioned))
            for child in item.get("content") or ():
                walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)

    walk(node)
    return found


def wiki_mentions(text: str) -> list[str]:
    """The identities in wiki-markup mentions: `[~username]` and `[~accountid:ID]`."""
    return WIKI_MENTION.findall(text)


def comment_mentions(body: Any) -> list[str]:
    """Distinct mentioned identities of a comment body (ADF document or wiki text), first mention first."""
    found = adf_mentions(body) if isinstance(body, dict | list) else wiki_mentions(body or "")
    return list(dict.fromkeys(found))


def _user_objects(
    fields: Mapping[str, Any], histories: Iterable[Mapping[str, Any]], comments: Iterable[Mapping[str, Any]]
) -> Iterator[Mapping[str, Any]]:
    for name in ("assignee", "reporter", "creator"):
        if fields.get(name):
            yield fields[name]
    for history in histories:
        if history.get("author"):
            yield history["author"]
    for comment in comments:
        for role in ("author", "updateAuthor"):
            if comment.get(role):
                yield comment[role]


def user_keys(
    fields: Mapping[str, Any], histories: Iterable[Mapping[str, Any]], comments: Iterable[Mapping[str, Any]]
) -> dict[str, str]:
    """Server user key -> username for every user object in the issue.

    Jira Server 8+ writes the user *key* (`JIRAUSER10100` for newer accounts) into an assignee
    changelog item's `from`/`to`; the store holds usernames, so known keys are translated.
    """
    mapping: dict[str, str] = {}
    for user in _user_objects(fields, histories, comments):
        key, name = user.get("key"), user.get("name")
        if key and name and not user.get("accountId"):
            mapping[str(key)] = str(name)
    return mapping


def issue_row(issue: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """One `issues` row."""
    fields = issue.get("fields") or {}
    key = str(issue["key"])
    project = (fields.get("project") or {}).get("key") or key.rsplit("-", 1)[0]
    parent = fields.get("parent") or {}
    return {
        "key": key,
        "project": project,
        "issue_type": (fields.get("issuetype") or {}).get("name"),
        "summary": fields.get("summary"),
        "url": f"{base_url.rstrip('/')}/browse/{key}",
        "status": (fields.get("status") or {}).get("name"),
        "labels": [str(label) for label in fields.get("labels") or ()],
        "components": [str(c["name"]) for c in fields.get("components") or () if c.get("name")],
        "assignee": identity(fields.get("assignee")),
        "reporter": identity(fields.get("reporter")),
        "created_at": parse_time(fields.get("created")),
        "updated_at": parse_time(fields.get("updated")),
        "resolved_at": parse_time(fields.get("resolutiondate")),
        "parent_key": parent.get("key"),
    }


def _item_values(
    item: Mapping[str, Any], name: str, keys: Mapping[str, str]
) -> tuple[str | None, str | None]:
    if name in USER_FIELDS:
        old, new = item.get("from"), item.get("to")
        return (keys.get(old, old) if old else None, keys.get(new, new) if new else None)
    old_text, new_text = item.get("fromString"), item.get("toString")
    return (
        old_text if old_text is not None else item.get("from"),
        new_text if new_text is not None else item.get("to"),
    )


def event_rows(
    key: str, histories: Iterable[Mapping[str, Any]], keys: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One `issue_events` row per changelog item.

    `event_id` is the history id; a history that changes one field twice (two links, two
    components) numbers the repeats `<id>.1`, `<id>.2` so `(key, event_id, field)` stays unique.
    """
    rows: list[dict[str, Any]] = []
    for history in histories:
        history_id = str(history["id"])
        at = parse_time(history.get("created"))
        actor = identity(history.get("author"))
        seen: dict[str, int] = {}
        for item in history.get("items") or ():
            name = str(item.get("field") or item.get("fieldId") or "").lower()
            repeat = seen.get(name, 0)
            seen[name] = repeat + 1
            old, new = _item_values(item, name, keys)
            rows.append(
                {
                    "key": key,
                    "event_id": history_id if repeat == 0 else f"{history_id}.{repeat}",
                    "field": name,
                    "at": at,
                    "actor": actor,
                    "from_value": None if old is None else str(old),
                    "to_value": None if new is None else str(new),
                }
            )
    return rows


def comment_rows(key: str, comments: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One `comments` row per comment; an anonymous or deleted author is None."""
    return [
        {
            "key": key,
            "comment_id": str(comment["id"]),
            "author": identity(comment.get("author")),
            "created_at": parse_time(comment.get("created")),
            "mentions": comment_mentions(comment.get("body")),
        }
        for comment in comments
    ]


def unique_by_id(*lists: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Entries of several (overlapping) pages, each id once, the later copy winning, sorted by id."""
    merged: dict[str, Mapping[str, Any]] = {}
    for entries in lists:
        for entry in entries:
            merged[str(entry["id"])] = entry
    return [merged[i] for i in sorted(merged, key=lambda i: (len(i), i))]


def normalize_issue(
    issue: Mapping[str, Any],
    base_url: str,
    histories: Iterable[Mapping[str, Any]] | None = None,
    comments: Iterable[Mapping[str, Any]] | None = None,
) -> JiraRows:
    """The rows of one raw issue; an issue missing what we read is UnexpectedAnswer, not a crash.

    `histories` and `comments` are the complete lists when the embedded ones were truncated
    and completed from their own endpoints; by default the embedded ones are used.
    """
    try:
        return _issue_rows(issue, base_url, histories, comments)
    except UNREADABLE as error:
        key = issue.get("key") if isinstance(issue, Mapping) else None
        raise unreadable(f"Jira at {base_url} sent issue {key or '?'}", error) from None


def _issue_rows(
    issue: Mapping[str, Any],
    base_url: str,
    histories: Iterable[Mapping[str, Any]] | None,
    comments: Iterable[Mapping[str, Any]] | None,
) -> JiraRows:
    key = str(issue["key"])
    fields = issue.get("fields") or {}
    histories = list(
        (issue.get("changelog") or {}).get("histories") or () if histories is None else histories
    )
    comments = list((fields.get("comment") or {}).get("comments") or () if comments is None else comments)
    return JiraRows(
        issues=[issue_row(issue, base_url)],
        issue_events=event_rows(key, histories, user_keys(fields, histories, comments)),
        comments=comment_rows(key, comments),
    )


def normalize_issues(issues: Iterable[Mapping[str, Any]], base_url: str) -> JiraRows:
    """The rows of several raw issues, each with its embedded changelog and comments."""
    rows = JiraRows()
    for issue in issues:
        rows.extend(normalize_issue(issue, base_url))
    return rows
