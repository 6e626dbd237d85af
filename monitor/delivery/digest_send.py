"""The weekly digest rendered (jinja2, autoescaped, CSS inlined) and sent exactly once per week.

Rendering: two templates shipped with the package (``templates/digest.html``, autoescaped, and
``templates/digest.txt``); the HTML's ``<style>`` is inlined into ``style`` attributes with
css-inline, because mail clients drop style sheets. The email is a stdlib ``EmailMessage``:
multipart/alternative of the plain text and a multipart/related HTML part whose chart is an
inline PNG referenced by ``cid:``. The preview (``monitor digest --preview``) embeds the chart
as a data: URI instead, so the file opens in a browser.

Sending: the ISO week is claimed in the database first, as a delivery whose idempotency key is
``digest:<week>`` (unique), with the same conditional UPDATE as Slack deliveries; only the
claimant sends. Every attempt is recorded. A failure after the claim puts the week back in the
queue for the next call; SMTP refusing the login or every recipient is a dead letter and an
operator finding. A sender that died after claiming is taken over once its claim is older than
the lease, and the email is sent again with the same Message-ID (there is no mailbox to search
as there is a Slack channel; mail systems use the Message-ID to drop a duplicate).
"""

from __future__ import annotations

import base64
import hashlib
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from monitor.delivery.digest_build import Digest, IsoWeek, build_digest
from monitor.delivery.slack_sender import LEASE, Sessions
from monitor.errors import ConfigError
from monitor.models.delivery import Delivery, DeliveryAttempt

MSGID_DOMAIN = "separation-monitor.invalid"


# --- rendering --------------------------------------------------------------------------------


