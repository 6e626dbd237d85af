"""A data table as read from a document, before any meaning is given to it.

Both readers (``pdftables`` for PDF, ``htmltables`` for HTML) produce these, so the code that
turns tables into counts (``counts``) does not care where a table came from. A row keeps its
label and its cells as printed text; numbers are read by ``read_number`` only when a count is
made, so a cell that is not a number can be reported with its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scrapers.read.labels import clean_label


@dataclass
class Row:
    label: str  # as printed (footnote markers may still be attached)
    cells: list[str | None]  # one per value column; None when the row has no cell there
    page: int | None = None


@dataclass
class Table:
    title: str
    label_header: str
    columns: list[str]  # headers of the value columns, left to right
    rows: list[Row] = field(default_factory=list)
    page: int | None = None  # page of the title (first page for a split table)
    number: str | None = None  # "3" for "Table 3."; joins the parts of a split table
    # Rows above the column headings that are not headings (a note spanning the whole table):
    # kept out of the header, and reported (``stray_header_row``) when the table is read.
    stray_rows: list[str] = field(default_factory=list)


_TITLE = re.compile(r"^\s*table\s+(\d{1,3}[a-z]?)\b\s*[.:\-\u2013\u2014]?\s*(.*)$", re.I)
_LEADERS = re.compile(r"\s*(?:\.{3,}|\u2026+)\s*\d*\s*$")


def table_title(text: str) -> tuple[str, str] | None:
    """("3", "Separations by Reason") for a line "Table 3. Separations by Reason"."""
    m = _TITLE.match(text)
    if not m:
        return None
    return m.group(1), _LEADERS.sub("", m.group(2)).strip()


def is_continuation_title(title: str) -> bool:
    return bool(re.search(r"\bcontinued\b|\bcont(?:'d|\.)", title, re.I))


_NUMBER = re.compile(r"^\(?[+-]?(?:\d{1,3}(?:[,\u202f\u00a0]\d{3})+|\d+)(?:\.\d+)?\)?$")
# What tables print where a number is withheld or missing; such a cell is a value cell that is
# not a number (reported as non_numeric, never stored as zero).
PLACEHOLDERS = {
    "-",
    "--",
    "\u2013",
    "\u2014",
    "n/a",
    "na",
    "n.a.",
    "*",
    "**",
    "***",
    "x",
    "d",
    "(b)(6)",
    "(b)(7)(c)",
    "tbd",
    "unknown",
    "redacted",
    "\u2021",
    "s",
    "(d)",
    "(x)",
}


def read_number(cell: str | None) -> float | int | None:
    """The number a cell prints, or None when it does not print one."""
    if cell is None:
        return None
    text = clean_label(cell).replace(" ", "")
    if not _NUMBER.match(text):
        return None
    negative = text.startswith("(") and text.endswith(")") or text.startswith("-")
    digits = re.sub(r"[^\d.]", "", text)
    value = float(digits)
    value = int(value) if value.is_integer() and "." not in digits else value
    return -value if negative else value


def is_value_like(cell: str | None) -> bool:
    """A number or a known placeholder: what a data cell looks like before columns are known."""
    if cell is None:
        return False
    raw = re.sub(r"\s+", " ", cell).strip()  # raw: "*" is a placeholder, not a footnote marker
    return (
        raw.lower() in PLACEHOLDERS
        or read_number(raw) is not None
        or bool(re.match(r"^(?:<\s*\d+|\d+(?:\.\d+)?\s*%)$", raw))
    )
