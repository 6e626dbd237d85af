"""Talking to Slack for one delivery: slack-sdk's WebClient, what each answer means.

Only slack-sdk speaks HTTP (``WebClient(base_url=...)``, ``chat_postMessage``, ``chat_update``,
``conversations_history``/``conversations_replies``), with its ``RateLimitErrorRetryHandler``
for short 429s. Every exception is turned into an :class:`Outcome` the sender records: sent,
recovered (found already posted), retry (transient; ``uncertain`` when Slack may have posted it),
dead (permanent refusal) or skipped (nothing left to edit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from monitor.delivery.slack_messages import METADATA_EVENT, metadata

INLINE_RETRY_AFTER = 5  # longest Retry-After slack-sdk may sleep through inside one call
HISTORY_PAGES = 20
AUTH_ERRORS = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "no_permission",
    "ekm_access_denied",
}
CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"}
TRANSIENT_ERRORS = {
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "ratelimited",
    "rate_limited",
    "team_added_to_org",
}
EDIT_GONE = {"message_not_found", "cant_update_message", "edit_window_closed"}


class ShortRateLimitHandler(RateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (sleeps ``Retry-After`` plus jitter, then retries), limited to
    short waits: a longer ``Retry-After`` is left to the outbox, which reschedules instead of
    holding the drain. Remembers what it waited, for the attempt record."""

    def __init__(self, max_wait: int = INLINE_RETRY_AFTER) -> None:
        super().__init__(max_retry_count=1)
        self.max_wait = max_wait
        self.waited: list[int] = []

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        wait = retry_after(response.headers)
        return wait is not None and wait <= self.max_wait

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        self.waited.append(retry_after(response.headers) or 0)
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def retry_after(headers) -> int | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, (list, tuple)) else value
            try:
                return max(0, int(float(value)))
            except (TypeError, ValueError):
                return None
    return None


def make_client(settings, *, timeout: int = 30) -> WebClient:
    """The WebClient the sender uses: the configured base URL, our bounded 429 handler, and no
    automatic retry of connection errors (a retried post could be a second message)."""
    return WebClient(
        token=settings.slack_token.get_secret_value(),
        base_url=settings.slack_base_url,
        timeout=timeout,
        retry_handlers=[ShortRateLimitHandler()],
    )


@dataclass
class Claimed:
    id: int
    token: str
    channel: str
    key: str
    attempts: int
    needs_check: bool
    created_at: datetime
    message: dict[str, Any]  # action, change, payload, outbox id
    parent_ts: str | None
    parent_state: str | None


@dataclass
class Outcome:
    result: str  # sent | recovered | retry | dead | skipped
    remote_id: str | None = None
    error: str | None = None
    uncertain: bool = False  # the attempt may have reached Slack
    retry_after: int | None = None
    stop: str | None = None  # end the drain (bad token, rate limit, Slack unreachable)
    pause_channel: bool = False
    waited: list[int] = field(default_factory=list)


def find_sent(client: WebClient, c: Claimed, thread_ts: str | None) -> str | None:
    """The ts of a message carrying ``c``'s idempotency key, if one was already posted."""
    oldest = str(c.created_at.timestamp() - 60)
    if thread_ts:
        pages = client.conversations_replies(
            channel=c.channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200
        )
    else:
        pages = client.conversations_history(
            channel=c.channel, oldest=oldest, include_all_metadata=True, limit=200
        )
    for n, page in enumerate(pages):
        for message in page.get("messages") or []:
            meta = message.get("metadata") or {}
            if (
                meta.get("event_type") == METADATA_EVENT
                and (meta.get("event_payload") or {}).get("idempotency_key") == c.key
            ):
                return message.get("ts")
        if n + 1 >= HISTORY_PAGES:
            break
    return None


def _slack_call(client: WebClient, c: Claimed) -> Outcome:
    action, payload = c.message["action"], c.message["payload"]
    if action == "update":
        if c.parent_ts is None:
            return Outcome(
                "skipped",
                error=f"the message to edit was not delivered ({c.parent_state or 'no delivery'})",
            )
        response = client.chat_update(
            channel=c.channel, ts=c.parent_ts, text=payload["text"], blocks=payload["blocks"]
        )
        return Outcome("sent", remote_id=response.get("ts") or c.parent_ts)
    thread_ts = c.parent_ts if action == "reply" else None
    if c.needs_check:
        found = find_sent(client, c, thread_ts)
        if found:
            return Outcome("recovered", remote_id=found)
    response = client.chat_postMessage(
        channel=c.channel,
        text=payload["text"],
        blocks=payload["blocks"],
        metadata=metadata(c.key, c.message["outbox_id"]),
        thread_ts=thread_ts,
        reply_broadcast=True if thread_ts and c.message["change"] == "escalated" else None,
        unfurl_links=False,
        unfurl_media=False,
        mrkdwn=False,
        parse="none",
    )
    return Outcome("sent", remote_id=response.get("ts"))


def _classify(exc: Exception) -> Outcome:
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", None)
        code = response.get("error") if hasattr(response, "get") and response.data else None
        error = (
            code
            if status == 200 and code
            else f"HTTP {status}" + (f": {str(code)[:200]}" if code else "")
        )
        if status == 429:
            wait = retry_after(getattr(response, "headers", {})) or 60
            return Outcome(
                "retry",
                error=f"rate limited (Retry-After {wait}s)",
                retry_after=wait,
                stop=f"Slack rate limit: retry after {wait}s",
            )
        if code in AUTH_ERRORS:
            return Outcome("dead", error=code, stop=f"Slack refused the token ({code})")
        if code in CHANNEL_ERRORS:
            return Outcome("dead", error=code, pause_channel=True)
        if code in EDIT_GONE:
            return Outcome("skipped", error=code)
        if status is None or status >= 500 or code in TRANSIENT_ERRORS:
            return Outcome("retry", error=error, uncertain=True)
        return Outcome("dead", error=error)  # Slack rejects the message itself
    # No answer (timeout, reset, refused): it may or may not have been posted.
    return Outcome("retry", error=f"{type(exc).__name__}: {str(exc)[:300]}", uncertain=True)


def attempt(client: WebClient, c: Claimed) -> Outcome:
    handler = next((h for h in client.retry_handlers if isinstance(h, ShortRateLimitHandler)), None)
    if handler is not None:
        handler.waited = []
    try:
        outcome = _slack_call(client, c)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none escapes the drain
        outcome = _classify(exc)
    if handler is not None:
        outcome.waited = list(handler.waited)
    return outcome


# --- recording --------------------------------------------------------------------------------
