"""GraphQL text for the GitHub connector; every query here is validated against GitHub's published
schema by tests/connectors/test_github_queries.py.

Docs: https://docs.github.com/en/graphql/reference/objects#pullrequest
"""

from __future__ import annotations

# Nested connections are asked for in pages of 100 (GitHub's maximum for `first`); a PR with
# more is completed by the PULL_REQUEST_CONNECTION_PAGE queries below.
NESTED_PAGE_SIZE = 100

_PAGE_INFO = "pageInfo { hasNextPage endCursor }"

_ACTOR = "{ __typename login }"

_REVIEWS_SELECTION = f"""{_PAGE_INFO}
      nodes {{ fullDatabaseId state submittedAt author {_ACTOR} }}"""

_REQUESTED_REVIEWER = "{ __typename ... on Actor { login } ... on Team { slug } }"

_REQUEST_EVENT = f"{{ createdAt actor {_ACTOR} requestedReviewer {_REQUESTED_REVIEWER} }}"

_TIMELINE_SELECTION = f"""{_PAGE_INFO}
      nodes {{
        __typename
        ... on ReviewRequestedEvent {_REQUEST_EVENT}
        ... on ReviewRequestRemovedEvent {_REQUEST_EVENT}
      }}"""

_COMMIT_FIELDS = (
    "oid authoredDate committedDate messageHeadline additions deletions author { email user { login } }"
)

_COMMITS_SELECTION = f"""{_PAGE_INFO}
      nodes {{ commit {{ {_COMMIT_FIELDS} }} }}"""

_LABELS_SELECTION = f"""{_PAGE_INFO}
      nodes {{ name }}"""

_REVIEW_REQUEST_TYPES = "itemTypes: [REVIEW_REQUESTED_EVENT, REVIEW_REQUEST_REMOVED_EVENT]"

# One page of pull requests, newest update first, each with its first page of reviews, review
# request events, commits and labels. The first page also carries the first page of the default
# branch's history since the commit cursor, so a sync with nothing new is a single request.
PULL_REQUESTS_PAGE = f"""
query PullRequestsPage(
  $owner: String!, $name: String!, $pageSize: Int!, $after: String,
  $withHistory: Boolean!, $since: GitTimestamp
) {{
  repository(owner: $owner, name: $name) {{
    defaultBranchRef @include(if: $withHistory) {{
      name
      target {{
        __typename
        ... on Commit {{
          history(first: {NESTED_PAGE_SIZE}, since: $since) {{
            {_PAGE_INFO}
            nodes {{ {_COMMIT_FIELDS} }}
          }}
        }}
      }}
    }}
    pullRequests(first: $pageSize, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      {_PAGE_INFO}
      nodes {{
        number title url state isDraft createdAt updatedAt mergedAt closedAt additions deletions
        author {_ACTOR}
        labels(first: {NESTED_PAGE_SIZE}) {{ {_LABELS_SELECTION} }}
        reviews(first: {NESTED_PAGE_SIZE}) {{ {_REVIEWS_SELECTION} }}
        timelineItems(first: {NESTED_PAGE_SIZE}, {_REVIEW_REQUEST_TYPES}) {{ {_TIMELINE_SELECTION} }}
        commits(first: {NESTED_PAGE_SIZE}) {{ {_COMMITS_SELECTION} }}
      }}
    }}
  }}
}}
"""

# Further pages of the default branch's history.
BRANCH_HISTORY_PAGE = f"""
query BranchHistoryPage($owner: String!, $name: String!, $since: GitTimestamp, $after: String) {{
  repository(owner: $owner, name: $name) {{
    defaultBranchRef {{
      target {{
        __typename
        ... on Commit {{
          history(first: {NESTED_PAGE_SIZE}, since: $since, after: $after) {{
            {_PAGE_INFO}
            nodes {{ {_COMMIT_FIELDS} }}
          }}
        }}
      }}
    }}
  }}
}}
"""


def _connection_page(connection: str, arguments: str, selection: str) -> str:
    return f"""
query PullRequest{connection[0].upper() + connection[1:]}Page(
  $owner: String!, $name: String!, $number: Int!, $after: String
) {{
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{
      {connection}(first: {NESTED_PAGE_SIZE}, after: $after{arguments}) {{ {selection} }}
    }}
  }}
}}
"""


# The next page of one nested connection of one pull request, by connection name.
PULL_REQUEST_CONNECTION_PAGE: dict[str, str] = {
    "labels": _connection_page("labels", "", _LABELS_SELECTION),
    "reviews": _connection_page("reviews", "", _REVIEWS_SELECTION),
    "timelineItems": _connection_page("timelineItems", ", " + _REVIEW_REQUEST_TYPES, _TIMELINE_SELECTION),
    "commits": _connection_page("commits", "", _COMMITS_SELECTION),
}

# The probe: per repository, the newest pull requests by update and the default branch's commits
# since its commit cursor — enough to tell, for many repos in one request, that a full sync would
# find nothing new. Both lists are short; a repo with more in its window is simply synced.
PROBE_DEPTH = 20
PROBE_BATCH_SIZE = 25  # repositories per probe request, each under its own alias


def probe_alias(index: int) -> str:
    return f"repo{index}"


def repositories_probe(count: int) -> str:
    """The probe query for `count` repositories, with variables `owner<i>`, `name<i>`, `since<i>`."""
    variables = ", ".join(
        f"$owner{i}: String!, $name{i}: String!, $since{i}: GitTimestamp" for i in range(count)
    )
    selections = "".join(
        f"""
  {probe_alias(i)}: repository(owner: $owner{i}, name: $name{i}) {{
    pullRequests(first: {PROBE_DEPTH}, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage }}
      nodes {{ number updatedAt }}
    }}
    defaultBranchRef {{
      target {{
        __typename
        ... on Commit {{
          history(first: {PROBE_DEPTH}, since: $since{i}) {{ pageInfo {{ hasNextPage }} nodes {{ oid }} }}
        }}
      }}
    }}
  }}"""
        for i in range(count)
    )
    return f"query RepositoriesProbe({variables}) {{{selections}\n}}\n"


ALL_QUERIES: dict[str, str] = {
    "PullRequestsPage": PULL_REQUESTS_PAGE,
    "BranchHistoryPage": BRANCH_HISTORY_PAGE,
    **{f"PullRequest:{name}": text for name, text in PULL_REQUEST_CONNECTION_PAGE.items()},
    "RepositoriesProbe:1": repositories_probe(1),
    f"RepositoriesProbe:{PROBE_BATCH_SIZE}": repositories_probe(PROBE_BATCH_SIZE),
}
