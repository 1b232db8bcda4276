"""A fake GitHub server for the connector tests, answering through `responses`.

REST answers are the recorded payloads in tests/fixtures/github/ with their fields set from the
test's repo model, paged with `Link` headers like GitHub. GraphQL answers are computed by
executing the query the connector sent against GitHub's published schema (graphql-core), over
resolvers that read the same model — so every GraphQL answer follows the schema exactly.

The GraphQL node builders (`repository_node` and below) read any model with the fields of the
`*Model` protocols; bench/fakes.py serves its synthetic organisation through them.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import responses
from graphql import GraphQLSchema, build_client_schema, graphql_sync

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github"
TOKEN = "ghp_test_token_not_real_0123456789"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


@cache
def github_schema() -> GraphQLSchema:
    """GitHub's published schema (`@octokit/graphql-schema` introspection JSON)."""
    schema = build_client_schema(
        json.loads(gzip.decompress((FIXTURES / "graphql-schema.json.gz").read_bytes()))
    )
    # The published schema marks some implementations deprecated where their interface field is
    # not (e.g. PullRequestReview.databaseId vs Reactable.databaseId); graphql-core's schema
    # validator rejects that, though no query is affected. Mark the schema as checked.
    schema._validation_errors = []
    return schema


def ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the repo model --------------------------------------------------------------------------------


@dataclass
class Commit:
    sha: str
    login: str | None  # linked GitHub account (REST form, bots end in [bot]); None = unlinked email
    email: str
    authored: datetime
    committed: datetime
    message: str = "Change things\n\nMore words."
    additions: int = 3
    deletions: int = 1


@dataclass
class Review:
    id: int
    author: str | None  # None = deleted account
    state: str
    submitted: datetime | None


@dataclass
class RequestEvent:
    removed: bool
    at: datetime
    actor: str | None
    reviewer: str | None  # login, "team:<slug>", or None = deleted account


@dataclass
class Pull:
    number: int
    author: str | None
    created: datetime
    updated: datetime
    state: str = "OPEN"  # OPEN, CLOSED, MERGED (GraphQL spelling)
    draft: bool = False
    merged: datetime | None = None
    closed: datetime | None = None
    title: str = "A change"
    labels: list[str] = field(default_factory=list)
    additions: int = 10
    deletions: int = 2
    reviews: list[Review] = field(default_factory=list)
    events: list[RequestEvent] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)


@dataclass
class Repo:
    pulls: list[Pull] = field(default_factory=list)
    branch: list[Commit] | None = field(default_factory=list)  # None = empty repository

    def pull(self, number: int) -> Pull:
        return next(p for p in self.pulls if p.number == number)


def is_bot(login: str) -> bool:
    return login.endswith("[bot]")


# -- GraphQL -----------------------------------------------------------------------------------


class CommitModel(Protocol):
    @property
    def sha(self) -> str: ...
    @property
    def login(self) -> str | None: ...
    @property
    def email(self) -> str: ...
    @property
    def authored(self) -> datetime: ...
    @property
    def committed(self) -> datetime: ...
    @property
    def message(self) -> str: ...
    @property
    def additions(self) -> int: ...
    @property
    def deletions(self) -> int: ...


