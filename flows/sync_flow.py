"""The `sync` flow: GitHub and Jira into the store, one task per repo and per Jira project.

Tasks resolve their own token from the config's reference, so no secret is ever a task
parameter (Prefect records and may hash parameters). Before the GitHub repo tasks, one probe
task asks GitHub about many repos at once; the repos it finds unchanged are recorded as synced
and get no task. If the probe fails, every repo is synced as without it. Only TransientError is
retried; a refused token, a missing repo, a permission or an exhausted rate limit fails that task
at once, and the other repos and projects carry on. The run then fails naming each repo/project
that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, wait
from prefect.states import State

from connectors.errors import SourceError, TransientError
from connectors.transport import BREAKERS
from core.config import Config, SecretError, load_config, resolve_secret
from core.errors import RunIncomplete
from core.secrets import install_log_scrubbing
from core.state import SyncState
from core.store import Store
from flows.runners import task_runner
from flows.source_health import SyncFailure
from sync.github import probe_github_repos, sync_github_repo
from sync.jira import sync_jira_project

SYNC_RETRIES = 2
SYNC_RETRY_DELAYS = [30.0, 120.0]  # seconds; the connectors already retried within the request


class SyncFailed(RunIncomplete):
    """One or more repos/projects failed; the message names each with its reason."""

    def __init__(self, failures: Sequence[SyncFailure | str]) -> None:
        self.failures = list(failures)
        lines = [str(f) for f in self.failures]
        super().__init__(f"sync failed for {len(lines)} source(s): " + "; ".join(lines))


def only_transient(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry a sync task only for a TransientError (5xx, timeouts) — never for 401/403/404."""
    error = state.data if isinstance(state.data, BaseException) else state.result(raise_on_failure=False)
    return isinstance(error, TransientError)


def _progress(service: str, name: str) -> Callable[..., None]:
    """A progress callback that writes to the run logger (items fetched, rate limit left)."""
    logger = get_run_logger()

    def report(message: str) -> None:
        text = str(message)
        logger.info("%s", text if text.startswith(f"{service} ") else f"{service} {name}: {text}")

    return report


def _since(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), tzinfo=UTC)


@task(
    name="sync-github-repo",
    retries=SYNC_RETRIES,
    retry_delay_seconds=SYNC_RETRY_DELAYS,
    retry_condition_fn=only_transient,
    cache_policy=NO_CACHE,
    task_run_name="github {repo}",
)
def sync_repo(config: Config, repo: str, since: datetime | None = None) -> str:
    """One GitHub repo into the store, incremental from its cursor (or from `since`)."""
    assert config.github is not None
    install_log_scrubbing()  # a Dask worker is another process, with handlers of its own
    token = resolve_secret(config.github.token)
    store = Store(config.store_path)
    progress = _progress("github", repo)
    result = sync_github_repo(config, repo, store, SyncState(store), token, since=since, progress=progress)
    return _finished("github", repo, result)


@task(name="probe-github-repos", cache_policy=NO_CACHE, task_run_name="github probe")
def probe_repos(config: Config, repos: list[str], since: datetime | None = None) -> list[str]:
    """The repos with nothing new since their last sync (already recorded as synced)."""
    assert config.github is not None
    token = resolve_secret(config.github.token)
    store = Store(config.store_path)
    result = probe_github_repos(
        config, repos, store, SyncState(store), token, since=since, progress=_progress("github", "probe")
    )
    if result.requests:
        get_run_logger().info(
            "github: %d of %d repos unchanged since their last sync (%d probe requests)%s",
            len(result.unchanged),
            len(repos),
            result.requests,
            f"; {result.note}" if result.note else "",
        )
    return list(result.unchanged)


