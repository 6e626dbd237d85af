"""Evaluating as of the past: a look back, not a new state of the world.

Findings record what the monitor claims *now*. An evaluation as of an earlier date answers "what
would it have said then", and writing that answer would move every finding back in time (resolve
what has since been claimed, reopen what has since been fixed), and the next evaluation as of now
would move them forward again: the stored findings, their transitions and the Slack alerts would
flip back and forth. So an evaluation as of the past writes nothing unless asked to (``--write``).

An evaluation as of the future (a date after today in Washington, a time after now) is a
preview: it judges what is known now against deadlines that have not come, so a report still
within its time would be recorded as missing. It is always a dry run, and ``--write`` with it is
refused (:class:`FutureWrite`): nothing can be recorded about a time that has not happened.
"""

from __future__ import annotations

from datetime import date, datetime

from monitor.errors import MonitorError
from rules.calendar import as_instant, eastern_date

PAST_NOTE = (
    "dry run: --as-of {as_of} is in the past, so nothing was written "
    "(add --write to record these findings)"
)
FUTURE_NOTE = (
    "dry run: --as-of {as_of} is in the future, so nothing was written (a preview: "
    "deadlines after today have not passed yet)"
)


class FutureWrite(MonitorError):
    """--write with an --as-of in the future."""


def is_past(as_of: date | datetime | None, now: datetime) -> bool:
    """Whether evaluating as of ``as_of`` looks at the past: a date before today in Washington
    (a date means the end of that day there), or a time before ``now``. None means now."""
    return as_of is not None and as_instant(as_of) < now


def is_future(as_of: date | datetime | None, now: datetime) -> bool:
    """Whether ``as_of`` is after now: a date after today in Washington (today itself is not:
    an evaluation as of today's date is as of now), or a time after ``now``. None means now."""
    if as_of is None:
        return False
    if isinstance(as_of, datetime):
        return as_instant(as_of) > now
    return as_of > eastern_date(now)


def refuse_future_write(as_of: date | datetime | None, now: datetime, write: bool | None) -> None:
    """FutureWrite when asked to record an evaluation as of the future."""
    if write and is_future(as_of, now):
        raise FutureWrite(
            f"--write cannot record findings as of {as_of.isoformat()}, which is "
            "in the future: drop --write to preview them"
        )


def writes_findings(as_of: date | datetime | None, now: datetime, write: bool | None) -> bool:
    """Whether an evaluation as of ``as_of`` records its findings: never as of the future
    (with ``write`` that is refused, :func:`refuse_future_write`); else ``write`` when given,
    else only when it is not about the past."""
    refuse_future_write(as_of, now, write)
    if is_future(as_of, now):
        return False
    if write is not None:
        return write
    return not is_past(as_of, now)


def past_note(as_of: date | datetime, now: datetime | None = None) -> str:
    """The last line of a dry run that was one because of when ``as_of`` is."""
    if now is not None and is_future(as_of, now):
        return FUTURE_NOTE.format(as_of=as_of.isoformat())
    return PAST_NOTE.format(as_of=as_of.isoformat())
