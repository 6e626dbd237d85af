"""Block Kit messages for findings, with a plain-text fallback, safe against document text.

A message is about a group of findings (one or more) that changed the same way. It says what
happened (missing, late, incomplete, unknown, revised, removed, anomaly, review), the obligation
and its citation, the agency, the period(s), the due date and days late, the evidence (report or
listing URL, snapshot sha256, quote and page) and the finding id to acknowledge.

Escaping. Text that comes from documents or the web (titles, quotes, summaries, reasons) is put
only in ``plain_text`` objects, which Slack neither formats nor scans for mentions; as a second
guard, ``<!``/``<@``/``<#`` get an invisible break so they can never form a mention. Our own
``mrkdwn`` (labels, links) escapes ``& < >`` in anything it interpolates, and links only http(s)
URLs, percent-encoding the characters that would end a Slack link. The fallback ``text`` is
escaped too and sent with ``mrkdwn=False``. Every text is cut to Slack's block limits (header 150,
section 3,000, field 2,000 characters; 10 fields; 10 context elements; 50 blocks).

Everything here is pure: rows in, dicts out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable
from urllib.parse import quote, urlsplit

from monitor.delivery.labels import (  # noqa: F401 - KIND_LABEL, KIND_EMOJI re-exported
    KIND_EMOJI,
    KIND_LABEL,
    OPERATOR,
    finding_emoji,
    finding_label,
)
from rules.congress import congress_line

HEADER_MAX, SECTION_MAX, FIELD_MAX, CONTEXT_MAX = 150, 3000, 2000, 2000
MAX_BLOCKS, MAX_FIELDS = 50, 10
FALLBACK_MAX = 3000
MAX_LISTED = 300  # periods listed in one message; past that it says how many more and where
METADATA_EVENT = "separation_monitor_alert"

CHANGE_PREFIX = {
    "opened": "",
    "reopened": "Reopened: ",
    "resolved": "Resolved: ",
    "escalated": "Escalated to ",
    "changed": "Changed to ",
}


# --- escaping -------------------------------------------------------------------------------


def cut(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean(text: Any) -> str:
    """No control characters (a document's NULs and bells), newlines kept."""
    return "".join(c if c >= " " or c == "\n" else " " for c in str(text))


def inert(text: Any) -> str:
    """Document text for a plain_text object: no control characters, no mention syntax."""
    text = clean(text)
    for lead in ("<!", "<@", "<#"):
        text = text.replace(lead, lead[0] + "\u2060" + lead[1])
    return text


def mrkdwn_escape(text: Any) -> str:
    """The three characters Slack's mrkdwn reserves; everything else is left as it is."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str | None = None) -> str:
    """A mrkdwn link to an http(s) URL, or the escaped URL as text when it is not one."""
    if not url:
        return ""
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return mrkdwn_escape(url)
    safe = quote(str(url), safe=":/?#[]@!$&'()+,;=%-._~")  # encodes | < > * ` space
    shown = label or (parts.netloc + cut(parts.path, 60))
    return f"<{mrkdwn_escape(safe)}|{mrkdwn_escape(shown).replace('|', '¦')}>"


def plain(text: Any, limit: int = SECTION_MAX) -> dict:
    return {"type": "plain_text", "text": cut(inert(text), limit) or " ", "emoji": False}


def mrkdwn(text: str, limit: int = SECTION_MAX) -> dict:
    return {"type": "mrkdwn", "text": cut(text, limit) or " ", "verbatim": True}


# --- what a finding contributes ---------------------------------------------------------------


def alert_item(row, transition=None) -> dict[str, Any]:
    """What a message shows about one finding (``row``: a FindingRow or alike), as plain data."""
    ev = row.evidence or {}
    ob = ev.get("obligation") or {}
    report = ev.get("report") or next(iter(ev.get("reports") or []), None) or {}
    listing = next(iter(ev.get("listing_reads") or []), None) or {}
    citation = ev.get("citation") or {}
    cite = " ".join(str(citation[k]) for k in ("public_law", "section") if citation.get(k)) or str(
        citation.get("law") or ""
    )
    if cite and citation.get("verified") is False:
        cite += " (text not verified)"
    period = (ev.get("period") or {}).get("label")
    if not period and row.period_start is not None:
        period = str(row.period_start) + (f"..{row.period_end}" if row.period_end else "")
    title = ob.get("title") or row.obligation_id
    if row.obligation_id == OPERATOR:  # the monitor's own operation (monitor/operator_findings.py)
        title = f"the monitor's own operation ({row.family})"
        if row.family == "discovery":  # monitor/candidates.py
            title = "a new reporting requirement in an official text"
    return {
        "finding_id": row.id,
        "obligation_id": row.obligation_id,
        "obligation": title,
        "agency": ob.get("agency") or "",
        "kind": row.kind,
        "from_kind": getattr(transition, "from_kind", None),
        "family": row.family,
        "severity": row.severity,
        "period": period or "",
        "due": str(row.due) if row.due else None,
        "days_late": ev.get("days_late"),
        "summary": row.summary,
        "reason": ev.get("reason"),
        "citation": cite,
        "report_url": report.get("url"),
        "report_title": report.get("title"),
        "sha256": report.get("snapshot_sha256"),
        "listing_url": listing.get("url"),
        "listing_sha256": listing.get("sha256"),
        "quote": ev.get("quote"),
        "page": ev.get("page"),
        "at": transition.detected_at.isoformat() if transition is not None else None,
        "congress": congress_line(ev),
    }


def _label(kind: str, obligation_id: str | None = None) -> str:
    return finding_label(kind, obligation_id)


def _periods(items: list[dict]) -> str:
    labels = [i["period"] for i in items if i["period"]]
    if not labels:
        return "-"
    if len(labels) == 1:
        return labels[0]
    return f"{len(labels)}: {labels[0]} to {labels[-1]}"


def _shared(items: list[dict], name: str) -> str:
    values = list(dict.fromkeys(i[name] for i in items if i[name]))
    return "; ".join(values[:3]) + (f" (+{len(values) - 3} more)" if len(values) > 3 else "")


def _due(item: dict) -> str:
    if not item["due"]:
        return "-"
    late = item["days_late"]
    return item["due"] + (f" ({late} days late)" if isinstance(late, int) and late > 0 else "")


def header_text(items: list[dict], change: str) -> str:
    first = items[0]
    what = CHANGE_PREFIX.get(change, "") + _label(first["kind"], first.get("obligation_id"))
    where = first["obligation"] + (
        f", {first['period']}"
        if len(items) == 1 and first["period"]
        else f", {len(items)} periods"
        if len(items) > 1
        else ""
    )
    emoji = finding_emoji(first["kind"], first.get("obligation_id"))
    return cut(inert(f"{emoji} {what}: {where}".strip()), HEADER_MAX)


def _fields(items: list[dict]) -> dict:
    first = items[0]
    fields = [
        f"*What happened*\n{mrkdwn_escape(_label(first['kind'], first.get('obligation_id')))}"
    ]
    if first.get("obligation_id") == OPERATOR:
        fields.append(f"*About*\n{mrkdwn_escape(first['obligation'])}")
    else:
        fields.append(
            f"*Obligation*\n{mrkdwn_escape(first['obligation'])}\n"
            f"`{mrkdwn_escape(first.get('obligation_id'))}`"
        )
    for name, value in (
        ("Agency", first["agency"]),
        ("Citation", _shared(items, "citation")),
        (
            "Periods" if len(items) > 1 else "Period",
            _periods(items) if any(i["period"] for i in items) else "",
        ),
        ("Due", _due(first) if len(items) == 1 and first["due"] else ""),
    ):
        if value:
            fields.append(f"*{name}*\n{mrkdwn_escape(value)}")
    return {"type": "section", "fields": [mrkdwn(f, FIELD_MAX) for f in fields[:MAX_FIELDS]]}


def _evidence_blocks(item: dict) -> list[dict]:
    lines = []
    if item["report_url"]:
        lines.append("• Report: " + link(item["report_url"]))
    if item["sha256"]:
        lines.append(f"• Snapshot sha256: `{mrkdwn_escape(item['sha256'])}`")
    if item["listing_url"]:
        lines.append(
            "• Listing read: "
            + link(item["listing_url"])
            + (
                f" (sha256 `{mrkdwn_escape(item['listing_sha256'])}`)"
                if item["listing_sha256"]
                else ""
            )
            + " links no such report"
        )
    if item.get("congress"):
        lines.append("• Congress: " + mrkdwn_escape(item["congress"]))
    blocks = (
        [{"type": "section", "text": mrkdwn("*Evidence*\n" + "\n".join(lines))}] if lines else []
    )
    quoted = []
    if item["report_title"]:
        quoted.append(plain(f"Report title: {item['report_title']}", CONTEXT_MAX))
    if item["quote"]:
        page = f" (page {item['page']})" if item["page"] is not None else ""
        quoted.append(plain(f"Quote{page}: \"{item['quote']}\"", CONTEXT_MAX))
    if quoted:
        blocks.append({"type": "context", "elements": quoted})
    return blocks


def _item_line(item: dict, with_detail: bool) -> str:
    parts = [f"• {mrkdwn_escape(item['period'] or '-')}"]
    if item["due"]:
        parts.append(f"due {mrkdwn_escape(_due(item))}")
    url = item["report_url"] or item["listing_url"]
    if with_detail and url:
        parts.append(link(url, "report" if item["report_url"] else "listing"))
    parts.append(f"#{item['finding_id']}")
    return " · ".join(parts)


def _list_blocks(items: list[dict], room: int) -> list[dict]:
    """Items as bullet lines in as many sections as needed, within ``room`` blocks."""
    detail = len({i["report_url"] or i["listing_url"] for i in items}) > 1
    blocks, lines, size = [], [], 0
    for n, item in enumerate(items):
        line = _item_line(item, detail)
        full = size + len(line) + 1 > SECTION_MAX - 100
        if n == MAX_LISTED or (full and len(blocks) == room - 1):
            lines.append(
                f"… and {len(items) - n} more: `monitor findings --obligation "
                f"{mrkdwn_escape(items[0]['obligation_id'])}`"
            )
            break
        if full:
            blocks.append({"type": "section", "text": mrkdwn("\n".join(lines))})
            lines, size = [], 0
        lines.append(line)
        size += len(line) + 1
    if lines:
        blocks.append({"type": "section", "text": mrkdwn("\n".join(lines))})
    return blocks


def _ack(items: list[dict]) -> dict:
    if len(items) == 1:
        fid = items[0]["finding_id"]
        text = f"Finding #{fid} · acknowledge: `monitor ack {fid} --by NAME`"
    else:
        ids = sorted(i["finding_id"] for i in items)
        text = (
            f"Findings #{ids[0]}–#{ids[-1]} ({len(ids)}) · acknowledge one: "
            "`monitor ack ID --by NAME`"
        )
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_MAX)]}


def _fallback(headline: str, items: list[dict]) -> str:
    first = items[0]
    if len(items) == 1:
        detail = f"{first['summary']} (finding #{first['finding_id']})"
    else:
        detail = (
            f"{first['reason'] or first['summary']} "
            f"(findings {', '.join('#' + str(i['finding_id']) for i in items[:20])}"
            f"{', …' if len(items) > 20 else ''})"
        )
    return cut(mrkdwn_escape(clean(f"{headline}\n{detail}")), FALLBACK_MAX)


def _body(items: list[dict]) -> list[dict]:
    """What a post and a kind-change reply show below their first line."""
    first = items[0]
    blocks = [
        {
            "type": "section",
            "text": plain(
                first["summary"] if len(items) == 1 else first["reason"] or first["summary"]
            ),
        },
        _fields(items),
    ]
    if len(items) == 1:
        blocks += _evidence_blocks(first)
    else:
        blocks += _list_blocks(items, MAX_BLOCKS - len(blocks) - 2)
    blocks.append(_ack(items))
    return blocks


def post_message(items: Iterable[dict], change: str) -> dict:
    """A new top-level message announcing ``items`` (findings opened or reopened together)."""
    items = sorted(items, key=lambda i: (i["period"], i["finding_id"]))
    header = header_text(items, change)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}}]
    blocks += _body(items)
    return {"header": header, "text": _fallback(header, items), "blocks": blocks[:MAX_BLOCKS]}


def reply_message(items: Iterable[dict], change: str, at: datetime) -> dict:
    """A thread reply: the findings resolved, or changed kind (escalated or not)."""
    items = sorted(items, key=lambda i: (i["period"], i["finding_id"]))
    first = items[0]
    count = f"{len(items)} findings" if len(items) > 1 else f"finding #{first['finding_id']}"
    when = at.strftime("%Y-%m-%d %H:%M UTC")
    if change == "resolved":
        headline = (
            f":white_check_mark: Resolved: {count} ({_label(first['kind'], first.get('obligation_id')).lower()}, "
            f"{_periods(items)}) no longer reported by the monitor as of {when}"
        )
        blocks = [{"type": "section", "text": mrkdwn(mrkdwn_escape(headline))}]
        if len(items) > 1:
            blocks += _list_blocks(items, MAX_BLOCKS - 2)
        blocks.append(_ack(items))
    else:
        arrow = ":arrow_up:" if change == "escalated" else ":arrows_counterclockwise:"
        was = first["from_kind"]
        headline = (
            f"{arrow} Now {_label(first['kind'], first.get('obligation_id')).lower()}"
            + (f" (was {_label(was, first.get('obligation_id')).lower()})" if was else "")
            + f": {count}, {when}"
        )
        blocks = [{"type": "section", "text": mrkdwn(mrkdwn_escape(headline))}] + _body(items)
    return {"header": headline, "text": _fallback(headline, items), "blocks": blocks[:MAX_BLOCKS]}


def edited_parent(parent: dict, items: Iterable[dict], change: str, at: datetime) -> dict:
    """The announcing message with its header saying what became of it (chat.update)."""
    items = list(items)
    first = items[0]
    old = parent.get("header", "")
    if change == "resolved":
        new = f":white_check_mark: Resolved ({at:%Y-%m-%d}) — was: {old}"
    else:
        new = f"Now {_label(first['kind'], first.get('obligation_id')).lower()} ({at:%Y-%m-%d}) — was: {old}"
    new = cut(new, HEADER_MAX)
    blocks = [dict(b) for b in parent.get("blocks", [])]
    if blocks and blocks[0].get("type") == "header":
        blocks[0] = {"type": "header", "text": {"type": "plain_text", "text": new, "emoji": True}}
    note = {"type": "context", "elements": [mrkdwn("Updated: see the thread for what changed.")]}
    blocks = blocks[: MAX_BLOCKS - 1] + [note]
    text = cut(mrkdwn_escape(clean(new)) + "\n" + parent.get("text", ""), FALLBACK_MAX)
    return {"header": new, "text": text, "blocks": blocks}


def metadata(idempotency_key: str, outbox_id: int | None) -> dict:
    """Message metadata carrying the idempotency key, found again in the channel's history."""
    return {
        "event_type": METADATA_EVENT,
        "event_payload": {"idempotency_key": idempotency_key, "outbox_id": outbox_id or 0},
    }
