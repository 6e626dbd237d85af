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
- rows of a month table carry that month as their period; all other counts carry the report's;
- a cross-tabulated table (cause by month, sector by month, age by sector...) is read cell by
  cell by ``_read_crossed`` (see ``scrapers.interpret.crosstab``); a figure it repeats from an earlier
  table of the report (a row total that is the reasons table's count) is stored once, and a
  repeat with another value is an ``inconsistent_total``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from scrapers.interpret import categories, crosstab
from scrapers.interpret.crosstab import PERIOD_KINDS, PRECEDENCE, Axis, Crossing
from scrapers.read.labels import clean_label, slug
from scrapers.records import CountRecord, Problem
from scrapers.read.tables import Table, read_number
from scrapers.interpret.taxonomy import UNMAPPED, Taxonomy

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
    seen: dict[tuple, float] = field(default_factory=dict)  # figure key -> value stored

    def add(self, record: CountRecord, once: bool = False, where: str = "") -> None:
        """Store a count; with ``once``, a figure already stored by an earlier table is not
        stored again, and a different value for it is an inconsistent total."""
        key = (
            record.measure,
            record.dimension,
            record.category,
            record.dimension2,
            record.category2,
            record.period_start,
            record.period_end,
        )
        if once and key in self.seen:
            if self.seen[key] == record.value:
                return
            self.problems.append(
                Problem(
                    "inconsistent_total",
                    f"{where}: {record.label!r} gives {record.value:g} "
                    f"{record.measure}, but an earlier table of the report gives {self.seen[key]:g}",
                    report=record.report,
                    page=record.page,
                )
            )
        self.seen.setdefault(key, record.value)
        self.counts.append(record)


def _reunification_measure(label: str) -> str:
    low = label.lower()
    if "family detention" in low:
        return "reunified_in_family_detention"
    if "reunif" in low:
        return "reunifications"
    return slug(label)[:60] or "reunification_other"


def read_tables(
    tables: list[Table], report: int, period: tuple[date | None, date | None], taxonomy: Taxonomy
) -> TableReading:
    out = TableReading()
    totals: dict[str, tuple[float, str]] = {}  # measure -> (value, where) of the stored total
    for table in crosstab.merge_column_parts(tables):
        for text in table.stray_rows:
            out.problems.append(
                Problem(
                    "stray_header_row",
                    f"{_name(table)}: the row {text[:120]!r} above its column "
                    "headings spans the whole table; it was kept out of the headings (a note?)",
                    report=report,
                    page=table.page,
                )
            )
        crossing = crosstab.detect(table, period, taxonomy)
        if crossing is not None:
            out.recognised += 1
            _read_crossed(table, crossing, report, period, taxonomy, out, totals)
            continue
        kind = table_kind(table)
        if kind is None:
            out.unrecognised.append(table.title or table.label_header or "(untitled)")
            continue
        out.recognised += 1
        _read_table(table, kind, report, period, taxonomy, out, totals)
    return out


def _name(table: Table) -> str:
    return f"table {table.number} ({table.title})" if table.number else f"table {table.title!r}"


def _read_table(
    table: Table,
    kind: str,
    report: int,
    period: tuple[date | None, date | None],
    taxonomy: Taxonomy,
    out: TableReading,
    totals: dict[str, tuple[float, str]],
) -> None:
    name = _name(table)
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
                out.problems.append(
                    Problem(
                        "non_numeric",
                        f"{name}: row {label!r}, {column!r} "
                        f"holds {shown}, not a number; not stored",
                        report=report,
                        page=row.page,
                    )
                )
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
                    out.problems.append(
                        Problem(
                            "unmapped_label",
                            f"{name}: cause label {label!r} "
                            f"{taxonomy.why_unmapped(label)} "
                            "(scrapers/data/causes.yaml)",
                            report=report,
                            page=row.page,
                        )
                    )
            out.add(record)
            if record.category not in ("average", "median", "foreign_government_basis"):
                parts.setdefault(measure, []).append(value)
    for measure, (value, label, page) in printed.items():
        _check_total(name, measure, value, parts.get(measure, []), report, page, out)
        _grand_total(name, measure, value, label, report, period, page, out, totals)


def _grand_total(
    name: str,
    measure: str,
    value: float,
    label: str,
    report: int,
    period: tuple[date | None, date | None],
    page: int | None,
    out: TableReading,
    totals: dict[str, tuple[float, str]],
) -> None:
    """A printed total is stored once per measure; another table printing another is a problem."""
    if measure not in totals:
        totals[measure] = (value, name)
        out.add(
            CountRecord(report, measure, "total", "total", label, value, period[0], period[1], page)
        )
    elif totals[measure][0] != value:
        out.problems.append(
            Problem(
                "inconsistent_total",
                f"{name} prints a total {measure} "
                f"of {value:g}, but {totals[measure][1]} prints "
                f"{totals[measure][0]:g}",
                report=report,
                page=page,
            )
        )


def _check_total(
    name: str,
    measure: str,
    total: float,
    parts: list[float | None],
    report: int,
    page: int | None,
    out: TableReading,
    what: str = "rows",
) -> None:
    known = [p for p in parts if p is not None]
    if not parts:
        return
    added = sum(known)
    if (len(known) == len(parts) and abs(added - total) > 1e-9) or added > total + 1e-9:
        out.problems.append(
            Problem(
                "inconsistent_total",
                f"{name}: the {measure} {what} add up to "
                f"{added:g} but the printed total is {total:g}",
                report=report,
                page=page,
            )
        )


def _record(
    kind: str,
    label: str,
    measure: str,
    value: float,
    report: int,
    period: tuple[date | None, date | None],
    page: int | None,
    taxonomy: Taxonomy,
) -> CountRecord:
    start, end = period
    if kind == "cause":
        return CountRecord(
            report,
            measure,
            "cause",
            taxonomy.category_of(label) or UNMAPPED,
            label,
            value,
            start,
            end,
            page,
        )
    if kind == "sector":
        return CountRecord(
            report, measure, "sector", categories.place(label), label, value, start, end, page
        )
    if kind == "age_group":
        return CountRecord(
            report,
            measure,
            "age_group",
            categories.age_group(label),
            label,
            value,
            start,
            end,
            page,
        )
    if kind == "month":
        category, m_start, m_end = categories.month(label, period)
        return CountRecord(report, measure, "month", category, label, value, m_start, m_end, page)
    if kind == "length":
        stat = re.search(r"\b(average|mean|median)\b", label, re.I)
        if stat:
            category = "median" if stat.group(1).lower() == "median" else "average"
            return CountRecord(
                report, "separation_length_days", "length", category, label, value, start, end, page
            )
        return CountRecord(
            report, measure, "length", categories.length_band(label), label, value, start, end, page
        )
    return CountRecord(
        report, _reunification_measure(label), "total", "total", label, value, start, end, page
    )


def _cell_number(
    table: Table, row, col: int, name: str, label: str, report: int, out: TableReading
) -> float | None:
    raw = row.cells[col] if col < len(row.cells) else None
    value = read_number(raw)
    if value is None:
        shown = "a blank cell" if raw is None or not raw.strip() else repr(raw.strip())
        out.problems.append(
            Problem(
                "non_numeric",
                f"{name}: row {label!r}, "
                f"{table.columns[col]!r} holds {shown}, not a number; "
                "not stored",
                report=report,
                page=row.page,
            )
        )
    return value


def _alone(
    axis: Axis,
    measure: str,
    value: float,
    report: int,
    period: tuple[date | None, date | None],
    page: int | None,
) -> CountRecord:
    """The one-dimensional figure of a total: a row's category over the table's period, or a
    month's (fiscal year's) total."""
    if axis.kind in PERIOD_KINDS:
        return CountRecord(
            report,
            measure,
            axis.kind,
            axis.category or axis.label,
            axis.label,
            value,
            axis.start,
            axis.end,
            page,
        )
    return CountRecord(
        report, measure, axis.kind, axis.category, axis.label, value, period[0], period[1], page
    )


def _cell(
    a: Axis,
    b: Axis,
    measure: str,
    value: float,
    report: int,
    period: tuple[date | None, date | None],
    page: int | None,
) -> CountRecord:
    """One cell: the category dimension first, a period as its period, or a second dimension."""
    if a.kind in PERIOD_KINDS:
        a, b = b, a
    if b.kind in PERIOD_KINDS:
        return CountRecord(
            report, measure, a.kind, a.category, a.label, value, b.start, b.end, page
        )
    if PRECEDENCE.index(b.kind) < PRECEDENCE.index(a.kind):
        a, b = b, a
    return CountRecord(
        report,
        measure,
        a.kind,
        a.category,
        a.label,
        value,
        period[0],
        period[1],
        page,
        b.kind,
        b.category,
        b.label,
    )


def _read_crossed(
    table: Table,
    crossing: Crossing,
    report: int,
    period: tuple[date | None, date | None],
    taxonomy: Taxonomy,
    out: TableReading,
    totals: dict[str, tuple[float, str]],
) -> None:
    name = _name(table)
    measure = column_measure(table.title, True)
    if measure is None:  # a table of percentages
        return
    cols = crossing.columns
    data = [i for i, a in enumerate(cols) if a.kind != "total"]
    total_col = next((i for i, a in enumerate(cols) if a.kind == "total"), None)
    col_period = (
        crosstab.span([cols[i] for i in data], period)
        if crossing.col_kind in PERIOD_KINDS
        else period
    )
    for i in data:
        _note_label(cols[i], table.rows[0].page if table.rows else table.page, name, report, out)
    sums: dict[int, list[float | None]] = {i: [] for i in data}
    row_axes: list[Axis] = []
    total_row = None
    for row in table.rows:
        label = clean_label(row.label)
        if not label or crosstab.is_subtotal(label):
            continue
        if crosstab.is_total(label):
            total_row = total_row or row
            continue
        axis = crosstab.row_axis(label, crossing.row_kind, period, taxonomy)
        if axis.kind in PERIOD_KINDS and axis.start is None:
            out.problems.append(
                Problem(
                    "unmapped_label",
                    f"{name}: row {label!r} names no "
                    f"{axis.kind.replace('_', ' ')} that can be placed",
                    report=report,
                    page=row.page,
                )
            )
        foreign = axis.kind == "cause" and bool(_FOREIGN.search(label))
        if foreign:
            axis = Axis("foreign_government_basis", label, "foreign_government_basis")
        else:
            _note_label(axis, row.page, name, report, out)
            row_axes.append(axis)
        cells: list[float | None] = []
        for i in data:
            value = _cell_number(table, row, i, name, label, report, out)
            cells.append(value)
            if not foreign:
                sums[i].append(value)
            if value is not None:
                out.add(
                    _cell(axis, cols[i], measure, value, report, period, row.page),
                    once=True,
                    where=name,
                )
        known = [c for c in cells if c is not None]
        printed = (
            _cell_number(table, row, total_col, name, label, report, out)
            if total_col is not None
            else None
        )
        if printed is not None:
            _check_total(
                f"{name}, row {label!r}", measure, printed, cells, report, row.page, out, "cells"
            )
            out.add(
                _alone(axis, measure, printed, report, col_period, row.page), once=True, where=name
            )
        if foreign and (printed is not None or len(known) == len(cells)):
            out.foreign_rows.append(
                (label, printed if printed is not None else sum(known), row.page)
            )
    if total_row is None:
        return
    row_period = crosstab.span(row_axes, period) if crossing.row_kind in PERIOD_KINDS else period
    every: list[float | None] = []
    for i in data:
        every.extend(sums[i])
        value = _cell_number(table, total_row, i, name, total_row.label, report, out)
        if value is None:
            continue
        _check_total(
            f"{name}, column {table.columns[i]!r}",
            measure,
            value,
            sums[i],
            report,
            total_row.page,
            out,
            "cells",
        )
        out.add(
            _alone(cols[i], measure, value, report, row_period, total_row.page),
            once=True,
            where=name,
        )
    if total_col is not None:
        grand = _cell_number(table, total_row, total_col, name, total_row.label, report, out)
        if grand is not None:
            _check_total(name, measure, grand, every, report, total_row.page, out, "cells")
            _grand_total(
                name,
                measure,
                grand,
                clean_label(total_row.label),
                report,
                period,
                total_row.page,
                out,
                totals,
            )


def _note_label(axis: Axis, page: int | None, name: str, report: int, out: TableReading) -> None:
    """Cause labels feed the foreign-government assessment; unmapped ones are a problem."""
    if axis.kind != "cause":
        return
    if (axis.label, page) not in out.cause_labels:
        out.cause_labels.append((axis.label, page))
    if axis.category == UNMAPPED and not any(
        p.kind == "unmapped_label" and repr(axis.label) in p.detail for p in out.problems
    ):
        out.problems.append(
            Problem(
                "unmapped_label",
                f"{name}: cause label {axis.label!r} is not "
                "in the taxonomy (scrapers/data/causes.yaml)",
                report=report,
                page=page,
            )
        )
