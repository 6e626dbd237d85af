"""The period a listed document most likely covers, read from how its listing names it: the
link's text and the last part of its URL (the file name, or the directory of an ``index.html``).

A document that could not be fetched or read still has its link, and agencies name their reports
by period there: "July 2022", ``.../july-2022/index.html``, ``..._report_oct2019-jan2020.pdf``,
"FY 2021 September Family Unit Actions Report", ``fy21_September_0.pdf``. The monitor uses that
name only to tell which periods such a document could be (so that it keeps those periods
``unknown``, and only those); it never becomes the report's data period.

Forms read (case, spaces, ``-``, ``_`` and ``.`` between the parts do not matter):

- a month and year: "July 2022", "Jul. 2022", "Sept 2022", "July, 2022", ``july-2022``,
  ``jul2022``, ``2022-07``, ``2022_07``, ``07-2022``, ``7/2022``; a day may stand between them
  ("October 1, 2019");
- a range of two of these joined by a dash, "to", "through" or "thru":
  "October 2019 – January 2020", ``oct2019-jan2020``;
- a federal fiscal year: "Fiscal Year 2022", "FY 2022", ``fy22`` (October 2021 - September 2022),
  with a quarter ("FY2023 Q1", ``fy2023_q1``: October - December 2022), or with a month that
  ends a fiscal-year-to-date report ("FY 2021 September": October 2020 - September 2021) or a
  month and year inside that fiscal year.

Anything else is not a name of a period, and a name that could be read two ways is no name
(``None``: never guess): two months that are not a range, a month without a year and no fiscal
year, a full date (``2022-08-15``: more likely an issue date), a quarter without a fiscal year, a
link text and URL naming different periods. A year alone names nothing.

Pure text functions, no clock.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date
from urllib.parse import unquote, urlsplit

from scrapers.interpret.dates import month_number

_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_SEP = r"[\s,._/-]*"
_TOKENS = re.compile(
    # a month named, then optionally a day, then optionally a four-digit year
    r"(?P<mname>(?<![a-z])" + _MONTH + r"(?![a-z]))\.?"
    r"(?:" + _SEP + r"(?P<myear>(?:19|20)\d{2})(?!\d)"
    r"|" + _SEP + r"\d{1,2}(?:st|nd|rd|th)?" + _SEP + r"(?P<myear2>(?:19|20)\d{2})(?!\d))?"
    # a full numeric date: an issue date, not a period
    r"|(?P<date>(?<!\d)(?:19|20)\d{2}[-_./]\d{1,2}[-_./]\d{1,2}(?!\d))"
    # 2022-07, 2022_07
    r"|(?P<ym>(?<!\d)(?P<ymy>(?:19|20)\d{2})[-_./](?P<ymm>\d{1,2})(?!\d))"
    # 07-2022, 7/2022
    r"|(?P<my>(?<!\d)(?P<mym>\d{1,2})[-_./](?P<myy>(?:19|20)\d{2})(?!\d))"
    # Fiscal Year 2022, FY 2022, fy22
    r"|(?P<fy>(?<![a-z])(?:fiscal[\s_-]*year|fy)[\s_.-]*(?P<fyn>\d{4}|\d{2})(?!\d))"
    # Q1 (only with a fiscal year)
    r"|(?P<q>(?<![a-z0-9])q(?P<qn>[1-4])(?![a-z0-9]))",
    re.I,
)
_RANGE_JOIN = re.compile(r"^\s*(?:[-\u2010-\u2015_]|to|through|thru)\s*$", re.I)


class _Unsure(Exception):
    """The text names periods in a way that could be read two ways."""


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _fy_start(fy: int) -> date:
    return date(fy - 1, 10, 1)


def _read(text: str) -> tuple[date, date] | None:
    """The period ``text`` names; None when it names none; raises _Unsure when it is unsure."""
    months: list[tuple[int, int, int, int]] = []  # (year, month, start pos, end pos)
    bare_months: list[int] = []
    fys: set[int] = set()
    quarters: set[int] = set()
    for m in _TOKENS.finditer(text):
        if m.group("mname"):
            number = month_number(m.group("mname"))
            year = m.group("myear") or m.group("myear2")
            if year:
                months.append((int(year), number, m.start(), m.end()))
            elif number:
                bare_months.append(number)
        elif m.group("date"):
            raise _Unsure(text)
        elif m.group("ym") or m.group("my"):
            year = int(m.group("ymy") or m.group("myy"))
            month = int(m.group("ymm") or m.group("mym"))
            if not 1 <= month <= 12:
                raise _Unsure(text)
            months.append((year, month, m.start(), m.end()))
        elif m.group("fy"):
            n = m.group("fyn")
            fys.add(int(n) if len(n) == 4 else 2000 + int(n))
        elif m.group("q"):
            quarters.add(int(m.group("qn")))
    distinct = sorted({(y, mo) for y, mo, _s, _e in months})
    if len(fys) > 1 or len(quarters) > 1:
        raise _Unsure(text)
    if fys:
        return _in_fiscal_year(text, next(iter(fys)), quarters, distinct, bare_months)
    if quarters or (bare_months and months):
        raise _Unsure(text)  # a quarter of which year? a month of which year?
    if not months:
        return None  # a month name alone ("reports may be revised") names no period
    if len(distinct) == 1:
        year, month = distinct[0]
        return date(year, month, 1), _month_end(year, month)
    if len(months) == 2 and len(distinct) == 2:
        (y1, m1, _s1, e1), (y2, m2, s2, _e2) = months
        if _RANGE_JOIN.match(text[e1:s2]) and (y1, m1) < (y2, m2):
            return date(y1, m1, 1), _month_end(y2, m2)
    raise _Unsure(text)


def _in_fiscal_year(
    text: str, fy: int, quarters: set[int], months: list[tuple[int, int]], bare_months: list[int]
) -> tuple[date, date]:
    start, end = _fy_start(fy), date(fy, 9, 30)
    if quarters:
        if months or bare_months:
            raise _Unsure(text)
        q = next(iter(quarters))  # Q1 is October - December of the year before
        year, month = (fy - 1, 10) if q == 1 else (fy, 3 * q - 5)
        return date(year, month, 1), _month_end(year, month + 2)
    if len(months) + len(bare_months) > 1:
        raise _Unsure(text)
    if bare_months:  # "FY 2021 September": the fiscal year to date, through that month
        month = bare_months[0]
        return start, _month_end(fy - 1 if month >= 10 else fy, month)
    if months:
        year, month = months[0]
        if not start <= date(year, month, 1) <= end:
            raise _Unsure(text)
        return start, _month_end(year, month)
    return start, end


def url_name(url: str | None) -> str:
    """The part of a URL that names a document: its file name without extension, or, for an
    ``index.html`` (or a path ending in ``/``), the directory above it."""
    if not url:
        return ""
    parts = [p for p in unquote(urlsplit(url).path).split("/") if p]
    while parts and re.fullmatch(r"index(?:\.[a-z0-9]+)?|default\.[a-z0-9]+", parts[-1], re.I):
        parts.pop()
    if not parts:
        return ""
    return re.sub(r"\.[a-z0-9]{2,5}$", "", parts[-1], flags=re.I)


@functools.lru_cache(maxsize=16384)  # a listing's links come back at every read of the page
def named_period(text: str | None = None, url: str | None = None) -> tuple[date, date] | None:
    """(first day, last day) of the period a link's ``text`` and ``url`` name, or None when
    they name none or could be read two ways (see the module docstring)."""
    found = []
    for part in (text or "", url_name(url)):
        try:
            period = _read(part)
        except _Unsure:
            return None
        if period is not None:
            found.append(period)
    if not found or any(p != found[0] for p in found):
        return None
    return found[0]
