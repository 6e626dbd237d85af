"""Does a report say how many separations rested on information from a foreign government?

The explanatory statement accompanying the Consolidated Appropriations Act, 2022 (P.L. 117-103,
Division F, enacted 2022-03-15) asks DHS to state, for separations, whether each was based on
information obtained by a foreign government. A report answers one of four ways
(``scrapers.records.STATEMENT_STATUSES``):

- ``stated``: a sentence ("Of these separations, 0 were based on information obtained by a
  foreign government") or a table row gives the number; zero is an answer;
- ``not_required``: the report's data period ends before the requirement was enacted;
- ``ambiguous``: no number, but a cause label such as "criminal history (U.S. or home country)"
  leaves open who supplied the information (or a sentence mentions foreign-government
  information without a number);
- ``not_stated``: nothing at all - judged only when the tables were read, since a copy cut off
  before its tables cannot show that a statement is absent.

Each status carries the quote and page it rests on.
"""

from __future__ import annotations

import re
from datetime import date

from scrapers.interpret.dates import normalise_space
from scrapers.records import FOREIGN_BASIS, StatementRecord

# Enactment of the Consolidated Appropriations Act, 2022 (P.L. 117-103), whose Division F
# explanatory statement asks for the foreign-government basis of each separation. A report whose
# data period ends before this date predates the requirement.
REQUIREMENT_ENACTED = date(2022, 3, 15)

_WORDS = {
    "no": 0,
    "none": 0,
    "zero": 0,
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
}
_NUM = r"(\d[\d,]*|" + "|".join(_WORDS) + r")"
_BASED = (
    r"\b(?:was|were)\s+(?:\w+\s+){0,4}?based\b[^.;]{0,80}?\binformation\b[^.;]{0,40}?"
    r"\bforeign\s+government"
)
_COUNT_FIRST = re.compile(
    r"\b" + _NUM + r"\b(?:\s+(?:of\s+(?:these|the|those)\s+)?(?:\d[\d,]*\s+)?"
    r"(?:family\s+)?separations?)?\s*" + _BASED,
    re.I,
)
_NONE_OF = re.compile(
    r"\bnone\s+of\s+(?:these|the|those)\s+(?:\d[\d,]*\s+)?(?:family\s+)?"
    r"separations\s*" + _BASED,
    re.I,
)
_COUNT_AFTER = re.compile(
    r"foreign\s+government\b[^.;\d]{0,60}?(?:\bwas\b|\bwere\b|\bis\b|:|"
    r"\btotal(?:l?ed)?\b)\s*" + _NUM + r"\b",
    re.I,
)
# Sentences that quote the requirement rather than answer it.
_REQUIREMENT_WORDS = re.compile(r"\b(?:whether|shall|requires?|directs?|requested|should)\b", re.I)


def _number(token: str) -> float:
    token = token.lower().replace(",", "")
    return float(_WORDS[token]) if token in _WORDS else float(token)


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.;])\s+(?=[A-Z0-9(\u201c\"])", normalise_space(text))


def explicit_statement(pages: list[tuple[int | None, str]]) -> tuple[float, str, int | None] | None:
    """(number, sentence, page) of the first sentence that states the number."""
    for page, text in pages:
        if not re.search(r"foreign\s+government", text, re.I):
            continue
        for sentence in _sentences(text):
            if not re.search(r"foreign\s+government", sentence, re.I):
                continue
            m = _NONE_OF.search(sentence)
            if m:
                return 0.0, sentence, page
            m = _COUNT_FIRST.search(sentence) or _COUNT_AFTER.search(sentence)
            if m and not re.search(r"\bwhether\b", sentence, re.I):
                return _number(m.group(1)), sentence, page
    return None


def _mention(pages: list[tuple[int | None, str]]) -> tuple[str, int | None] | None:
    """A sentence about foreign-government information that gives no number."""
    for page, text in pages:
        for sentence in _sentences(text):
            if re.search(r"foreign\s+government", sentence, re.I) and not _REQUIREMENT_WORDS.search(
                sentence
            ):
                return sentence, page
    return None


def assess(
    report: int,
    pages: list[tuple[int | None, str]],
    *,
    period_end: date | None,
    period_quote: tuple[str, int | None] | None,
    cause_labels: list[tuple[str, int | None]],
    foreign_rows: list[tuple[str, float, int | None]],
    tables_read: bool,
    ambiguous_label,
    only_positive: bool = False,
) -> StatementRecord | None:
    """The statement of one report, or None when the document does not allow a judgement.

    ``ambiguous_label(label) -> bool`` comes from the taxonomy. With ``only_positive`` (HHS,
    which owes no such statement) only ``stated`` and ``ambiguous`` are returned.
    """
    found = explicit_statement(pages)
    if found:
        return StatementRecord(report, FOREIGN_BASIS, "stated", found[0], found[1], found[2])
    if foreign_rows:
        label, value, page = foreign_rows[0]
        return StatementRecord(report, FOREIGN_BASIS, "stated", float(value), label, page)
    if period_end is not None and period_end < REQUIREMENT_ENACTED and not only_positive:
        quote, page = period_quote or (None, None)
        return StatementRecord(report, FOREIGN_BASIS, "not_required", None, quote, page)
    for label, page in cause_labels:
        if ambiguous_label(label):
            return StatementRecord(report, FOREIGN_BASIS, "ambiguous", None, label, page)
    mention = _mention(pages)
    if mention and (tables_read or not only_positive):
        return StatementRecord(report, FOREIGN_BASIS, "ambiguous", None, mention[0], mention[1])
    if tables_read and not only_positive:
        return StatementRecord(report, FOREIGN_BASIS, "not_stated")
    return None