class ReviewModel(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def author(self) -> str | None: ...
    @property
    def state(self) -> str: ...
    @property
    def submitted(self) -> datetime | None: ...


class RequestEventModel(Protocol):
    @property
    def removed(self) -> bool: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str | None: ...
    @property
    def reviewer(self) -> str | None: ...


class PullModel(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def author(self) -> str | None: ...
    @property
    def created(self) -> datetime: ...
    @property
    def updated(self) -> datetime: ...
    @property
    def state(self) -> str: ...
    @property
    def draft(self) -> bool: ...
    @property
    def merged(self) -> datetime | None: ...
    @property
    def closed(self) -> datetime | None: ...
    @property
    def title(self) -> str: ...
    @property
    def labels(self) -> Sequence[str]: ...
    @property
    def additions(self) -> int: ...
    @property
    def deletions(self) -> int: ...
    @property
    def reviews(self) -> Sequence[ReviewModel]: ...
    @property
    def events(self) -> Sequence[RequestEventModel]: ...
    @property
    def commits(self) -> Sequence[CommitModel]: ...


def connection(
    items: list[Any], first: int | None = None, after: str | None = None, **_: Any
) -> dict[str, Any]:
    start = int(after[1:]) + 1 if after else 0
    page = items[start : start + (first or 100)]
    end = start + len(page)
    return {
        "totalCount": len(items),
        "nodes": page,
        "pageInfo": {"hasNextPage": end < len(items), "endCursor": f"c{end - 1}" if page else after},
    }


def actor(login: str | None) -> dict[str, Any] | None:
    if login is None:
        return None
    if is_bot(login):
        return {"__typename": "Bot", "login": login.removesuffix("[bot]")}
    return {"__typename": "User", "login": login}


def commit_node(c: CommitModel) -> dict[str, Any]:
    return {
        "__typename": "Commit",
        "oid": c.sha,
        "authoredDate": ts(c.authored),
        "committedDate": ts(c.committed),
        "messageHeadline": c.message.splitlines()[0],
        "additions": c.additions,
        "deletions": c.deletions,
        # GitActor.user is a User: a bot's commits have no user, only the noreply email.
        "author": {"email": c.email, "user": {"login": c.login} if c.login and not is_bot(c.login) else None},
    }


_EVENT_TYPES = {
    "REVIEW_REQUESTED_EVENT": "ReviewRequestedEvent",
    "REVIEW_REQUEST_REMOVED_EVENT": "ReviewRequestRemovedEvent",
}


def event_node(e: RequestEventModel) -> dict[str, Any]:
    if e.reviewer is None:
        reviewer = None
    elif e.reviewer.startswith("team:"):
        reviewer = {"__typename": "Team", "slug": e.reviewer.removeprefix("team:")}
    else:
        reviewer = actor(e.reviewer)
    return {
        "__typename": "ReviewRequestRemovedEvent" if e.removed else "ReviewRequestedEvent",
        "createdAt": ts(e.at),
        "actor": actor(e.actor),
        "requestedReviewer": reviewer,
    }


def pull_node(repo: str, p: PullModel) -> dict[str, Any]:
    def timeline(itemTypes: list[str] | None = None, **page: Any) -> dict[str, Any]:
        wanted = {_EVENT_TYPES[t] for t in itemTypes or []}
        nodes = [event_node(e) for e in sorted(p.events, key=lambda e: e.at)]
        return connection([n for n in nodes if not wanted or n["__typename"] in wanted], **page)

    return {
        "__typename": "PullRequest",
        "number": p.number,
        "title": p.title,
        "url": f"https://github.com/{repo}/pull/{p.number}",
        "state": p.state,
        "isDraft": p.draft,
        "createdAt": ts(p.created),
        "updatedAt": ts(p.updated),
        "mergedAt": ts(p.merged) if p.merged else None,
        "closedAt": ts(p.closed) if p.closed else None,
        "additions": p.additions,
        "deletions": p.deletions,
        "author": actor(p.author),
        "labels": lambda **page: connection([{"name": name} for name in p.labels], **page),
        "reviews": lambda **page: connection(
            [
                {
                    "fullDatabaseId": str(r.id),
                    "state": "PENDING" if r.submitted is None else r.state,
                    "submittedAt": ts(r.submitted) if r.submitted else None,
                    "author": actor(r.author),
                }
                for r in p.reviews
            ],
            **page,
        ),
        "timelineItems": timeline,
        "commits": lambda **page: connection([{"commit": commit_node(c)} for c in p.commits], **page),
    }


def repository_node(
    name: str,
    pulls: Sequence[PullModel],
    pull: Callable[[int], PullModel],
    branch: Sequence[CommitModel] | None,
) -> dict[str, Any]:
    """A `Repository` over its pull requests, one looked up by number, and its default branch's
    commits (None: an empty repository)."""

    def history(since: str | None = None, **page: Any) -> dict[str, Any]:
        assert branch is not None
        floor = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        commits = sorted(branch, key=lambda c: c.committed, reverse=True)
        return connection([commit_node(c) for c in commits if floor is None or c.committed >= floor], **page)

    def pull_requests(orderBy: dict[str, str] | None = None, **page: Any) -> dict[str, Any]:
        assert orderBy == {"field": "UPDATED_AT", "direction": "DESC"}
        newest_first = sorted(pulls, key=lambda p: (p.updated, p.number), reverse=True)
        return connection([pull_node(name, p) for p in newest_first], **page)

    return {
        "defaultBranchRef": None
        if branch is None
        else {"name": "main", "target": {"__typename": "Commit", "history": history}},
        "pullRequests": pull_requests,
        "pullRequest": lambda number: pull_node(name, pull(number)),
    }


def resolve(source: Any, info: Any, **args: Any) -> Any:
    value = source.get(info.field_name) if isinstance(source, dict) else None
    return value(**args) if callable(value) else value


# -- REST ----------------------------------------------------------------------------------------


def rest_page(
    url: str, query: dict[str, str], items: Sequence[Any], per_page: int
) -> tuple[list[Any], dict[str, str]]:
    """The items of the query's `page` (from 1) of a list at `url`, and the `Link` header (next,
    last) GitHub sends with it."""
    page = int(query.get("page", 1))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    last = max(1, -(-len(items) // per_page))
    headers: dict[str, str] = {}
    if page < last:
        following = urlencode({**query, "page": page + 1})
        final = urlencode({**query, "page": last})
        headers["Link"] = f'<{url}?{following}>; rel="next", <{url}?{final}>; rel="last"'
    return chunk, headers


def _rest_user(login: str | None) -> dict[str, Any] | None:
    if login is None:
        return None
    user = copy.deepcopy(load("pull_538_reviews.json")[0]["user"])
    user.update(
        login=login, type="Bot" if is_bot(login) else "User", url=f"https://api.github.com/users/{login}"
    )
    return user


def _rest_pull(repo: str, p: Pull) -> dict[str, Any]:
    item = copy.deepcopy(load("pulls_state_all_items_subset.json")[0])
    item.update(
        number=p.number,
        title=p.title,
        url=f"https://api.github.com/repos/{repo}/pulls/{p.number}",
        html_url=f"https://github.com/{repo}/pull/{p.number}",
        state="open" if p.state == "OPEN" else "closed",
        draft=p.draft,
        user=_rest_user(p.author),
        created_at=ts(p.created),
        updated_at=ts(p.updated),
        closed_at=ts(p.closed) if p.closed else None,
        merged_at=ts(p.merged) if p.merged else None,
        labels=[
            {"id": i, "name": name, "color": "ededed", "default": False} for i, name in enumerate(p.labels)
        ],
    )
    return item


def _rest_review(r: Review) -> dict[str, Any]:
    item = copy.deepcopy(load("pull_538_reviews.json")[0])
    item.update(id=r.id, user=_rest_user(r.author), state="PENDING" if r.submitted is None else r.state)
    if r.submitted is None:
        item.pop("submitted_at", None)
    else:
        item["submitted_at"] = ts(r.submitted)
    return item


def _rest_event(e: RequestEvent) -> dict[str, Any]:
    name = "issue_event_review_request_removed.json" if e.removed else "issue_event_review_requested.json"
    item = copy.deepcopy(load(name))
    item.update(created_at=ts(e.at), actor=_rest_user(e.actor), review_requester=_rest_user(e.actor))
    if e.reviewer is not None and e.reviewer.startswith("team:"):
        team = copy.deepcopy(load("pull_31_requested_reviewers_team.json")["teams"][0])
        team["slug"] = e.reviewer.removeprefix("team:")
        item.pop("requested_reviewer", None)
        item["requested_team"] = team
    else:
        item["requested_reviewer"] = _rest_user(e.reviewer)
    return item


def _rest_commit(c: Commit) -> dict[str, Any]:
    item = copy.deepcopy(load("pull_31_commits.json")[0])
    item["sha"] = c.sha
    item["author"] = _rest_user(c.login)
    item["commit"]["author"].update(email=c.email, date=ts(c.authored))
    item["commit"]["committer"].update(date=ts(c.committed))
    item["commit"]["message"] = c.message
    return item


def _rest_filler_event(at: datetime) -> dict[str, Any]:
    """A non-review issue event (labeled), as on a real PR's event list."""
    item = copy.deepcopy(load("issue_event_review_requested.json"))
    for key in ("review_requester", "requested_reviewer"):
        item.pop(key, None)
    item.update(event="labeled", created_at=ts(at), label={"name": "x", "color": "ededed"})
    return item


# -- the server ----------------------------------------------------------------------------------


Reply = tuple[int, dict[str, str], str]


@dataclass
class Fault:
    match: str  # substring of "METHOD path" (GraphQL: "POST graphql <OperationName>")
    reply: Reply | BaseException
    times: int = 1


class FakeGithub:
    """Serves repos from the model; records every request; injects faults on demand."""

    def __init__(
        self,
        base_url: str = "https://api.github.com",
        *,
        graphql: bool = True,
        rate_headers: bool = True,
        reset_at: datetime = NOW + timedelta(minutes=30),
        remaining: int = 4900,
    ) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or ""
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.graphql_path = (
            self.prefix.removesuffix("/v3") if self.prefix.endswith("/v3") else self.prefix
        ) + "/graphql"
        self.base_url = base_url.rstrip("/")
        self.graphql = graphql
        self.rate_headers = rate_headers
        self.reset_at = reset_at
        self.remaining = remaining
        self.repos: dict[str, Repo] = {}
        self.log: list[str] = []
        self.faults: list[Fault] = []
        self.raise_at: dict[int, BaseException] = {}

    # setup
    def install(self, rsps: responses.RequestsMock) -> None:
        port = f":{self.port}" if self.port else "(:443)?"
        pattern = re.compile(rf"https://{re.escape(self.host)}{port}/.*")
        for method in ("GET", "POST"):
            rsps.add_callback(method, pattern, callback=self._answer)

    def fault(self, match: str, reply: Reply | BaseException, times: int = 1) -> None:
        self.faults.append(Fault(match, reply, times))

    def count(self, match: str = "") -> int:
        return sum(1 for line in self.log if match in line)

    # answering
    def _answer(self, request: Any) -> Reply:
        parts = urlsplit(request.url)
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = json.loads(request.body) if request.body else {}
        operation = ""
        if request.method == "POST":
            match = re.search(r"query\s+(\w+)", body.get("query", ""))
            operation = match.group(1) if match else ""
        line = (
            f"{request.method} {path}"
            + (f" {operation}" if operation else "")
            + (f"?{parts.query}" if parts.query else "")
        )
        self.log.append(line)
        number = len(self.log)
        if number in self.raise_at:
            raise self.raise_at[number]
        for fault in self.faults:
            if fault.times > 0 and fault.match in line:
                fault.times -= 1
                if isinstance(fault.reply, BaseException):
                    raise fault.reply
                return fault.reply
        if TOKEN not in request.headers.get("Authorization", ""):
            return self._json(
                401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
            )
        if request.method == "POST" and path == self.graphql_path:
            if not self.graphql:
                return self._json(
                    404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
                )
            return self._graphql(body)
        return self._rest(path.removeprefix(self.prefix), query)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.rate_headers:
            headers.update(
                {
                    "X-RateLimit-Limit": "5000",
                    "X-RateLimit-Remaining": str(self.remaining),
                    "X-RateLimit-Reset": str(int(self.reset_at.timestamp())),
                    "X-RateLimit-Used": "100",
                }
            )
        headers.update(extra or {})
        return headers

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return status, self._headers(headers), json.dumps(payload)

    def _graphql(self, body: dict[str, Any]) -> Reply:
        variables = body.get("variables") or {}
        if "owner" not in variables:
            return self._graphql_by_arguments(body)
        owner, name = variables.get("owner"), variables.get("name")
        repo = self.repos.get(f"{owner}/{name}")
        if repo is None:
            return self._json(
                200,
                {
                    "data": {"repository": None},
                    "errors": [
                        {
                            "type": "NOT_FOUND",
                            "path": ["repository"],
                            "locations": [{"line": 5, "column": 3}],
                            "message": f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                        }
                    ],
                },
            )
        root = {
            "repository": lambda owner, name, **_: repository_node(
                f"{owner}/{name}", repo.pulls, repo.pull, repo.branch
            )
        }
        result = graphql_sync(
            github_schema(),
            body["query"],
            root_value=root,
            variable_values=variables,
            field_resolver=resolve,
        )
        assert not result.errors, result.errors
        return self._json(200, {"data": result.data}, {"X-RateLimit-Resource": "graphql"})

    def _graphql_by_arguments(self, body: dict[str, Any]) -> Reply:
        """A query naming its repositories in field arguments (several under aliases): each is
        resolved on its own; one that does not exist is null, with a NOT_FOUND error at its path."""

        def repository(owner: str, name: str, **_: Any) -> dict[str, Any]:
            repo = self.repos.get(f"{owner}/{name}")
            if repo is None:
                raise LookupError(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
            return repository_node(f"{owner}/{name}", repo.pulls, repo.pull, repo.branch)

        result = graphql_sync(
            github_schema(),
            body["query"],
            root_value={"repository": repository},
            variable_values=body.get("variables") or {},
            field_resolver=resolve,
        )
        errors = [
            {"type": "NOT_FOUND", "path": error.path, "message": error.message}
            for error in result.errors or []
        ]
        assert all(isinstance(e.original_error, LookupError) for e in result.errors or []), result.errors
        payload: dict[str, Any] = {"data": result.data}
        if errors:
            payload["errors"] = errors
        return self._json(200, payload, {"X-RateLimit-Resource": "graphql"})

    def _rest(self, path: str, query: dict[str, str]) -> Reply:
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        repo = self.repos.get(match.group(1)) if match else None
        if match is None or repo is None:
            return self._json(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            )
        name, rest = match.group(1), match.group(2) or ""
        per_page = int(query.get("per_page", 30))
        if rest == "/pulls":
            assert (query.get("state"), query.get("sort"), query.get("direction")) == (
                "all",
                "updated",
                "desc",
            )
            pulls = sorted(repo.pulls, key=lambda p: (p.updated, p.number), reverse=True)
            return self._page(path, query, [_rest_pull(name, p) for p in pulls], per_page)
        if rest == "/commits":
            if repo.branch is None:
                return self._json(
                    409,
                    {
                        "message": "Git Repository is empty.",
                        "documentation_url": "https://docs.github.com/rest",
                    },
                )
            since = (
                datetime.fromisoformat(query["since"].replace("Z", "+00:00")) if "since" in query else None
            )
            commits = sorted(repo.branch, key=lambda c: c.committed, reverse=True)
            items = [_rest_commit(c) for c in commits if since is None or c.committed >= since]
            return self._page(path, query, items, per_page)
        detail = re.fullmatch(r"/(pulls|issues)/(\d+)/(reviews|events|commits)", rest)
        if detail is None:
            return self._json(404, {"message": "Not Found"})
        pull = repo.pull(int(detail.group(2)))
        kind = detail.group(3)
        if kind == "reviews":
            items = [_rest_review(r) for r in pull.reviews]
        elif kind == "events":
            items = [_rest_filler_event(pull.created)]
            items += [_rest_event(e) for e in sorted(pull.events, key=lambda e: e.at)]
        else:
            items = [_rest_commit(c) for c in pull.commits][:250]  # GitHub's cap on this endpoint
        return self._page(path, query, items, per_page)

    def _page(self, path: str, query: dict[str, str], items: list[Any], per_page: int) -> Reply:
        base = f"https://{self.host}{f':{self.port}' if self.port else ''}{self.prefix}{path}"
        chunk, headers = rest_page(base, query, items, per_page)
        return self._json(200, chunk, headers)


# -- scenarios -----------------------------------------------------------------------------------


def person_commit(sha: str, login: str | None, at: datetime, email: str | None = None) -> Commit:
    return Commit(sha, login, email or f"{login or 'someone'}@acme.example", at, at)


def standard_repo(prs: int = 7, *, now: datetime = NOW) -> Repo:
    """A repo with `prs` PRs updated one hour apart (newest first), each with a review, a request
    and two commits, plus three default-branch commits (one also in a PR)."""
    repo = Repo()
    for i in range(prs):
        number = 100 + i
        updated = now - timedelta(hours=1 + i)
        created = updated - timedelta(days=2)
        pull = Pull(number, "ana" if i % 2 else "giorgi", created, updated, labels=["feature"])
        pull.reviews.append(Review(9000 + i, "nino", "APPROVED", created + timedelta(hours=5)))
        pull.events.append(RequestEvent(False, created + timedelta(hours=1), pull.author, "nino"))
        pull.commits = [
            person_commit(f"{number:04d}a".ljust(40, "0"), pull.author, created),
            person_commit(f"{number:04d}b".ljust(40, "0"), pull.author, created + timedelta(hours=1)),
        ]
        repo.pulls.append(pull)
    repo.branch = [
        person_commit("b1".ljust(40, "0"), "nino", now - timedelta(days=1)),
        person_commit("b2".ljust(40, "0"), None, now - timedelta(days=2), "unlinked@acme.example"),
    ]
    if repo.pulls:
        repo.branch.append(repo.pulls[0].commits[0])
    return repo


def install(rsps: responses.RequestsMock, fake: FakeGithub) -> FakeGithub:
    fake.install(rsps)
    return fake


FaultReply = Callable[[], Reply]
