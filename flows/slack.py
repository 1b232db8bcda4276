"""Posting a team's Block Kit summary to a Slack incoming webhook, through slack_sdk's
WebhookClient and its retry handlers.

429 and 5xx answers are retried a bounded number of times, waiting as long as the answer's
Retry-After asks (capped). Any other answer is a refusal of that webhook: it fails that team's
Slack delivery only, named in the run's exit message. The webhook URL is a secret: it is resolved
from its reference inside the task, and never logged or put in an error message (slack_sdk's own
logger is kept at WARNING, below which it would print the URL).
"""

from __future__ import annotations

import logging
import math
import random
import time
from typing import Any

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from core.errors import DeliveryFailure
from reports.email import one_line

SLACK_TIMEOUT_SECONDS = 15
MAX_RETRIES = 3
MAX_WAIT_SECONDS = 60.0  # a longer Retry-After is cut to this
_QUIET = logging.getLogger("flows.slack.client")
_QUIET.setLevel(logging.WARNING)


class SlackDeliveryError(DeliveryFailure):
    """A team's Slack message was not delivered; names the team and the webhook's reference."""

    def __init__(self, team: str, reference: str, reason: str) -> None:
        self.team = team
        self.reference = reference
        self.reason = reason
        super().__init__(f"team {one_line(team)!r}: Slack not delivered to {reference} ({one_line(reason)})")


def retry_after(response: HttpResponse | None) -> float | None:
    """The Retry-After of an answer in seconds, when it is a finite number of seconds."""
    if response is None:
        return None
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                seconds = float(values[0])
            except ValueError:
                return None
            return seconds if math.isfinite(seconds) and seconds >= 0 else None
    return None


class RetryAfterHandler(RetryHandler):
    """Retries 429 and 5xx answers, waiting Retry-After when given (else 1, 2, 4 … seconds)."""

    def __init__(self, max_retry_count: int = MAX_RETRIES, sleep: Any = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and (response.status_code == 429 or 500 <= response.status_code < 600)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = retry_after(response)
        if wait is None:
            wait = 2.0**state.current_attempt + random.random() / 4
        self.sleep(min(wait, MAX_WAIT_SECONDS))
        state.next_attempt_requested = True
        state.increment_current_attempt()


def webhook_client(url: str) -> WebhookClient:
    return WebhookClient(
        url, timeout=SLACK_TIMEOUT_SECONDS, retry_handlers=[RetryAfterHandler()], logger=_QUIET
    )


def post_blocks(url: str, payload: dict[str, Any], team: str, reference: str) -> None:
    """Post one message; raises SlackDeliveryError (without the URL) unless Slack answered 200."""
    if not url.lower().startswith("https://"):
        raise SlackDeliveryError(team, reference, "the webhook is not an https:// URL")
    try:
        response = webhook_client(url).send_dict(payload)
    except Exception as error:  # urllib's errors name the host at most; keep only the kind
        raise SlackDeliveryError(team, reference, f"webhook unreachable: {type(error).__name__}") from None
    if response.status_code != 200:
        body = one_line(response.body)[:80]
        raise SlackDeliveryError(team, reference, f"webhook refused: {response.status_code} {body}".strip())
