"""What a duty's deadline words mean: its cadence, and the days, hours or months it allows.

Read, in order of precedence:

1. a recurring cadence (``scrapers/data/discovery.yaml``: "monthly thereafter", "on a quarterly
   basis", "the 15th day of each month", "annually", "as part of the annual budget
   justification"; "every 30 days" is monthly, "every 90 days" or "three months" quarterly,
   "every year" annual); a cadence outside the monitor's set (semiannual, weekly) keeps its
   phrase and is ``unspecified``. The days before the first report ("Not later than 14 days
   after the date of enactment of this Act, and monthly thereafter") are kept;
2. a time after or before an event ("within 24 hours of any separation", "not later than 5
   days after entering into", "at least 15 days prior to expanding"), or hours, which only
   events are counted in, or "whenever"/"each time": ``per_event``;
3. a time after enactment ("not later than 90 days after the date of enactment of this Act",
   "within 120 days of enactment", "1 year after"), a time with no anchor ("within 90 days"),
   one year's budget documents ("in the fiscal year 2024 budget justification") or a date
   ("not later than March 1, 2023"): ``one_time``;
4. nothing: ``unspecified``, with no phrase.
"""

from __future__ import annotations

import re
from datetime import date

from scrapers.discovery.model import Deadline
from scrapers.discovery.patterns import Patterns