@task(
    name="sync-jira-project",
    retries=SYNC_RETRIES,
    retry_delay_seconds=SYNC_RETRY_DELAYS,
    retry_condition_fn=only_transient,
    cache_policy=NO_CACHE,
    task_run_name="jira {project}",
)
def sync_project(config: Config, project: str, since: datetime | None = None) -> str:
    """One Jira project into the store, incremental from its cursor (or from `since`)."""
    assert config.jira is not None
    install_log_scrubbing()
    user = resolve_secret(config.jira.user) if config.jira.user else None
    token = resolve_secret(config.jira.token)
    store = Store(config.store_path)
    progress = _progress("jira", project)
    result = sync_jira_project(
        config, project, store, SyncState(store), user, token, since=since, progress=progress
    )
    return _finished("jira", project, result)


def _finished(service: str, name: str, result: Any) -> str:
    """Log a finished sync; a result that says it did not complete fails the task."""
    if getattr(result, "ok", True) is False:
        raise SourceError(f"{service} {name}: {getattr(result, 'note', '') or 'did not complete'}")
    get_run_logger().info("%s %s: %s", service, name, result)
    return str(result)


def with_retry_budget(sync_task: Any, config: Config) -> Any:
    """The task with the config's `[runner] sync_retries` and pauses (transient errors only)."""
    delays = list(config.runner.sync_retry_delay_seconds)
    retries = config.runner.sync_retries
    delays += [delays[-1]] * max(0, retries - len(delays))
    return sync_task.with_options(retries=retries, retry_delay_seconds=delays[: max(retries, 1)])


def run_sync(config: Config, since: date | datetime | None = None, runner: Any = None) -> list[SyncFailure]:
    """Sync every repo and project on `runner` (default: a new one from [runner]); returns one
    SyncFailure per failed repo/project (its str is the line for the log and stderr)."""
    install_log_scrubbing()  # no secret in any log line, Prefect's API and console handlers included
    BREAKERS.reset()  # every run gives each host a fresh chance
    logger = get_run_logger()
    start = _since(since)
    repos = config.all_repos() if config.github is not None else []
    projects = config.all_projects() if config.jira is not None else []
    if not repos and not projects:
        logger.warning("nothing to sync: the config lists no GitHub repos and no Jira projects")
        return []
    if runner is None:
        with task_runner(config) as own_runner:
            return run_sync(config, since, own_runner)
    # The probe goes first in the queue; the Jira projects do not wait for it.
    probe = (
        runner.submit(probe_repos, parameters={"config": config, "repos": repos, "since": start})
        if repos
        else None
    )
    jira: list[tuple[tuple[str, str], PrefectFuture[Any]]] = [
        (
            ("jira", p),
            runner.submit(
                with_retry_budget(sync_project, config),
                parameters={"config": config, "project": p, "since": start},
            ),
        )
        for p in projects
    ]
    unchanged = _unchanged_repos(probe)
    futures = [
        (
            ("github", repo),
            runner.submit(
                with_retry_budget(sync_repo, config),
                parameters={"config": config, "repo": repo, "since": start},
            ),
        )
        for repo in repos
        if repo not in unchanged
    ] + jira
    wait([future for _, future in futures])
    failures = [
        SyncFailure(service, name, _reason(f.state))
        for (service, name), f in futures
        if not f.state.is_completed()
    ]
    for failure in failures:
        logger.error("sync failed: %s", failure)
    return failures


def _unchanged_repos(probe: PrefectFuture[Any] | None) -> set[str]:
    """The repos the probe recorded as synced; none when it failed (they are all synced in full)."""
    if probe is None:
        return set()
    probe.wait()
    if not probe.state.is_completed():
        get_run_logger().warning("github probe failed (%s); syncing every repo", _reason(probe.state))
        return set()
    return set(probe.result())


def _reason(state: State[Any]) -> str:
    error = state.result(raise_on_failure=False)
    if isinstance(error, (SourceError, SecretError)):
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'failed'}"
    return state.message or state.type.value.lower()


@flow(name="radar-sync", log_prints=False)
def sync_flow(config_path: str, since: date | None = None) -> None:
    """GitHub and Jira into the store; fails naming every repo/project that could not sync."""
    config = load_config(config_path)
    failures = run_sync(config, since)
    if failures:
        raise SyncFailed(failures)
