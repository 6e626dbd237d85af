"""A Slack Web API stand-in for tests and the benchmark, served on 127.0.0.1 by pytest-httpserver.

It answers the methods the sender uses (chat.postMessage, chat.update, conversations.history,
conversations.replies) the way Slack does: JSON with ``ok``, a ``ts`` per message, message
metadata returned with ``include_all_metadata``, cursor pagination. It checks the limits Slack
enforces on Block Kit (through slack-sdk's own block models plus the message-level limits) and
answers ``invalid_blocks`` when a payload breaks one, so a test cannot pass with a message Slack
would refuse. Failures can be scripted per method: an HTTP status (429 with Retry-After, 500) or
a Slack error (``invalid_auth``, ``channel_not_found``).
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from urllib.parse import parse_qs

from slack_sdk.models.blocks import Block
from werkzeug.wrappers import Request, Response

TOKEN = "xoxb-test-token"
MAX_BLOCKS, HEADER_MAX, SECTION_MAX, FIELD_MAX, TEXT_MAX = 50, 150, 3000, 2000, 40000


def block_problems(blocks: list[dict]) -> list[str]:
    """What Slack would refuse in ``blocks`` (empty when it would accept them)."""
    problems = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks > {MAX_BLOCKS}")
    for n, raw in enumerate(blocks):
        try:
            Block.parse(raw).validate_json()
        except Exception as exc:  # noqa: BLE001 - any validation failure is a problem
            problems.append(f"block {n}: {exc}")
        if raw.get("type") == "header" and len(raw["text"]["text"]) > HEADER_MAX:
            problems.append(f"block {n}: header longer than {HEADER_MAX}")
        for f in raw.get("fields") or []:
            if len(f["text"]) > FIELD_MAX:
                problems.append(f"block {n}: field longer than {FIELD_MAX}")
        for e in raw.get("elements") or []:
            if len(e.get("text", "")) > SECTION_MAX:
                problems.append(f"block {n}: context element longer than {SECTION_MAX}")
        for obj in (
            [raw.get("text")] + list(raw.get("fields") or []) + list(raw.get("elements") or [])
        ):
            if obj and not obj.get("text"):
                problems.append(f"block {n}: empty text")
    return problems


class SlackStandIn:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: dict[str, list[dict]] = defaultdict(list)
        self.calls: list[tuple[str, dict]] = []
        self.updates: list[dict] = []
        self.failures: dict[str, list[tuple]] = defaultdict(list)
        self.record_calls = True
        self._ts = 1_700_000_000_000_000

    # --- scripting --------------------------------------------------------------------------

    def fail(self, method: str, *failures: tuple) -> None:
        """Queue failures for ``method``: ("http", 429, {"Retry-After": "0"}), ("http", 500),
        ("error", "invalid_auth")."""
        self.failures[method].extend(failures)

    def install(self, httpserver) -> str:
        """Serve on ``httpserver``; returns the base URL to configure (``.../api/``)."""
        httpserver.expect_request(re.compile(r"^/api/.+")).respond_with_handler(self.handle)
        return httpserver.url_for("/api/")

    # --- what happened ----------------------------------------------------------------------

    def posts(self, channel: str | None = None) -> list[dict]:
        chans = [channel] if channel else list(self.messages)
        return [m for c in chans for m in self.messages[c]]

    def top_level(self, channel: str) -> list[dict]:
        return [m for m in self.messages[channel] if not m.get("thread_ts")]

    def replies(self, channel: str, ts: str) -> list[dict]:
        return [m for m in self.messages[channel] if m.get("thread_ts") == ts]

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]

    # --- the API ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        method = request.path.rsplit("/", 1)[-1]
        if request.is_json:
            args = request.get_json()
        else:
            args = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
            args.update(request.args.to_dict())
        with self.lock:
            if self.record_calls:
                self.calls.append((method, args))
            if self.failures[method]:
                return self._failure(self.failures[method].pop(0))
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return _json({"ok": False, "error": "invalid_auth"})
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return _json({"ok": False, "error": "unknown_method"})
            return _json(handler(args))

    def _failure(self, spec: tuple) -> Response:
        if spec[0] == "http":
            headers = spec[2] if len(spec) > 2 else {}
            body = {"ok": False, "error": "ratelimited"} if spec[1] == 429 else None
            return Response(
                json.dumps(body) if body else "<html>Internal Server Error</html>",
                status=spec[1],
                headers=headers,
                content_type="application/json" if body else "text/html",
            )
        return _json({"ok": False, "error": spec[1]})

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _check(self, args: dict) -> str | None:
        if not args.get("channel"):
            return "channel_not_found"
        blocks = args.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if block_problems(blocks) or len(args.get("text") or "") > TEXT_MAX:
            return "invalid_blocks"
        if not args.get("text") and not blocks:
            return "no_text"
        return None

    def _chat_postMessage(self, args: dict) -> dict:
        error = self._check(args)
        if error:
            return {"ok": False, "error": error}
        thread = args.get("thread_ts")
        channel = args["channel"]
        if thread and not any(m["ts"] == thread for m in self.messages[channel]):
            return {"ok": False, "error": "thread_not_found"}
        message = {
            "ts": self._next_ts(),
            "channel": channel,
            "text": args.get("text"),
            "blocks": args.get("blocks") or [],
            "metadata": args.get("metadata"),
            "thread_ts": thread,
            "reply_broadcast": bool(args.get("reply_broadcast")),
            "args": args,
        }
        self.messages[channel].append(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "message": {"text": message["text"], "ts": message["ts"]},
        }

    def _chat_update(self, args: dict) -> dict:
        error = self._check(args)
        if error:
            return {"ok": False, "error": error}
        for message in self.messages[args["channel"]]:
            if message["ts"] == args.get("ts"):
                message.update(text=args.get("text"), blocks=args.get("blocks") or [], edited=True)
                self.updates.append(args)
                return {"ok": True, "channel": args["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _page(self, messages: list[dict], args: dict) -> dict:
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        oldest = float(args.get("oldest") or 0)
        messages = [m for m in messages if float(m["ts"]) > oldest]
        page = messages[start : start + limit]
        with_meta = str(args.get("include_all_metadata")).lower() in ("true", "1")
        shown = [
            {
                "ts": m["ts"],
                "text": m["text"],
                "thread_ts": m["thread_ts"],
                **({"metadata": m["metadata"]} if with_meta and m["metadata"] else {}),
            }
            for m in page
        ]
        more = start + limit < len(messages)
        return {
            "ok": True,
            "messages": shown,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _conversations_history(self, args: dict) -> dict:
        top = [
            m
            for m in self.messages[args.get("channel")]
            if not m["thread_ts"] or m["reply_broadcast"]
        ]
        return self._page(list(reversed(top)), args)  # newest first, as Slack does

    def _conversations_replies(self, args: dict) -> dict:
        ts = args.get("ts")
        thread = [
            m for m in self.messages[args.get("channel")] if m["ts"] == ts or m["thread_ts"] == ts
        ]
        return self._page(thread, args)


def _json(body: dict) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/json")
