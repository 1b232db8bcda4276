"""Delivering a week's messages on every channel: email (or .eml files) and Slack, for teams and
digests, one Prefect task per message, each recorded in the week's deliveries ledger.

A job already delivered this week (per the ledger) is skipped unless `resend`; a failure fails only
its own team or digest and channel, and comes back as one line for the run's exit message. Nothing
is retried at this level: a retry after a partial send would reach some recipients twice (Slack's
429/5xx are retried inside the client, before anything was delivered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, wait

from core.config import Config, SecretError, resolve_secret
from core.errors import DeliveryFailure
from flows.delivery import DeliveryError, build_message, default_sender, email_credentials, send, write_eml
from flows.ledger import DELIVERED, Ledger
from flows.slack import SlackDeliveryError, post_blocks
from reports.email import WeeklyMessage, one_line


@dataclass(frozen=True)
class EmailJob:
    """One message to `recipients`, or `<slug>.eml` in `folder` when the config has no [email]."""

    kind: str  # "team" | "digest"
    name: str
    content: WeeklyMessage
    recipients: list[str]
    slug: str
    folder: str

    @property
    def label(self) -> str:
        return f"{self.kind} {one_line(self.name)!r}"


@dataclass(frozen=True)
class SlackJob:
    """One Block Kit message to the webhook named by `reference` (env:NAME or prefect-secret:BLOCK)."""

    kind: str
    name: str
    payload: dict[str, Any]
    reference: str

    @property
    def label(self) -> str:
        return f"{self.kind} {one_line(self.name)!r}"


Job = EmailJob | SlackJob


def channel(job: Job, config: Config) -> str:
    if isinstance(job, SlackJob):
        return "slack"
    return "eml" if config.email is None else "email"


def recipients(job: Job) -> list[str]:
    return [job.reference] if isinstance(job, SlackJob) else list(job.recipients)


@task(name="deliver-email", cache_policy=NO_CACHE, task_run_name="email {job.kind} {job.name}")
def deliver_email(config: Config, job: EmailJob, ledger_folder: str | None) -> str:
    """Send one message (or write it as .eml); records the result in the ledger."""
    logger = get_run_logger()
    where = channel(job, config)
    try:
        try:
            email = build_message(job.content, default_sender(config), job.recipients, f"{job.slug}.html")
        except ValueError as error:
            raise DeliveryError(job.name, job.recipients, str(error), kind=job.kind) from None
        if config.email is None:
            path = write_eml(email, Path(job.folder) / f"{job.slug}.eml")
            logger.info("no [email] in the config: wrote the message for %s to %s", job.label, path)
        elif not job.recipients:
            logger.warning("%s has no email_to: nothing sent", job.label)
            return "nobody"
        else:
            try:
                send(email, email_credentials(config.email), job.name, job.recipients)
            except DeliveryError as error:  # named as what it is: a team's or a digest's message
                raise DeliveryError(job.name, error.addresses, error.reason, kind=job.kind) from None
            logger.info("sent the message for %s to %s", job.label, ", ".join(job.recipients))
    except DeliveryError as error:
        _record(ledger_folder, job, where, f"failed: {error.reason}")
        raise
    _record(ledger_folder, job, where, DELIVERED)
    return DELIVERED


@task(name="deliver-slack", cache_policy=NO_CACHE, task_run_name="slack {job.kind} {job.name}")
def deliver_slack(job: SlackJob, ledger_folder: str | None) -> str:
    """Post one Block Kit message; the webhook URL is resolved here and never leaves this task."""
    try:
        try:
            url = resolve_secret(job.reference)
        except SecretError as error:
            raise SlackDeliveryError(job.name, job.reference, str(error)) from None
        post_blocks(url, job.payload, job.name, job.reference)
    except SlackDeliveryError as error:
        _record(ledger_folder, job, "slack", f"failed: {error.reason}")
        raise
    get_run_logger().info("posted the Slack summary for %s (%s)", job.label, job.reference)
    _record(ledger_folder, job, "slack", DELIVERED)
    return DELIVERED


def _record(folder: str | None, job: Job, where: str, result: str) -> None:
    if folder is not None:
        Ledger(Path(folder)).record(job.kind, job.name, where, recipients(job), one_line(result))


def deliver_jobs(
    config: Config, jobs: Sequence[Job], runner: Any, ledger: Ledger | None = None, resend: bool = False
) -> list[str]:
    """Run every job not yet delivered this week (all with `resend`), one task each; returns one
    line per failed delivery."""
    logger = get_run_logger()
    futures: list[tuple[Job, PrefectFuture[Any]]] = []
    folder = str(ledger.folder) if ledger is not None else None
    for job in jobs:
        where = channel(job, config)
        if (
            ledger is not None
            and not resend
            and where != "eml"
            and ledger.delivered(job.kind, job.name, where)
        ):
            logger.info(
                "%s: already delivered by %s this week; skipped (--resend sends again)", job.label, where
            )
            continue
        if isinstance(job, SlackJob):
            future = runner.submit(deliver_slack, parameters={"job": job, "ledger_folder": folder})
        else:
            future = runner.submit(
                deliver_email, parameters={"config": config, "job": job, "ledger_folder": folder}
            )
        futures.append((job, future))
    wait([future for _, future in futures])
    failures = []
    for job, future in futures:
        if future.state.is_completed():
            continue
        error = future.state.result(raise_on_failure=False)
        if isinstance(error, DeliveryFailure):
            line = str(error)
        else:
            line = f"{job.label} ({channel(job, config)}): {type(error).__name__}: {one_line(error)}"
        logger.error("delivery failed: %s", line)
        failures.append(line)
    return failures
