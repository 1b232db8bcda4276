"""What the GitHub and Jira syncs share."""

from __future__ import annotations

# Rows (all of a source's tables together) buffered before one upsert per table: each upsert
# rewrites the whole table file, so writing per page would cost a full rewrite per page.
FLUSH_ROWS = 20_000
