"""The shape of every API page the connectors read, as pydantic models.

A 200 answer is data only when it has the shape of the page that was asked for: an SSO "please
log in" object, a proxy's JSON or `{"data": null}` would otherwise read as an empty last page, and
the cursor would move past data that was never fetched. Each model names only the fields the
connectors rely on (unknown fields are allowed: the APIs add fields); `check` validates a payload
and returns it unchanged, or raises `UnexpectedAnswer` naming the first problem.

Shapes from the API docs and the recorded pages under tests/fixtures/:
- Jira Cloud `GET /rest/api/3/search/jql`: `issues`, `isLast`, `nextPageToken` (no total/startAt).
- Jira Server `GET /rest/api/2/search`: `startAt`, `maxResults`, `total`, `issues`.
- Jira changelog page `values` (Cloud), comment page `comments`, with `startAt`/`total`.
- GitHub REST list endpoints: a JSON array of objects; GraphQL: `data` an object.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, TypeAdapter, ValidationError

from connectors.errors import UnexpectedAnswer


class Shape(BaseModel):
    """A page or item of an API answer: the fields we read must be there, others may be."""

    model_config = ConfigDict(extra="allow")


# -- Jira ------------------------------------------------------------------------------------------


class JiraIssue(Shape):
    key: StrictStr
    fields: dict[str, Any]


class JiraCloudSearchPage(Shape):
    issues: list[JiraIssue]
    isLast: StrictBool | None = None
    nextPageToken: StrictStr | None = None


class JiraServerSearchPage(Shape):
    issues: list[JiraIssue]
    startAt: StrictInt
    total: StrictInt


class JiraChangelogPage(Shape):
    values: list[dict[str, Any]]
    startAt: StrictInt = 0
    total: StrictInt | None = None
    isLast: StrictBool | None = None


class JiraCommentPage(Shape):
    comments: list[dict[str, Any]]
    startAt: StrictInt = 0
    total: StrictInt | None = None


class JiraServerChangelog(Shape):
    histories: list[dict[str, Any]]


class JiraServerIssueChangelog(Shape):
    """`GET /rest/api/2/issue/{key}?expand=changelog` on Server: the whole history."""

    changelog: JiraServerChangelog


# -- GitHub ----------------------------------------------------------------------------------------


class GithubRestItem(Shape):
    """One object of a REST list (a pull request, review, event or commit)."""


class GithubPull(Shape):
    number: StrictInt
    updated_at: StrictStr | None


class GithubCommit(Shape):
    sha: StrictStr


class GraphqlAnswer(Shape):
    """A GraphQL answer: `data` an object, unless GitHub reports `errors` (handled beside this)."""

    data: dict[str, Any]


class PageInfo(Shape):
    hasNextPage: StrictBool
    endCursor: StrictStr | None = None


class PullNode(Shape):
    number: StrictInt
    updatedAt: StrictStr | None


class PullConnection(Shape):
    nodes: list[PullNode]
    pageInfo: PageInfo


class Connection(Shape):
    """A nested connection of a pull request or branch history: nodes and where the next page is."""

    nodes: list[dict[str, Any] | None]
    pageInfo: PageInfo


class BranchTarget(Shape):
    history: Connection | None = None


class BranchRef(Shape):
    target: BranchTarget | None = None


class RepositoryPage(Shape):
    """`repository` of the PullRequestsPage query."""

    pullRequests: PullConnection
    defaultBranchRef: BranchRef | None = None


class ProbedRepository(Shape):
    """One aliased repository of the probe query."""

    pullRequests: PullConnection
    defaultBranchRef: BranchRef | None = None


S = TypeVar("S", bound=BaseModel)

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def check(payload: Any, shape: type[S], what: str) -> Any:
    """`payload` unchanged when it has `shape`; otherwise UnexpectedAnswer naming `what`
    (e.g. "Jira at https://acme.atlassian.net answered rest/api/3/search/jql")."""
    try:
        shape.model_validate(payload)
    except ValidationError as error:
        raise UnexpectedAnswer(f"{what} with a page of an unexpected shape ({_first(error)})") from None
    return payload


def check_list(payload: Any, item: type[S], what: str) -> list[Any]:
    """A JSON array whose every element has the `item` shape, unchanged; else UnexpectedAnswer."""
    adapter = _ADAPTERS.get(item)
    if adapter is None:
        adapter = _ADAPTERS[item] = TypeAdapter(list[item])  # type: ignore[valid-type]
    try:
        adapter.validate_python(payload)
    except ValidationError as error:
        raise UnexpectedAnswer(f"{what} with a page of an unexpected shape ({_first(error)})") from None
    return payload  # type: ignore[no-any-return]


def _first(error: ValidationError) -> str:
    """The first problem in a few words, with its place (`issues: field required`); never the
    offending value, which is server text."""
    problems = error.errors(include_url=False, include_input=False, include_context=False)
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "the answer"
    more = f"; {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"{where}: {first['msg'].lower()}{more}"