I = re.IGNORECASE
_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_WORD = "|".join(sorted(_UNITS, key=len, reverse=True))
NUMBER = (
    rf"(?P<num>\d{{1,4}}|(?:(?:{_WORD}|hundred)(?:[\s-]+(?:and\s+)?(?=(?:{_WORD}|hundred)\b))?)+)"
    r"(?:\s*\((?P<num2>\d{1,4})\))?"
)
_SPAN = (
    rf"{NUMBER}\s*(?P<unit>business\s+days?|calendar\s+days?|days?|hours?|weeks?|months?|years?)"
)
_RELATIVE = re.compile(
    rf"\b(?:(?P<lead>not\s+later\s+than|no\s+later\s+than|within|not\s+more\s+than|no\s+more\s+than|"
    rf"at\s+least|not\s+less\s+than|no\s+less\s+than|no\s+fewer\s+than|not\s+fewer\s+than|up\s+to)"
    rf"\s+(?:the\s+)?)?\b{_SPAN}(?:\s+(?P<rel>after|of|following|from|before|prior\s+to|"
    rf"in\s+advance\s+of|preceding)\s+(?P<anchor>[^.;]{{0,160}}))?",
    I,
)
_EVERY = re.compile(rf"\bevery\s+{_SPAN}", I)
_ENACTMENT = re.compile(
    r"^(?:the\s+)?(?:date\s+of\s+)?(?:the\s+)?enactment\b|^this\s+Act\b|"
    r"^(?:the\s+)?date\s+(?:on\s+which|that)\s+this\s+(?:Act|joint\s+resolution)"
    r"\s+(?:is|was|becomes)\s+(?:enacted|law)",
    I,
)
_ENACTMENT_WORDS = re.compile(
    r"^(?:(?:the\s+)?(?:date\s+of\s+)?(?:the\s+)?enactment(?:\s+of\s+(?:this|the)\s+(?:Act|joint\s+"
    r"resolution))?|this\s+Act(?:'s\s+enactment)?|(?:the\s+)?date\s+(?:on\s+which|that)\s+this\s+"
    r"(?:Act|joint\s+resolution)\s+(?:is|was|becomes)\s+(?:enacted|law))",
    I,
)
_PERIOD_END = re.compile(
    r"^(?:the\s+)?(?:end|close|conclusion|last\s+day)\s+of\s+(?:each|every|"
    r"the|any)\s+(?:calendar\s+|fiscal\s+)?(?P<p>month|quarter|year)",
    I,
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = "|".join(m.capitalize() for m in _MONTHS)
_STARTS = re.compile(
    rf"\b(?:beginning|starting|commencing)\s+(?:with|in|on|for|from)?\s*(?:the\s+)?"
    rf"(?:month\s+of\s+)?(?:(?P<month>{_MONTH})\s+(?:\d{{1,2}},\s+)?(?P<year>\d{{4}})"
    rf"|fiscal\s+year\s+(?P<fy>\d{{4}}))",
    I,
)
_DATE = re.compile(
    rf"\b(?:not\s+later\s+than|no\s+later\s+than|by|on\s+or\s+before|before)\s+"
    rf"(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}}),\s+(?P<year>\d{{4}})",
    I,
)
_DUE_DAY = re.compile(
    r"\b(?:the\s+)?(?:(?P<d>\d{1,2})(?:st|nd|rd|th)|(?P<w>first|fifteenth|"
    r"tenth|twentieth|last))\s+day\s+of\s+(?:each|every)\s+(?:calendar\s+)?month",
    I,
)
# one year's budget documents ("in the fiscal year 2024 budget justification"): once
_BUDGET_YEAR = re.compile(
    r"\b(?:in|with|as\s+part\s+of)\s+(?:the|its)\s+fiscal\s+year\s+\d{4}\s+"
    r"(?:congressional\s+)?budget\s+(?:justifications?|requests?|submissions?)",
    I,
)
_WHENEVER = re.compile(
    r"\b(?:whenever|each\s+time|every\s+time|any\s+time|upon\s+(?:each|any|the)"
    r"|in\s+the\s+event\s+(?:of|that))\b[^.;]{0,120}",
    I,
)
_BEFORE_ACTION = re.compile(
    r"\b(?:prior\s+to|before|in\s+advance\s+of)\s+(?:the\s+|any\s+)?"
    r"(?:obligation|expenditure|implementation|award|execution|initiation|"
    r"deployment|expansion|expanding|use|release|transfer|signing|entering|"
    r"obligating|implementing|awarding|deploying|making)\b[^,.;]{0,120}",
    I,
)


def number(text: str) -> int | None:
    """ "14", "fourteen", "one hundred and eighty", "sixty (60)" as an integer."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for word in re.split(r"[\s-]+", text):
        if word == "and" or not word:
            continue
        if word == "hundred":
            current = max(current, 1) * 100
        elif word in _UNITS:
            current += _UNITS[word]
        else:
            return None
    total += current
    return total or None


def _span(m: re.Match) -> tuple[str, int] | None:
    n = number(m.group("num2") or m.group("num"))
    if n is None:
        return None
    unit = m.group("unit").lower().split()[-1].rstrip("s")
    return unit, n


def _recurring(text: str, patterns: Patterns) -> tuple[str, re.Match | None]:
    """The first recurring cadence in the text: (cadence or "other" or "", its match)."""
    found: list[tuple[int, str, re.Match]] = []
    for cadence, pattern in patterns.cadences:
        m = pattern.search(text)
        if m:
            found.append((m.start(), cadence, m))
    for m in _EVERY.finditer(text):
        span = _span(m)
        if span:
            unit, n = span
            days = {"day": n, "week": 7 * n, "month": 30 * n, "year": 365 * n, "hour": 0}[unit]
            cadence = (
                "monthly"
                if 28 <= days <= 31
                else "quarterly"
                if 84 <= days <= 92
                else "annual"
                if 360 <= days <= 366
                else "other"
            )
            found.append((m.start(), cadence, m))
    if not found:
        return "", None
    _pos, cadence, m = min(found, key=lambda f: f[0])
    return cadence, m


def read_deadline(text: str, patterns: Patterns) -> Deadline:
    """The deadline the text sets (the sentences of one duty)."""
    cadence, recurring = _recurring(text, patterns)
    relatives = [
        m
        for m in _RELATIVE.finditer(text)
        if _span(m)
        and (m.group("lead") or m.group("rel"))
        and not (recurring and m.start() >= recurring.start() and m.end() <= recurring.end())
    ]
    enactment = period_end = event = unanchored = None
    for m in relatives:
        anchor = (m.group("anchor") or "").strip()
        if m.group("rel") and _ENACTMENT.match(anchor):
            enactment = enactment or m
        elif m.group("rel") and _PERIOD_END.match(anchor):
            period_end = period_end or m
        elif m.group("rel") and anchor:
            event = event or m
        else:
            unanchored = unanchored or m
    starts = _starts(text)
    due_day = _due_day(text)
    if cadence in ("monthly", "quarterly", "annual", "other"):
        first = period_end or enactment or unanchored
        return _deadline(
            "unspecified" if cadence == "other" else cadence,
            text,
            [recurring] + ([first] if first else []),
            first,
            "period_end"
            if first is period_end and first
            else "enactment"
            if first is enactment and first
            else None,
            starts=starts,
            due_day=due_day,
        )
    hours = next((m for m in relatives if _span(m)[0] == "hour"), None)
    if event or hours:
        m = event or hours
        rel = (m.group("rel") or "").lower()
        before = rel.startswith(("before", "prior", "in advance", "preceding")) or (
            m.group("lead") or ""
        ).lower().startswith(("at least", "not less", "no less", "no fewer", "not fewer"))
        anchor_text = (m.group("anchor") or "").strip() or None
        event_words = _event(anchor_text) if anchor_text else _whenever(text)
        anchor = ("before_event" if before else "event") if event_words else None
        return _deadline("per_event", text, [m], m, anchor, event=event_words)
    whenever = _WHENEVER.search(text) or _BEFORE_ACTION.search(text)
    if whenever:
        before = whenever.re is _BEFORE_ACTION
        return Deadline(
            cadence="per_event",
            phrase=_words(whenever.group(0)),
            anchor="before_event" if before else "event",
            event=_event(whenever.group(0)),
        )
    if enactment or unanchored:
        m = enactment or unanchored
        return _deadline("one_time", text, [m], m, "enactment" if m is enactment else None)
    budget = _BUDGET_YEAR.search(text)
    if budget:
        return Deadline(cadence="one_time", phrase=_words(budget.group(0)))
    date_m = _DATE.search(text)
    if date_m:
        due = date(
            int(date_m.group("year")),
            _MONTHS.index(date_m.group("month").lower()) + 1,
            int(date_m.group("day")),
        )
        return Deadline(
            cadence="one_time", phrase=_words(date_m.group(0)), due_date=due.isoformat()
        )
    return Deadline()


def _deadline(
    cadence: str,
    text: str,
    matches: list[re.Match],
    counted: re.Match | None,
    anchor: str | None,
    **extra,
) -> Deadline:
    days = hours = months = None
    business = False
    if counted is not None:
        unit, n = _span(counted)
        business = "business" in counted.group("unit").lower()
        if unit == "hour":
            hours = n
        elif unit == "day":
            days = n
        elif unit == "week":
            days = 7 * n
        elif unit == "month":
            months = n
        elif unit == "year":
            months = 12 * n
    return Deadline(
        cadence=cadence,
        phrase=_phrase(text, matches),
        days=days,
        hours=hours,
        months=months,
        business_days=business,
        anchor=anchor,
        **extra,
    )


def _phrase(text: str, matches: list[re.Match]) -> str:
    """The deadline words as printed: one stretch when they are close, else each, joined."""
    spans = sorted((m.start(), _end(m)) for m in matches)
    if spans[-1][0] - spans[0][1] <= 60:
        return _words(text[spans[0][0] : max(e for _s, e in spans)])
    return "; ".join(_words(text[s:e]) for s, e in spans)


def _end(m: re.Match) -> int:
    """A relative deadline's anchor runs to the next comma at most."""
    if "anchor" in m.re.groupindex and m.group("anchor"):
        anchor = m.group("anchor")
        known = _ENACTMENT_WORDS.match(anchor) or _PERIOD_END.match(anchor)
        cut = re.search(r",|\s+(?:and|or)\s+(?:shall|to)\b", anchor)
        return m.start("anchor") + (known.end() if known else cut.start() if cut else len(anchor))
    after = re.match(r"\s+thereafter\b", m.string[m.end() :])
    return m.end() + (after.end() if after else 0)


def _words(text: str) -> str:
    return " ".join(text.strip(" ,;").split())


def _event(text: str) -> str:
    text = re.split(r",|\s+(?:and|or)\s+(?:shall|to|provide|notify)\b", text)[0]
    return _words(text)


def _whenever(text: str) -> str | None:
    m = _WHENEVER.search(text)
    return _event(m.group(0)) if m else None


def _starts(text: str) -> str | None:
    m = _STARTS.search(text)
    if not m:
        return None
    if m.group("fy"):
        return f"FY{m.group('fy')}"
    return f"{m.group('year')}-{_MONTHS.index(m.group('month').lower()) + 1:02d}"


def _due_day(text: str) -> int | None:
    m = _DUE_DAY.search(text)
    if not m:
        return None
    if m.group("d"):
        return int(m.group("d"))
    return {"first": 1, "tenth": 10, "fifteenth": 15, "twentieth": 20, "last": -1}[
        m.group("w").lower()
    ]
