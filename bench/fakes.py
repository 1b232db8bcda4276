"""Fake GitHub (REST + GraphQL) and Jira Cloud over a `bench.generate.SyncOrg`, answering through
`responses` and counting every request by endpoint.

GitHub REST answers are built from recorded payloads (tests/fixtures/github: a real PR list item
is ~15 kB) with their fields set from the model, paged with `Link` headers like GitHub. GraphQL
answers are computed by executing the query the client sent against GitHub's published schema
(graphql-core) over the node builders of tests/connectors/github_fake.py, so their shape follows
the schema exactly.
Jira answers like Cloud: `GET /rest/api/3/search/jql` paged by `nextPageToken`/`isLast`, search
results embedding a capped changelog and comment list, completed from the paged
`/issue/{key}/changelog` and `/issue/{key}/comment` endpoints.

Time spent inside the fakes is recorded, so a client's own wall time can be told apart.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses
from graphql import DocumentNode, execute, parse, validate

from bench.generate import Commit, Pull, RequestEvent, Review, SyncOrg
from tests.connectors.github_fake import github_schema, load, repository_node, resolve, rest_page, ts

GITHUB_URL = "https://api.github.com"
JIRA_URL = "https://acme.atlassian.net"
TOKEN = "ghp_bench_token_not_real_0123456789"
# Jira Cloud caps what a search result embeds; the rest comes from the issue's own endpoints.
# Assumed caps (Atlassian documents that they exist, not their size): 40 histories, 20 comments.
EMBEDDED_CHANGELOG = 40
EMBEDDED_COMMENTS = 20
REST_COMMITS_CAP = 250  # GitHub lists at most 250 commits of a PR over REST

Reply = tuple[int, dict[str, str], str]


class Meter:
    """Requests by endpoint (paths with ids replaced by placeholders) and time spent answering."""

    def __init__(self) -> None:
        self.by_endpoint: Counter[str] = Counter()
        self.seconds = 0.0

    @property
    def total(self) -> int:
        return sum(self.by_endpoint.values())

    def reset(self) -> None:
        self.by_endpoint.clear()
        self.seconds = 0.0

    def snapshot(self) -> tuple[dict[str, int], float]:
        return dict(self.by_endpoint), self.seconds

    def timed(self, answer: Callable[[Any], Reply]) -> Callable[[Any], Reply]:
        """`answer` as a `responses` callback that adds the time it takes to `seconds`."""

        def callback(request: Any) -> Reply:
            started = time.perf_counter()
            try:
                return answer(request)
            finally:
                self.seconds += time.perf_counter() - started

        return callback


def _endpoint(method: str, path: str) -> str:
    path = re.sub(r"^/repos/[^/]+/[^/]+", "/repos/{repo}", path)
    path = re.sub(r"/(pulls|issues|events)/\d+(?=/|$)", r"/\1/{n}", path)
    path = re.sub(r"/issue/[A-Z0-9]+-\d+", "/issue/{key}", path)
    return f"{method} {path}"


# -- GitHub -----------------------------------------------------------------------------------------


def _since(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


class FakeGithub:
    """Serves the org's repos over REST and GraphQL; counts requests in `meter`."""

    def __init__(self, org: SyncOrg, meter: Meter | None = None) -> None:
        self.org = org
        self.meter = meter or Meter()
        self._documents: dict[str, DocumentNode] = {}
        self._pull_template = load("pulls_state_all_items_subset.json")[0]
        self._review_template = load("pull_538_reviews.json")[0]
        self._user_template = self._review_template["user"]
        self._commit_template = load("pull_31_commits.json")[0]
        self._requested = load("issue_event_review_requested.json")
        self._removed = load("issue_event_review_request_removed.json")
        self._team_template = load("pull_31_requested_reviewers_team.json")["teams"][0]
        self._events: dict[int, dict[str, Any]] = {}

    def install(self, mock: responses.RequestsMock) -> None:
        pattern = re.compile(r"https://api\.github\.com(:443)?/.*")
        for method in ("GET", "POST"):
            mock.add_callback(method, pattern, callback=self.meter.timed(self._answer))

    def _answer(self, request: Any) -> Reply:
        parts = urlsplit(request.url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if TOKEN not in request.headers.get("Authorization", ""):
            return self._json(401, {"message": "Bad credentials"})
        if request.method == "POST" and parts.path == "/graphql":
            body = json.loads(request.body)
            name = re.search(r"query\s+(\w+)", body["query"])
            self.meter.by_endpoint[f"POST /graphql {name.group(1) if name else ''}"] += 1
            return self._graphql(body)
        self.meter.by_endpoint[_endpoint(request.method, parts.path)] += 1
        return self._rest(parts.path, query)

    @staticmethod
    def _json(status: int, payload: Any, extra: dict[str, str] | None = None) -> Reply:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4999",
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
            **(extra or {}),
        }
        return status, headers, json.dumps(payload)

    # GraphQL

    def _document(self, text: str) -> DocumentNode:
        document = self._documents.get(text)
        if document is None:
            document = parse(text)
            errors = validate(github_schema(), document)
            assert not errors, errors
            self._documents[text] = document
        return document

    def _graphql(self, body: dict[str, Any]) -> Reply:
        variables = body.get("variables") or {}
        if "owner" not in variables:  # repositories named in field arguments, several under aliases
            result = execute(
                github_schema(),
                self._document(body["query"]),
                root_value={"repository": lambda owner, name, **_: self._repository(f"{owner}/{name}")},
                variable_values=variables,
                field_resolver=resolve,
            )
            assert not result.errors, result.errors  # type: ignore[union-attr]
            return self._json(200, {"data": result.data}, {"X-RateLimit-Resource": "graphql"})  # type: ignore[union-attr]
        full = f"{variables.get('owner')}/{variables.get('name')}"
        if full not in self.org.repos:
            return self._json(
                200, {"data": {"repository": None}, "errors": [{"type": "NOT_FOUND", "message": full}]}
            )
        result = execute(
            github_schema(),
            self._document(body["query"]),
            root_value={"repository": lambda **_: self._repository(full)},
            variable_values=variables,
            field_resolver=resolve,
        )
        assert not result.errors, result.errors  # type: ignore[union-attr]
        return self._json(200, {"data": result.data}, {"X-RateLimit-Resource": "graphql"})  # type: ignore[union-attr]

    def _repository(self, full: str) -> dict[str, Any]:
        repo = self.org.repos[full]
        return repository_node(full, list(repo.pulls.values()), repo.pulls.__getitem__, repo.branch)

    # REST

    def _user(self, login: str | None) -> dict[str, Any] | None:
        if login is None:
            return None
        return {
            **self._user_template,
            "login": login,
            "type": "Bot" if login.endswith("[bot]") else "User",
            "url": f"https://api.github.com/users/{login}",
        }

    def _rest_pull(self, repo: str, p: Pull) -> dict[str, Any]:
        return {
            **self._pull_template,
            "number": p.number,
            "title": p.title,
            "url": f"https://api.github.com/repos/{repo}/pulls/{p.number}",
            "html_url": f"https://github.com/{repo}/pull/{p.number}",
            "issue_url": f"https://api.github.com/repos/{repo}/issues/{p.number}",
            "commits_url": f"https://api.github.com/repos/{repo}/pulls/{p.number}/commits",
            "review_comments_url": f"https://api.github.com/repos/{repo}/pulls/{p.number}/comments",
            "state": "open" if p.state == "OPEN" else "closed",
            "draft": False,
            "user": self._user(p.author),
            "created_at": ts(p.created),
            "updated_at": ts(p.updated),
            "closed_at": ts(p.closed) if p.closed else None,
            "merged_at": ts(p.merged) if p.merged else None,
            "labels": [
                {"id": i, "name": n, "color": "ededed", "default": False} for i, n in enumerate(p.labels)
            ],
        }

    def _rest_review(self, repo: str, number: int, r: Review) -> dict[str, Any]:
        return {
            **self._review_template,
            "id": r.id,
            "user": self._user(r.author),
            "state": r.state,
            "submitted_at": ts(r.submitted),
            "pull_request_url": f"https://api.github.com/repos/{repo}/pulls/{number}",
        }

    def _rest_event(self, repo: str, e: RequestEvent) -> dict[str, Any]:
        item = {**(self._removed if e.removed else self._requested)}
        event_id = 7_000_000_000 + id(e) % 1_000_000_000
        item.update(
            id=event_id,
            url=f"https://api.github.com/repos/{repo}/issues/events/{event_id}",
            created_at=ts(e.at),
            actor=self._user(e.actor),
            review_requester=self._user(e.actor),
        )
        if e.reviewer.startswith("team:"):
            item.pop("requested_reviewer", None)
            item["requested_team"] = {**self._team_template, "slug": e.reviewer.removeprefix("team:")}
        else:
            item["requested_reviewer"] = self._user(e.reviewer)
        self._events[event_id] = item  # a client completing the object reads it again
        return item

    def _rest_commit(self, c: Commit) -> dict[str, Any]:
        template = self._commit_template
        git = template["commit"]
        return {
            **template,
            "sha": c.sha,
            "author": self._user(c.login),
            "commit": {
                **git,
                "author": {**git["author"], "email": c.email, "date": ts(c.authored)},
                "committer": {**git["committer"], "date": ts(c.committed)},
                "message": c.message,
            },
        }

    def _rest(self, path: str, query: dict[str, str]) -> Reply:
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        repo = self.org.repos.get(match.group(1)) if match else None
        if match is None or repo is None:
            return self._json(404, {"message": "Not Found"})
        name, rest = match.group(1), match.group(2) or ""
        per_page = min(int(query.get("per_page", 30)), 100)
        if rest == "":
            owner, short = name.split("/")
            return self._json(
                200,
                {
                    "id": 1,
                    "name": short,
                    "full_name": name,
                    "owner": self._user(owner),
                    "url": f"https://api.github.com/repos/{name}",
                    "html_url": f"https://github.com/{name}",
                    "default_branch": "main",
                },
            )
        if rest == "/pulls":
            assert (query.get("state"), query.get("sort"), query.get("direction")) == (
                "all",
                "updated",
                "desc",
            )
            pulls = sorted(repo.pulls.values(), key=lambda p: (p.updated, p.number), reverse=True)
            return self._page(path, query, pulls, per_page, lambda p: self._rest_pull(name, p))
        if rest == "/commits":
            floor = _since(query.get("since"))
            commits = sorted(repo.branch, key=lambda c: c.committed, reverse=True)
            chosen = [c for c in commits if floor is None or c.committed >= floor]
            return self._page(path, query, chosen, per_page, self._rest_commit)
        if single := re.fullmatch(r"/issues/events/(\d+)", rest):
            event = self._events.get(int(single.group(1)))
            return self._json(200, event) if event else self._json(404, {"message": "Not Found"})
        detail = re.fullmatch(r"/(pulls|issues)/(\d+)/(reviews|events|commits)", rest)
        if detail is None:
            return self._json(404, {"message": "Not Found"})
        pull = repo.pulls[int(detail.group(2))]
        kind = detail.group(3)
        if kind == "reviews":
            return self._page(
                path, query, pull.reviews, per_page, lambda r: self._rest_review(name, pull.number, r)
            )
        if kind == "events":
            events = sorted(pull.events, key=lambda e: e.at)
            return self._page(path, query, events, per_page, lambda e: self._rest_event(name, e))
        return self._page(path, query, pull.commits[:REST_COMMITS_CAP], per_page, self._rest_commit)

    def _page(
        self, path: str, query: dict[str, str], items: list[Any], per_page: int, render: Callable[[Any], Any]
    ) -> Reply:
        chunk, headers = rest_page(f"https://api.github.com{path}", query, items, per_page)
        return self._json(200, [render(item) for item in chunk], headers)


