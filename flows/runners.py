"""The task runner named by [runner]: a bounded thread pool, or Dask (local cluster or address)."""

from __future__ import annotations

from typing import Any

from core.config import Config


def task_runner(config: Config) -> Any:
    """A fresh, unstarted task runner; use it as a context manager inside a flow.

    The thread pool is bounded by `max_workers` (Prefect's default pool is effectively
    unbounded, and the sources' rate limits pay for every extra thread).
    """
    settings = config.runner
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        cluster = {
            "n_workers": settings.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
        return DaskTaskRunner(cluster_kwargs=cluster)
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=settings.max_workers)