def _environment(tz: str):
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("monitor.delivery", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html",), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(tz)

    def when(value) -> str:
        if value is None or value == "":
            return "-"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    env.filters["when"] = when
    env.filters["http"] = lambda url: (
        isinstance(url, str) and url.lower().startswith(("http://", "https://"))
    )
    return env


def render_text(digest: Digest) -> str:
    return _environment(digest.timezone).get_template("digest.txt").render(d=digest)


def render_html(digest: Digest, chart_src: str) -> str:
    """The HTML with every style inlined; ``chart_src`` is ``cid:...`` or a data: URI."""
    import css_inline

    html = (
        _environment(digest.timezone)
        .get_template("digest.html")
        .render(d=digest, chart_src=chart_src)
    )
    return css_inline.CSSInliner(load_remote_stylesheets=False).inline(html)


def preview_html(digest: Digest) -> str:
    data = base64.b64encode(digest.chart_png).decode("ascii")
    return render_html(digest, f"data:image/png;base64,{data}")


def compose(digest: Digest, settings, now: datetime) -> EmailMessage:
    """The email: text and HTML alternatives, the chart inline by Content-ID."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = settings.digest_from
    message["To"] = ", ".join(settings.digest_to)
    message["Date"] = format_datetime(now)
    seed = hashlib.sha256(f"{digest.week.label}|{','.join(settings.digest_to)}".encode())
    message["Message-ID"] = f"<digest-{digest.week.label}.{seed.hexdigest()[:16]}@{MSGID_DOMAIN}>"
    message.set_content(render_text(digest))
    cid = make_msgid(idstring="separations-chart", domain=MSGID_DOMAIN)
    message.add_alternative(render_html(digest, f"cid:{cid[1:-1]}"), subtype="html")
    message.get_payload()[1].add_related(
        digest.chart_png, "image", "png", cid=cid, filename="separations.png", disposition="inline"
    )
    return message


# --- sending ----------------------------------------------------------------------------------


def email_problem(settings) -> str | None:
    for name in ("smtp_host", "digest_from", "digest_to"):
        if not getattr(settings, name):
            return f"no {name} is configured (MONITOR_{name.upper()})"
    return None


def smtp_send(
    settings,
    message: EmailMessage,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 30,
) -> None:
    """Hand ``message`` to the configured SMTP server (starttls, ssl or none)."""
    context = ssl_context or ssl.create_default_context()
    if settings.smtp_tls == "ssl":
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        client.ehlo()
        if settings.smtp_tls == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_user, password)
        client.send_message(message)


@dataclass
class DigestResult:
    week: IsoWeek
    sent: bool
    subject: str | None = None
    message_id: str | None = None
    detail: str = ""
    failed: bool = False


def _claim(sessions: Sessions, key: str, recipients: str, now: datetime) -> str | None:
    """Claim the week: create its delivery row if it has none, then take it with a conditional
    UPDATE. Returns the claim token, or None when it is sent, dead or held by another sender."""
    with sessions() as session:
        try:
            with session.begin_nested():
                session.add(
                    Delivery(
                        kind="email",
                        channel=recipients,
                        idempotency_key=key,
                        summary="",
                        state="pending",
                        attempts=0,
                        needs_check=False,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass  # the week was created before (by us, or by another sender just now)
    token = uuid.uuid4().hex
    with sessions() as session:
        taken = session.execute(
            update(Delivery)
            .where(
                Delivery.idempotency_key == key,
                or_(
                    Delivery.state == "pending",
                    (Delivery.state == "sending") & (Delivery.claimed_at < now - LEASE),
                ),
            )
            .values(state="sending", claim_token=token, claimed_at=now)
        )
    return token if taken.rowcount == 1 else None


def _record(
    sessions: Sessions,
    key: str,
    token: str,
    *,
    state: str,
    now: datetime,
    subject: str,
    message_id: str | None,
    error: str | None,
    duration_ms: int,
) -> None:
    from monitor.operator_findings import raise_operator_finding, resolve_operator_finding

    with sessions() as session:
        row = session.scalar(
            select(Delivery).where(Delivery.idempotency_key == key, Delivery.claim_token == token)
        )
        if row is None:
            return  # another sender took the week over after our lease ran out
        row.state, row.claim_token, row.summary = state, None, subject
        row.attempts += 1
        row.last_error = error
        if state == "sent":
            row.sent_at, row.remote_id = now, message_id
        session.add(
            DeliveryAttempt(
                delivery_id=row.id,
                at=now,
                channel=row.channel,
                result="sent" if state == "sent" else "dead" if state == "dead" else "retry",
                remote_id=message_id if state == "sent" else None,
                error=error,
                duration_ms=duration_ms,
            )
        )
        if state == "dead":
            raise_operator_finding(
                session,
                family="delivery",
                subject="email:smtp",
                severity="high",
                now=now,
                summary=f"The SMTP server refuses the weekly digest ({error}): fix the SMTP "
                "settings, then `monitor notify --retry-dead` and `monitor digest --send`",
                evidence={"error": error, "reason": "the SMTP server refuses the digest"},
            )
        elif state == "sent":
            resolve_operator_finding(
                session,
                family="delivery",
                subject="email:smtp",
                now=now,
                note="a digest was delivered",
            )


def send_digest(
    sessions: Sessions,
    settings,
    *,
    clock: Callable[[], datetime],
    week: IsoWeek | None = None,
    obligations=None,
    ssl_context: ssl.SSLContext | None = None,
) -> DigestResult:
    """Send the digest of ``week`` (default: the last complete week in ``digest_timezone``)
    unless it was sent already. A plain function: a scheduler job can call it as it is."""
    problem = email_problem(settings)
    if problem:
        raise ConfigError(f"the digest cannot be sent: {problem}")
    now = clock()
    week = week or IsoWeek.previous(now, settings.digest_timezone)
    key = f"digest:{week.label}"
    token = _claim(sessions, key, ", ".join(settings.digest_to), now)
    if token is None:
        with sessions() as session:
            row = session.scalar(select(Delivery).where(Delivery.idempotency_key == key))
            detail = (
                f"already sent on {row.sent_at:%Y-%m-%d %H:%M UTC} ({row.remote_id})"
                if row.state == "sent"
                else f"not sent: the week's delivery is {row.state}"
                + (f" ({row.last_error})" if row.last_error else "")
            )
        return DigestResult(
            week,
            sent=False,
            subject=row.summary or None,
            message_id=row.remote_id,
            detail=detail,
            failed=row.state == "dead",
        )
    if obligations is None:
        from monitor.findings_sync import load_rules

        obligations = load_rules()
    with sessions() as session:
        digest = build_digest(session, week, tz=settings.digest_timezone, obligations=obligations)
    message = compose(digest, settings, now)
    t0 = time.monotonic()
    state, error = "sent", None
    try:
        smtp_send(settings, message, ssl_context=ssl_context)
    except (
        smtplib.SMTPAuthenticationError,
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPSenderRefused,
    ) as exc:
        state, error = "dead", f"{type(exc).__name__}: {_smtp_text(exc)}"
    except (smtplib.SMTPException, OSError) as exc:
        state, error = "pending", f"{type(exc).__name__}: {_smtp_text(exc)}"
    _record(
        sessions,
        key,
        token,
        state=state,
        now=clock(),
        subject=digest.subject,
        message_id=message["Message-ID"],
        error=error,
        duration_ms=int((time.monotonic() - t0) * 1000),
    )
    if state != "sent":
        return DigestResult(week, sent=False, subject=digest.subject, detail=error, failed=True)
    return DigestResult(
        week,
        sent=True,
        subject=digest.subject,
        message_id=message["Message-ID"],
        detail=f"sent to {', '.join(settings.digest_to)}",
    )


def _smtp_text(exc: Exception) -> str:
    text = getattr(exc, "smtp_error", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text or exc).splitlines()[0][:300] if str(text or exc) else type(exc).__name__
