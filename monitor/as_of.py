"""Evaluating as of the past: a look back, not a new state of the world.

Findings record what the monitor claims *now*. An evaluation as of an earlier date answers "what
would it have said then", and writing that answer would move every finding back in time (resolve
what has since been claimed, reopen what has since been fixed), and the next evaluation as of now
would move them forward again: the stored findings, their transitions and the Slack alerts would
flip back and forth. So an evaluation as of the past writes nothing unless asked to (``--write``).
"""

from __future__ import annotations

from datetime import date, datetime

from rules.calendar import as_instant

PAST_NOTE = ("dry run: --as-of {as_of} is in the past, so nothing was written "
             "(add --write to record these findings)")


def is_past(as_of: date | datetime | None, now: datetime) -> bool:
    """Whether evaluating as of ``as_of`` looks at the past: a date before today in Washington
    (a date means the end of that day there), or a time before ``now``. None means now."""
    return as_of is not None and as_instant(as_of) < now


def writes_findings(as_of: date | datetime | None, now: datetime, write: bool | None) -> bool:
    """Whether an evaluation as of ``as_of`` records its findings: ``write`` when given, else
    only when it is not about the past."""
    if write is not None:
        return write
    return not is_past(as_of, now)


def past_note(as_of: date | datetime) -> str:
    return PAST_NOTE.format(as_of=as_of.isoformat())
