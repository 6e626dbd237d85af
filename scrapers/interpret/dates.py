"""Dates as the reports print them: periods ("October 1, 2019–January 31, 2020"), issue months
("June 2020"), fiscal-year labels ("Fiscal Year 2020 Report to Congress") and month row labels.

Pure text functions. The data period of a report is only ever taken from a sentence or cover
line that states a range (or "the month of June 2022"); a title month alone never becomes a
period, because HHS titles may name the data month or the month of issue.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

_MONTH = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DASH = r"\s*(?:[-\u2010-\u2015]|\bto\b|\bthrough\b|\bthru\b|\band\b)\s*"
_FULL = _MONTH + r"\s+(\d{1,2}),?\s+(\d{4})"

# "October 1, 2019–January 31, 2020", "October 1, 2019 through January 31, 2020"
_RANGE_FULL = re.compile(_FULL + _DASH + _FULL, re.I)
# "June 1–30, 2022"
_RANGE_SAME_MONTH = re.compile(_MONTH + r"\s+(\d{1,2})" + _DASH + r"(\d{1,2}),?\s+(\d{4})", re.I)
# "October 1–December 31, 2021"
_RANGE_SAME_YEAR = re.compile(_MONTH + r"\s+(\d{1,2})" + _DASH + _FULL, re.I)
# "during the month of June 2022", "covers June 2022"
_MONTH_PERIOD = re.compile(
    r"\b(?:during|for|covers|covering|in)\s+(?:the\s+month\s+of\s+)?" + _MONTH + r",?\s+(\d{4})\b",
    re.I,
)
_DAY = re.compile(r"^\s*" + _FULL + r"\s*$", re.I)
_MONTH_YEAR = re.compile(r"^\s*" + _MONTH + r",?\s+(\d{4})\s*$", re.I)
_FISCAL = re.compile(r"\b(?:Fiscal\s+Year|FY)\s*(\d{4}|\d{2})\s+Report\s+to\s+Congress\b", re.I)
# Words by which a sentence says what the data covers. Strong ones are tried across the whole
# document before weak ones, so "Message from the Office..." never beats "The report covers...".
_STRONG = re.compile(r"\b(?:covers|covering|cover|reporting\s+period|occurring|occurred)\b", re.I)
_WEAK = re.compile(r"\b(?:transferred|during|between|from)\b", re.I)


def month_number(name: str) -> int | None:
    return MONTHS.get(name.lower().rstrip("."))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _day(month: str, day: str, year: str) -> date | None:
    m = month_number(month)
    try:
        return date(int(year), m, int(day)) if m else None
    except ValueError:
        return None


# Date-shaped text: "February 30, 2024", "13/45/2024", "2024-02-30", "September 1, 20222".
_NAMED_DAY = re.compile(r"\b" + _MONTH + r"\s+(\d{1,2}),?\s+(\d{4,})\b", re.I)
_NUMERIC_DAY = re.compile(r"(?<![\d/.-])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
_ISO_DAY = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


def _why_not_a_day(year: int, month: int, day: int) -> str | None:
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if year > 9999 or year < 1000:
        return f"{year} is not a four-digit year"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{calendar.month_name[month]} {year} has {last} days"
    return None


def impossible_dates(text: str) -> list[tuple[str, str]]:
    """(the text, why) of every date printed in ``text`` that names no day of the calendar:
    "February 30, 2024" (February 2024 has 29 days), "13/45/2024" (month/day/year: there is no
    month 13), "2024-02-30", a five-digit year. Such a date is never read as one (no period or
    issue date comes from it); this says so, so the reader is not silent about it."""
    found: list[tuple[int, str, str]] = []
    for m in _NAMED_DAY.finditer(text):
        month = month_number(m.group(1))
        if month:
            why = _why_not_a_day(int(m.group(3)), month, int(m.group(2)))
            if why:
                found.append((m.start(), m.group(0), why))
    for m in _NUMERIC_DAY.finditer(text):
        why = _why_not_a_day(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        if why:
            found.append((m.start(), m.group(0), f"{why} (read as month/day/year)"))
    for m in _ISO_DAY.finditer(text):
        why = _why_not_a_day(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if why:
            found.append((m.start(), m.group(0), why))
    return [(what, why) for _pos, what, why in sorted(found)]


def normalise_space(text: str) -> str:
    """Collapse whitespace and re-join numbers broken at a hyphen by a line end ("115-\\n289").

    Whitespace is collapsed first (``str.split`` splits on exactly what ``\\s`` matches), then a
    digit, a hyphen, one space and a digit joined: each run of whitespace became one space, so
    this joins what ``(\\d)-\\s+(\\d)`` joined in the text as it was, at a fifth of the cost of
    two regex passes over a whole page."""
    text = " ".join(text.split())
    return _BROKEN_NUMBER.sub(r"\1-\2", text) if "- " in text else text


_BROKEN_NUMBER = re.compile(r"(\d)- (\d)")


def find_range(text: str) -> tuple[date, date, str] | None:
    """The first explicit date range in ``text``: (start, end, the matched text)."""
    found = []
    for m in _RANGE_FULL.finditer(text):
        start, end = _day(*m.group(1, 2, 3)), _day(*m.group(4, 5, 6))
        found.append((m.start(), start, end, m.group(0)))
    for m in _RANGE_SAME_YEAR.finditer(text):
        start, end = _day(m.group(1), m.group(2), m.group(5)), _day(*m.group(3, 4, 5))
        found.append((m.start(), start, end, m.group(0)))
    for m in _RANGE_SAME_MONTH.finditer(text):
        start, end = (
            _day(m.group(1), m.group(2), m.group(4)),
            _day(m.group(1), m.group(3), m.group(4)),
        )
        found.append((m.start(), start, end, m.group(0)))
    found = [f for f in found if f[1] and f[2] and f[1] <= f[2]]
    if not found:
        return None
    _pos, start, end, matched = min(found, key=lambda f: (f[0], -len(f[3])))
    return start, end, matched


def _sentences(text: str) -> list[str]:
    return [
        s.strip() for s in re.split(r"(?<=[.;])\s+(?=[A-Z(])", normalise_space(text)) if s.strip()
    ]


def stated_period(text: str, strong: bool = True) -> tuple[date, date, str] | None:
    """The data period a document states about itself, with the sentence it rests on.

    Only sentences with a cue word count (``strong``: "covers", "reporting period",
    "occurring"; otherwise "during", "from", "between", "transferred"); a range wins over
    "during the month of June 2022". Returns None when no such sentence states a period: a
    title month alone is never taken for one.
    """
    cue = _STRONG if strong else _WEAK
    for sentence in _sentences(text):
        if not cue.search(sentence):
            continue
        found = find_range(sentence)
        if found:
            return found[0], found[1], sentence
        m = _MONTH_PERIOD.search(sentence)
        if m and month_number(m.group(1)):
            start, end = month_bounds(int(m.group(2)), month_number(m.group(1)))
            return start, end, sentence
    return None


def cover_date(line: str) -> tuple[date, str] | None:
    """A cover line that is only a date: "June 2020" -> (2020-06-01, "month"); a full date -> day."""
    m = _DAY.match(line)
    if m:
        d = _day(*m.group(1, 2, 3))
        return (d, "day") if d else None
    m = _MONTH_YEAR.match(line)
    if m and month_number(m.group(1)):
        return date(int(m.group(2)), month_number(m.group(1)), 1), "month"
    return None


def fiscal_year(text: str) -> int | None:
    """2020 from "Fiscal Year 2020 Report to Congress" (or "FY 20 Report to Congress")."""
    m = _FISCAL.search(normalise_space(text))
    if not m:
        return None
    year = int(m.group(1))
    return year + 2000 if year < 100 else year


_ROW_MONTH = re.compile(r"^\s*" + _MONTH + r"(?:[\s,'\u2019-]+(\d{4}|\d{2}))?\s*$", re.I)


def month_of_label(
    label: str, period: tuple[date | None, date | None] = (None, None)
) -> tuple[int, int] | None:
    """(year, month) of a table row label: "October 2020", "Oct-20", or "October" alone when the
    report period tells which year that month falls in. None when it cannot be told."""
    m = _ROW_MONTH.match(label)
    if not m or not month_number(m.group(1)):
        return None
    month = month_number(m.group(1))
    if m.group(2):
        year = int(m.group(2))
        return (year + 2000 if year < 100 else year), month
    start, end = period
    if not (start and end):
        return None
    candidates = [
        y
        for y in range(start.year, end.year + 1)
        if start <= date(y, month, 1) <= end
        or date(y, month, 1) <= start <= month_bounds(y, month)[1]
    ]
    return (candidates[0], month) if len(candidates) == 1 else None


_FY = r"(?:FY|Fiscal\s+Year)\s*'?(\d{4}|\d{2})"
# Month headers of cross-tabulated tables: "Oct 2021", "October", "Oct-21", "Oct. '21",
# "2021-10", "10/2021", "FY22 Oct", "FY 2022 October", "Oct FY22", "Fiscal Year 2022 October".
_HEADER_ISO = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})\s*$")
_HEADER_US = re.compile(r"^\s*(\d{1,2})/(\d{4})\s*$")
_HEADER_FY_MONTH = re.compile(r"^\s*" + _FY + r"[\s,:-]*" + _MONTH + r"\s*$", re.I)
_HEADER_MONTH_FY = re.compile(r"^\s*" + _MONTH + r"[\s,:-]*" + _FY + r"\s*$", re.I)
_HEADER_FY = re.compile(r"^\s*" + _FY + r"\s*$", re.I)
_HEADER_MONTH = re.compile(r"^\s*" + _MONTH + r"(?:[\s,'\u2019.-]+(\d{4}|\d{2}))?\s*$", re.I)


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def month_of_header(
    text: str, period: tuple[date | None, date | None] = (None, None)
) -> tuple[int, int] | None:
    """(year, month) a column header or row label names, in any of the ways tables print a
    month; a month without a year takes it from the report period (None when that cannot tell).
    Fiscal years run October to September: "FY22 Oct" is October 2021."""
    text = normalise_space(text)
    m = _HEADER_ISO.match(text)
    if m and 1 <= int(m.group(2)) <= 12 and 1900 < int(m.group(1)) < 2200:
        return int(m.group(1)), int(m.group(2))
    m = _HEADER_US.match(text)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(2)), int(m.group(1))
    for pattern, fy_group, month_group in ((_HEADER_FY_MONTH, 1, 2), (_HEADER_MONTH_FY, 2, 1)):
        m = pattern.match(text)
        if m and month_number(m.group(month_group)):
            month = month_number(m.group(month_group))
            fy = _full_year(m.group(fy_group))
            return (fy - 1 if month >= 10 else fy), month
    m = _HEADER_MONTH.match(text)
    if m and month_number(m.group(1)):
        return month_of_label(f"{m.group(1)} {m.group(2)}" if m.group(2) else m.group(1), period)
    return None


def fiscal_year_of_header(text: str) -> tuple[date, date] | None:
    """(October 1, September 30) of "FY2022", "FY 22", "Fiscal Year 2022"; else None."""
    m = _HEADER_FY.match(normalise_space(text))
    if not m:
        return None
    fy = _full_year(m.group(1))
    return date(fy - 1, 10, 1), date(fy, 9, 30)
