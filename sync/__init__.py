"""The sync engines: one GitHub repo or Jira project at a time, from the connectors into the store."""
