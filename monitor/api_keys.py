"""The API keys sources need (``Source.secret_headers``: the Congress.gov sources,
``govinfo_appropriations``): the headers a poll sends, whether a source can be polled at all, and
ONE ``access`` operator finding per key setting that is not set.

Without its key a source is **not configured**: it is not polled (every request would be
refused), ``monitor sources`` and ``run --once`` say why, the other sources are polled as usual.
That is an operator finding of its own, raised once per key setting whatever the number of
sources that share the key (``congress_api_key``: both Congress.gov sources), naming the sources
it stops; raised again on every run it stays as it is (no transition, so no new alert), and it
resolves when the key is configured. Its severity is ``low``: leaving an optional source
unconfigured can be a choice (a person silences it with ``monitor waive``), and what the source
would have said is ``unknown`` in the findings it feeds, never a claim. A key the API *refused*
is another finding (:mod:`monitor.apipoll`, ``high``): something configured stopped working.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy.orm import Session

ACCESS = "access"
SEVERITY = "low"


def env_name(setting: str) -> str:
    return "MONITOR_" + setting.upper()


def key_settings(source) -> tuple[str, ...]:
    """The secret settings a source sends as headers, each once."""
    return tuple(dict.fromkeys(name for _header, name in source.secret_headers))


def key_value(settings: Any, name: str) -> str:
    """The setting's value revealed, "" when it is not set."""
    value = getattr(settings, name, None)
    reveal = getattr(value, "get_secret_value", None)
    value = reveal() if reveal else value
    return str(value) if value else ""


def missing_keys(source, settings: Any) -> tuple[str, ...]:
    """The key settings of ``source`` that have no value."""
    return tuple(name for name in key_settings(source) if not key_value(settings, name))


def not_configured_reason(source, settings: Any) -> str | None:
    """Why a source that needs an API key is not polled (the key is not set), or None."""
    missing = missing_keys(source, settings)
    if not missing:
        return None
    names = ", ".join(f"{name} ({env_name(name)})" for name in missing)
    return (
        f"not configured: {names} is not set, so {source.id} is not polled and what it would "
        "find is unknown"
    )


def key_headers(source, settings: Any) -> dict[str, str]:
    """The headers carrying ``source``'s API keys, valued from ``settings`` (a key that is not
    set is left out: the source is then not polled, see :func:`not_configured_reason`)."""
    headers: dict[str, str] = {}
    for header, name in source.secret_headers:
        if not hasattr(settings, name):
            raise ValueError(f"source {source.id}: header {header} names no setting {name!r}")
        value = key_value(settings, name)
        if value:
            headers[header] = value
    return headers


def missing_key_subject(setting: str) -> str:
    """The subject of the one finding about a key setting that is not set."""
    return f"{setting}|not set"


def sync_missing_keys(
    session: Session,
    sources: Iterable,
    settings: Any,
    *,
    now: datetime,
    only: Iterable | None = None,
):
    """Raise one ``access`` finding per key setting that is not set, naming every source of
    ``sources`` (registered or plain) that needs it, and resolve it once the key is set. Only
    the keys of ``only`` (default: ``sources``) are looked at, so a command about one source
    leaves the others' findings alone. Returns the :class:`~monitor.findings_sync.SyncResult`."""
    from monitor.findings_sync import SyncResult
    from monitor.operator_findings import raise_operator_finding, resolve_operator_finding

    result = SyncResult()
    plain = [getattr(s, "source", s) for s in sources]
    asked = plain if only is None else [getattr(s, "source", s) for s in only]
    for name in dict.fromkeys(n for source in asked for n in key_settings(source)):
        needing = sorted(s.id for s in plain if name in key_settings(s))
        needing = needing or sorted(s.id for s in asked if name in key_settings(s))
        for source_id in needing:  # the one finding per source of earlier versions
            resolve_operator_finding(
                session,
                family=ACCESS,
                subject=f"{source_id}|{name}",
                now=now,
                note=f"replaced by the one finding about {name} ({missing_key_subject(name)})",
                result=result,
            )
        if key_value(settings, name):
            resolve_operator_finding(
                session,
                family=ACCESS,
                subject=missing_key_subject(name),
                now=now,
                note=f"{name} is configured",
                result=result,
            )
            continue
        env = env_name(name)
        raise_operator_finding(
            session,
            family=ACCESS,
            subject=missing_key_subject(name),
            now=now,
            severity=SEVERITY,
            summary=f"{name} is not set ({env}): {', '.join(needing)} "
            f"{'is' if len(needing) == 1 else 'are'} not polled, and what "
            f"{'it' if len(needing) == 1 else 'they'} would find is unknown. Set the key, or "
            "waive this finding if you do not want that source",
            evidence={
                "setting": name,
                "environment_variable": env,
                "sources": needing,
                "polled": False,
            },
            result=result,
        )
    return result