# -- Jira Cloud -------------------------------------------------------------------------------------


class FakeJira:
    """Jira Cloud over the org's issues; counts requests in `meter`."""

    def __init__(self, org: SyncOrg, meter: Meter | None = None) -> None:
        self.org = org
        self.meter = meter or Meter()
        self._by_project: dict[str, list[dict[str, Any]]] = {}
        self._sorted: dict[str, list[tuple[datetime, str]]] = {}

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(
            responses.GET, re.compile(re.escape(JIRA_URL) + r"/.*"), callback=self.meter.timed(self._answer)
        )

    def refresh(self) -> None:
        """Re-index after the org's issues changed."""
        self._sorted.clear()

    @staticmethod
    def _json(status: int, body: Any) -> Reply:
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    def _answer(self, request: Any) -> Reply:
        parts = urlsplit(request.url)
        path = parts.path
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.meter.by_endpoint[_endpoint("GET", path)] += 1
        if not request.headers.get("Authorization"):
            return self._json(401, {"errorMessages": ["unauthorised"]})
        if path == "/rest/api/3/search/jql":
            return self._search(params)
        if m := re.fullmatch(r"/rest/api/3/issue/([A-Z0-9]+-\d+)/changelog", path):
            return self._subpage(m.group(1), params, "changelog")
        if m := re.fullmatch(r"/rest/api/3/issue/([A-Z0-9]+-\d+)/comment", path):
            return self._subpage(m.group(1), params, "comment")
        return self._json(404, {"errorMessages": ["Not found"], "errors": {}})

    def _index(self, project: str) -> list[tuple[datetime, str]]:
        found = self._sorted.get(project)
        if found is None:
            found = sorted(
                (datetime.fromisoformat(i["fields"]["updated"]), key)
                for key, i in self.org.issues.items()
                if i["fields"]["project"]["key"] == project
            )
            self._sorted[project] = found
        return found

    def _search(self, params: dict[str, str]) -> Reply:
        jql = params["jql"]
        project = re.search(r'project = "([^"]+)"', jql)
        assert project is not None and jql.endswith("ORDER BY updated ASC"), jql
        since = re.search(r"updated >= (\d+)", jql)
        floor = datetime.fromtimestamp(int(since.group(1)) / 1000, UTC) if since else None
        found = [key for updated, key in self._index(project.group(1)) if floor is None or updated >= floor]
        fields = params["fields"].split(",")
        size = min(int(params.get("maxResults", 50)), 100)
        token = params.get("nextPageToken")
        start = int(base64.b64decode(token)) if token else 0
        chunk = found[start : start + size]
        page: dict[str, Any] = {"issues": [self._rendered(self.org.issues[k], fields) for k in chunk]}
        if start + size < len(found):
            page["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
        page["isLast"] = start + size >= len(found)
        return self._json(200, page)

    @staticmethod
    def _rendered(issue: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        result = {k: issue[k] for k in ("expand", "id", "self", "key")}
        result["fields"] = {name: issue["fields"].get(name) for name in fields}
        histories = issue["changelog"]["histories"]
        shown = histories[-EMBEDDED_CHANGELOG:]
        result["changelog"] = {
            "startAt": 0,
            "maxResults": len(shown),
            "total": len(histories),
            "histories": shown,
        }
        block = issue["fields"]["comment"]
        comments = block["comments"][:EMBEDDED_COMMENTS]
        result["fields"]["comment"] = {
            **block,
            "comments": comments,
            "maxResults": len(comments),
            "total": len(block["comments"]),
        }
        return result

    def _subpage(self, key: str, params: dict[str, str], kind: str) -> Reply:
        issue = self.org.issues[key]
        entries = (
            issue["changelog"]["histories"] if kind == "changelog" else issue["fields"]["comment"]["comments"]
        )
        start, size = int(params.get("startAt", 0)), min(int(params.get("maxResults", 100)), 100)
        values = entries[start : start + size]
        last = start + size >= len(entries)
        body: dict[str, Any] = {"startAt": start, "maxResults": size, "total": len(entries)}
        if kind == "changelog":
            body.update(values=values, isLast=last)
        else:
            body["comments"] = values
        return self._json(200, body)
