"""Tables to counts: what each table measures, by which dimension, and checks on its totals.

A table's kind comes from its label-column header or its title (by words such as "reason",
"sector", "age", "month", "length of separation", "reunification"); a value column's measure
from its header ("separations", "apprehended", "days"...). Rules kept here:

- a cell that is not a number is a ``non_numeric`` problem and no count: never a stored zero;
- a cause label not in the taxonomy is kept with category ``unmapped`` and an ``unmapped_label``
  problem, never dropped;
- a printed total is stored once per measure (the first table that prints it); parts that do
  not add up to it, or a later table printing a different total, raise ``inconsistent_total``
  (both numbers are still stored);
- rows of a month table carry that month as their period; all other counts carry the report's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from scrapers import categories
from scrapers.labels import clean_label, slug
from scrapers.records import CountRecord, Problem
from scrapers.tables import Table, read_number
from scrapers.taxonomy import UNMAPPED, Taxonomy

# (kind, pattern) tried on the label-column header first, then on the title.
_KINDS = (
    ("cause", r"\breasons?\b|\bcauses?\b"),
    ("length", r"\blength\b|\bduration\b"),
    ("reunification", r"reunif"),
    ("age_group", r"\bages?\b"),
    ("sector", r"\bsectors?\b|field office|\blocation|where separation|port of entry"),
    ("month", r"\bmonths?\b|\bmonthly\b"),
)
_FOREIGN = re.compile(r"foreign\s+government", re.I)
_TOTAL = re.compile(r"^(?:grand\s+)?totals?\b|\btotals?$", re.I)


def table_kind(table: Table) -> str | None:
    for text in (table.label_header, table.title):
        for kind, pattern in _KINDS:
            if text and re.search(pattern, text, re.I):
                return kind
    return None


def column_measure(header: str, single: bool) -> str | None:
    """The measure a value column holds; None for columns we do not store (percentages, or an
    unnamed breakdown such as a component column beside the total)."""
    h = header.lower()
    if re.search(r"percent|%|\bshare\b", h):
        return None
    if re.search(r"\bdays?\b", h):
        return "separation_length_days"
    if "family detention" in h:
        return "reunified_in_family_detention"
    if "reunif" in h:
        return "reunifications"
    if re.search(r"apprehen|encounter", h):
        return "family_unit_apprehensions"
    if single or not h.strip() or re.search(r"separat|children|minors|number|count|total", h):
        return "separations"
    return None


@dataclass
class TableReading:
    """Everything read from the tables of one report."""

    counts: list[CountRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    cause_labels: list[tuple[str, int | None]] = field(default_factory=list)  # (label, page)
    foreign_rows: list[tuple[str, float, int | None]] = field(default_factory=list)
    recognised: int = 0  # tables whose kind was recognised
    unrecognised: list[str] = field(default_factory=list)  # titles of the others


def _reunification_measure(label: str) -> str:
    low = label.lower()
    if "family detention" in low:
        return "reunified_in_family_detention"
    if "reunif" in low:
        return "reunifications"
    return slug(label)[:60] or "reunification_other"


def read_tables(tables: list[Table], report: int, period: tuple[date | None, date | None],
                taxonomy: Taxonomy) -> TableReading:
    out = TableReading()
    totals: dict[str, tuple[float, str]] = {}  # measure -> (value, where) of the stored total
    for table in tables:
        kind = table_kind(table)
        if kind is None:
            out.unrecognised.append(table.title or table.label_header or "(untitled)")
            continue
        out.recognised += 1
        _read_table(table, kind, report, period, taxonomy, out, totals)
    return out


def _read_table(table: Table, kind: str, report: int, period: tuple[date | None, date | None],
                taxonomy: Taxonomy, out: TableReading, totals: dict[str, tuple[float, str]]) -> None:
    name = f"table {table.number} ({table.title})" if table.number else f"table {table.title!r}"
    single = len(table.columns) == 1
    measures = [column_measure(h, single) for h in table.columns] or ["separations"]
    parts: dict[str, list[float | None]] = {}
    printed: dict[str, tuple[float, str, int | None]] = {}
    unmapped_seen: set[str] = set()
    for row in table.rows:
        label = clean_label(row.label)
        if not label or re.match(r"^sub-?\s?total\b", label, re.I):
            continue
        is_total = bool(_TOTAL.search(label)) and kind != "reunification"
        for col, measure in enumerate(measures):
            if measure is None or col >= len(row.cells):
                continue
            raw = row.cells[col]
            value = read_number(raw)
            if value is None:
                column = table.columns[col] if col < len(table.columns) else f"column {col + 1}"
                shown = "a blank cell" if raw is None or not raw.strip() else repr(raw.strip())
                out.problems.append(Problem("non_numeric", f"{name}: row {label!r}, {column!r} "
                                            f"holds {shown}, not a number; not stored",
                                            report=report, page=row.page))
                if not is_total:
                    parts.setdefault(measure, []).append(None)
                continue
            if is_total:
                printed.setdefault(measure, (value, label, row.page))
                continue
            record = _record(kind, label, measure, value, report, period, row.page, taxonomy)
            if _FOREIGN.search(label):
                out.foreign_rows.append((label, value, row.page))
                record.dimension = record.category = "foreign_government_basis"
            elif record.dimension == "cause":
                out.cause_labels.append((label, row.page))
                if record.category == UNMAPPED and label not in unmapped_seen:
                    unmapped_seen.add(label)
                    out.problems.append(Problem("unmapped_label", f"{name}: cause label {label!r} "
                                                f"{taxonomy.why_unmapped(label)} "
                                                "(scrapers/data/causes.yaml)",
                                                report=report, page=row.page))
            out.counts.append(record)
            if record.category not in ("average", "median", "foreign_government_basis"):
                parts.setdefault(measure, []).append(value)
    for measure, (value, label, page) in printed.items():
        _check_total(name, measure, value, parts.get(measure, []), report, page, out)
        if measure not in totals:
            totals[measure] = (value, name)
            out.counts.append(CountRecord(report, measure, "total", "total", label, value,
                                          period[0], period[1], page))
        elif totals[measure][0] != value:
            out.problems.append(Problem("inconsistent_total", f"{name} prints a total {measure} "
                                        f"of {value:g}, but {totals[measure][1]} prints "
                                        f"{totals[measure][0]:g}", report=report, page=page))


def _check_total(name: str, measure: str, total: float, parts: list[float | None], report: int,
                 page: int | None, out: TableReading) -> None:
    known = [p for p in parts if p is not None]
    if not parts:
        return
    added = sum(known)
    if (len(known) == len(parts) and abs(added - total) > 1e-9) or added > total + 1e-9:
        out.problems.append(Problem("inconsistent_total", f"{name}: the {measure} rows add up to "
                                    f"{added:g} but the printed total is {total:g}",
                                    report=report, page=page))


def _record(kind: str, label: str, measure: str, value: float, report: int,
            period: tuple[date | None, date | None], page: int | None,
            taxonomy: Taxonomy) -> CountRecord:
    start, end = period
    if kind == "cause":
        return CountRecord(report, measure, "cause", taxonomy.classify(label) or UNMAPPED, label,
                           value, start, end, page)
    if kind == "sector":
        return CountRecord(report, measure, "sector", categories.place(label), label, value,
                           start, end, page)
    if kind == "age_group":
        return CountRecord(report, measure, "age_group", categories.age_group(label), label, value,
                           start, end, page)
    if kind == "month":
        category, m_start, m_end = categories.month(label, period)
        return CountRecord(report, measure, "month", category, label, value, m_start, m_end, page)
    if kind == "length":
        stat = re.search(r"\b(average|mean|median)\b", label, re.I)
        if stat:
            category = "median" if stat.group(1).lower() == "median" else "average"
            return CountRecord(report, "separation_length_days", "length", category, label, value,
                               start, end, page)
        return CountRecord(report, measure, "length", categories.length_band(label), label, value,
                           start, end, page)
    return CountRecord(report, _reunification_measure(label), "total", "total", label, value,
                       start, end, page)
