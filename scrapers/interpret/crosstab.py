"""Cross-tabulated tables: one dimension down the rows, another across the columns.

A report may cross the reason for separation with the month (months as columns and reasons as
rows, or the reverse), the sector with the month, or the age group with the sector. Such a table
is recognised by its column headers: every value column (apart from totals) names a month
("Oct 2021", "October", "FY22 Oct", "2021-10"), a fiscal year ("FY2022"), a cause the taxonomy
knows, a place, an age band or a length band, and the rows are of another kind. A header that
names neither is a measure ("Separations", "Apprehended"): such a table is one-dimensional and
is read by ``scrapers.interpret.counts`` as before.

Every cell becomes one count carrying both dimensions: when one of them is a period (a month, a
fiscal year) the other is the count's dimension and category and the period is its period;
otherwise the count gets a second dimension (``dimension2``/``category2``/``label2``). Which
dimension comes first does not depend on the table's orientation: cause, then sector, then age
group, then length. Totals ("Total", "Grand Total", "All") are checked against the cells they
add up (``inconsistent_total`` when they differ) and stored as the one-dimensional figures they
are: a row total as the row's category over the table's period, a total row as each column's
category (a month total is a ``month`` count), the grand total as the report's ``total``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from scrapers.interpret import categories
from scrapers.interpret.dates import fiscal_year_of_header, month_bounds, month_of_header
from scrapers.read.labels import clean_label, match_key
from scrapers.read.tables import Table
from scrapers.interpret.taxonomy import UNMAPPED, Taxonomy

PERIOD_KINDS = ("month", "fiscal_year")
# Which dimension a cell is stored under when neither is a period.
PRECEDENCE = ("cause", "sector", "age_group", "length")
# Words by which a title or label header names a dimension.
WORDS = {
    "cause": r"\breasons?\b|\bcauses?\b",
    "sector": r"\bsectors?\b|field offices?|\blocations?\b|port of entry",
    "age_group": r"\bages?\b",
    "length": r"\blength\b|\bduration\b",
    "month": r"\bmonths?\b|\bmonthly\b",
    "fiscal_year": r"\bfiscal years?\b|\bFY\b",
}
TOTAL = re.compile(r"^(?:grand\s+)?totals?\b|\btotals?$|^all(?:\s+\w+)?$", re.I)
_SUBTOTAL = re.compile(r"^sub-?\s?total\b", re.I)


@dataclass(frozen=True)
class Axis:
    """What one row label or column header names."""

    kind: str  # "total", a PERIOD_KIND, or a dimension of PRECEDENCE
    label: str  # as printed (footnote markers removed)
    category: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass
class Crossing:
    row_kind: str
    col_kind: str
    columns: list[Axis]  # one per value column


def is_total(label: str) -> bool:
    return bool(TOTAL.search(clean_label(label)))


def _band_like(text: str) -> bool:
    return categories._band(text) is not None


def axis_of(
    text: str,
    period: tuple[date | None, date | None],
    taxonomy: Taxonomy,
    unknown_as: str | None = None,
) -> Axis | None:
    """The axis a header names; ``unknown_as`` names the dimension a header that names nothing
    known is taken for (an unmapped cause, an unknown place)."""
    label = clean_label(text)
    if not label:
        return None
    if TOTAL.search(label):
        return Axis("total", label)
    found = month_of_header(label, period)
    if found:
        start, end = month_bounds(*found)
        return Axis("month", label, f"{found[0]:04d}-{found[1]:02d}", start, end)
    fy = fiscal_year_of_header(label)
    if fy:
        return Axis("fiscal_year", label, f"FY{fy[1].year}", fy[0], fy[1])
    cause = taxonomy.category_of(label)
    if cause:
        return Axis("cause", label, cause)
    if match_key(label) in categories._places() or re.search(
        r"\bsector$|field office$", label, re.I
    ):
        return Axis("sector", label, categories.place(label))
    if _band_like(label):
        kind = (
            "length" if re.search(r"\bdays?\b|\bmonths?\b|\bweeks?\b", label, re.I) else "age_group"
        )
        band = categories.length_band(label) if kind == "length" else categories.age_group(label)
        return Axis(kind, label, band)
    if unknown_as == "cause":
        return Axis("cause", label, UNMAPPED)
    if unknown_as in ("sector", "age_group", "length"):
        cat = {
            "sector": categories.place,
            "age_group": categories.age_group,
            "length": categories.length_band,
        }[unknown_as](label)
        return Axis(unknown_as, label, cat)
    return None


def _named(kind: str, *texts: str) -> bool:
    return any(t and re.search(WORDS[kind], t, re.I) for t in texts)


def detect(
    table: Table, period: tuple[date | None, date | None], taxonomy: Taxonomy
) -> Crossing | None:
    """The crossing a table prints, or None for a one-dimensional table."""
    heads = [axis_of(h, period, taxonomy) for h in table.columns]
    values = [a for a in heads if a is None or a.kind != "total"]
    known = [a for a in values if a is not None]
    if len(values) < 2 or len(known) < 2:
        return None
    kinds = {a.kind for a in known}
    if len(kinds) != 1:
        return None
    col_kind = kinds.pop()
    if len(known) < len(values):
        # Some headers name nothing known: the columns are still this dimension when most do
        # and the title or header says so (a cause the taxonomy lacks, a place not listed).
        if (
            col_kind in PERIOD_KINDS
            or 2 * len(known) < len(values)
            or not _named(col_kind, table.title, table.label_header)
        ):
            return None
        heads = [
            a if a is not None else axis_of(h, period, taxonomy, unknown_as=col_kind)
            for a, h in zip(heads, table.columns)
        ]
    row_kind = _row_kind(table, col_kind, period, taxonomy)
    if (
        row_kind is None
        or row_kind == col_kind
        or (row_kind in PERIOD_KINDS and col_kind in PERIOD_KINDS)
    ):
        return None
    return Crossing(row_kind, col_kind, heads)


def _row_kind(table: Table, col_kind: str, period, taxonomy: Taxonomy) -> str | None:
    for text in (table.label_header, table.title):
        for kind in ("cause", "length", "age_group", "sector", "month"):
            if kind != col_kind and text and _named(kind, text):
                return kind
    labels = [r.label for r in table.rows if clean_label(r.label) and not is_total(r.label)]
    axes = [axis_of(label, period, taxonomy) for label in labels]
    kinds = [a.kind for a in axes if a is not None]
    if labels and kinds:
        best = max(set(kinds), key=kinds.count)
        if 2 * kinds.count(best) > len(labels):
            return best
    return None


def row_axis(label: str, kind: str, period, taxonomy: Taxonomy) -> Axis:
    """The axis of a row of a table whose rows are ``kind``."""
    label = clean_label(label)
    if kind in PERIOD_KINDS:
        found = axis_of(label, period, taxonomy)
        if found is not None and found.kind == kind:
            return found
        return Axis(kind, label, None)  # a period we cannot place: reported by the caller
    if kind == "cause":
        return Axis("cause", label, taxonomy.category_of(label) or UNMAPPED)
    found = axis_of(label, period, taxonomy, unknown_as=kind)
    if found is not None and found.kind == kind:
        return found
    return Axis(kind, label, _fallback(kind, label))


def _fallback(kind: str, label: str) -> str:
    return {
        "sector": categories.place,
        "age_group": categories.age_group,
        "length": categories.length_band,
    }.get(kind, clean_label)(label)


def is_subtotal(label: str) -> bool:
    return bool(_SUBTOTAL.match(clean_label(label)))


def span(
    axes: list[Axis], default: tuple[date | None, date | None]
) -> tuple[date | None, date | None]:
    """The period a set of period axes covers together (the default when none is placed)."""
    starts = [a.start for a in axes if a.start]
    ends = [a.end for a in axes if a.end]
    return (min(starts), max(ends)) if starts and ends else default


def merge_column_parts(tables: list[Table]) -> list[Table]:
    """A wide table printed in two parts, the second "(continued)" with the next columns and
    the same rows: one table with all its columns."""
    out: list[Table] = []
    for t in tables:
        prev = out[-1] if out else None
        if (
            prev is not None
            and t.number
            and t.number == prev.number
            and t.columns
            and t.columns != prev.columns
            and _labels(t) == _labels(prev)
            and _labels(t)
        ):
            cells = {clean_label(r.label): r.cells for r in t.rows}
            for row in prev.rows:
                row.cells = list(row.cells) + list(
                    cells.get(clean_label(row.label), [None] * len(t.columns))
                )
            prev.columns = list(prev.columns) + list(t.columns)
            continue
        out.append(t)
    return out


def _labels(t: Table) -> list[str]:
    return [clean_label(r.label) for r in t.rows]
