"""PDF pages to text lines and data tables, through pdfplumber's word geometry.

Tables are found by their printed titles ("Table 3. Separations by Reason") and read by the
structure under them: a header whose words name the columns, then rows whose first cell is a
label and whose other cells sit under those column names. Working from words, not from ruling
lines, reads ruled and unruled tables the same way; where a table is ruled, its horizontal rules
are used to keep the lines of a wrapped cell in one row. A table that runs onto the next page
(under a "Table 3 (continued)" title, or with its rows simply carrying on at the top of the
page) is joined to its first part; a part printed under other column headings (the next months
of a wide table) is left for ``scrapers.interpret.crosstab`` to join column-wise.

Pages are read once: each page's words give both the page text (for titles, periods,
authorities and statements) and its tables, which keeps parsing close to the cost of raw
extraction.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

from scrapers.read.tables import Row, Table, is_continuation_title, is_value_like, table_title

MARGIN = 0.06  # running headers and page numbers live in the top and bottom 6% of a page
# Reading caps. The reports read here run to tens of pages and a few MiB of page content once
# inflated; a file past a cap is a bomb (a few hundred KiB that would keep a poll busy for
# minutes or fill the memory) and is refused as ``too_large``: before it is read (pages,
# inflated bytes) or while it is (reading time, checked after each page).
MAX_PAGES = 1000
MAX_INFLATED_BYTES = 64 * 1024 * 1024  # FlateDecode streams a text reader inflates, all together
MAX_READ_SECONDS = 120.0


class PdfUnreadable(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind  # "parse_error" | "empty" | "too_large"
        self.detail = detail


# ``N G obj << ... >> stream``: a stream's dictionary and where its data begins.
# where a stream's data starts: just after its dictionary's end and the ``stream`` keyword (the
# dictionary is then read back from its object's ``obj``: a pattern from ``obj <<`` to the next
# ``>> stream`` ran to the end of the file for each object that is not a stream, quadratic in a
# file of thousands of page objects: 19 s for a 5,000-page bomb of 0.8 MB)
_STREAM = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_FLATE = (b"FlateDecode", b"Fl")
# Filters that only re-encode bytes as text (bounded growth) and may stand before FlateDecode.
_TEXT_FILTERS = {b"ASCII85Decode": "a85", b"A85": "a85", b"ASCIIHexDecode": "hex", b"AHx": "hex"}
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_CHUNK = 1024 * 1024


def _flate_input(head: bytes, data: bytes) -> bytes | None:
    """The deflate bytes of a stream whose filters end in FlateDecode (text encodings such as
    ASCII85 before it undone); None for any other stream."""
    found = _FILTER.search(head)
    if not found:
        return None
    names = re.findall(rb"/([A-Za-z0-9]+)", found.group(1))
    if not names or names[-1] not in _FLATE:
        return None
    for name in names[:-1]:
        how = _TEXT_FILTERS.get(name)
        if how is None:
            return None  # another decoder first: not measured here (the reader still caps time)
        text = re.sub(rb"\s+", b"", data)
        try:
            if how == "a85":
                data = base64.a85decode(text[:-2] if text.endswith(b"~>") else text)
            else:
                text = text.rstrip(b">")
                data = binascii.unhexlify(text + b"0" * (len(text) % 2))
        except (ValueError, binascii.Error):
            return None
    return data


def inflated_bytes(body: bytes, cap: int = MAX_INFLATED_BYTES) -> int:
    """What the FlateDecode streams of a PDF come to once inflated (images aside: a text
    reader never decodes them), counted a MiB at a time and only up to just past ``cap``, so
    a bomb is measured without being inflated."""
    total = 0
    for match in _STREAM.finditer(body):
        opened = body.rfind(b"obj", 0, match.start())
        if opened < 0:
            continue  # no object around it
        head = body[opened + 3 : match.start()]  # the stream's own dictionary only
        if _IMAGE.search(head):
            continue
        start = match.end()
        length = _LENGTH.search(head)
        end = start + int(length.group(1)) if length else body.find(b"endstream", start)
        data = _flate_input(head, body[start:end] if end > start else body[start:])
        if data is None:
            continue
        inflate = zlib.decompressobj()
        try:
            while data and total <= cap:
                out = inflate.decompress(data, min(_CHUNK, cap + 1 - total))
                if not out:
                    break
                total += len(out)
                data = inflate.unconsumed_tail
        except zlib.error:
            continue  # not deflate data after all: the reader says what it makes of it
        if total > cap:
            break
    return total


@dataclass
class Seg:
    x0: float
    x1: float
    text: str

    @property
    def mid(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class Line:
    top: float
    bottom: float
    segs: list[Seg]
    text: str = ""


@dataclass
class PdfText:
    pages: list[tuple[int, str]]  # (page number from 1, text)
    tables: list[Table]
    page_count: int


_MARKER_TEXT = re.compile(r"^(?:\d{1,2}|[a-z]|[*\u2020\u2021\u00a7]{1,3})$")


def _drop_markers(words: list[dict]) -> list[dict]:
    """Remove footnote markers: a short word, smaller than the word it touches and raised above
    its baseline ("History" + superscript "1"). Judged against the neighbour, not the page, so a
    table printed in a small font keeps its numbers."""
    by_right: dict[int, list[dict]] = {}
    for w in words:
        by_right.setdefault(int(w["x1"]), []).append(w)
    kept = []
    for w in words:
        if _MARKER_TEXT.match(w["text"]):
            near = (
                v for b in range(int(w["x0"]) - 2, int(w["x0"]) + 1) for v in by_right.get(b, ())
            )
            if any(
                v is not w
                and w["size"] < 0.9 * v["size"]
                and -0.5 <= w["x0"] - v["x1"] <= 1.5
                and w["bottom"] < v["bottom"] - 1
                and v["top"] < w["bottom"]
                for v in near
            ):
                continue
        kept.append(w)
    return kept


def _lines(words: list[dict]) -> list[Line]:
    """Words to visual lines; a gap wider than about one em splits a line into cells."""
    groups: list[tuple[float, float, list[dict]]] = []
    for w in sorted(_drop_markers(words), key=lambda w: (round(w["top"]), w["x0"])):
        mid = (w["top"] + w["bottom"]) / 2
        if groups and groups[-1][0] - 1 <= mid <= groups[-1][1] + 1:
            top, bottom, ws = groups[-1]
            groups[-1] = (min(top, w["top"]), max(bottom, w["bottom"]), ws + [w])
        else:
            groups.append((w["top"], w["bottom"], [w]))
    out = []
    for top, bottom, ws in groups:
        ws.sort(key=lambda w: w["x0"])
        segs: list[Seg] = []
        for w in ws:
            if segs and w["x0"] - segs[-1].x1 <= max(8.0, 1.0 * w["size"]):
                segs[-1].x1, segs[-1].text = w["x1"], segs[-1].text + " " + w["text"]
            else:
                segs.append(Seg(w["x0"], w["x1"], w["text"]))
        out.append(Line(top, bottom, segs, " ".join(w["text"] for w in ws)))
    return out


def _rules(page) -> list[float]:
    """y positions of horizontal rules (table borders): edges at one height adding up to 100pt."""
    length: dict[int, float] = {}
    for e in page.horizontal_edges:
        length[round(e["top"])] = length.get(round(e["top"]), 0.0) + e["x1"] - e["x0"]
    merged: list[float] = []
    for y in sorted(y for y, total in length.items() if total >= 100):
        if not merged or y - merged[-1] > 2:
            merged.append(float(y))
    return merged


def _stack(rules: list[float], start: float) -> list[float]:
    """The rules of one ruled table: the first within 30pt below ``start``, then each next one
    closer than 80pt to the one before (a table's rows); empty for an unruled table."""
    stack: list[float] = []
    for y in rules:
        if not stack:
            if start - 2 <= y <= start + 30:
                stack.append(y)
        elif y - stack[-1] < 80:
            stack.append(y)
        else:
            break
    return stack if len(stack) >= 2 else []


def _merge(seg_lists: list[list[Seg]]) -> list[Seg]:
    """Cells of several lines in one: segments that overlap horizontally are one cell."""
    cells: list[Seg] = []
    for segs in seg_lists:
        for s in segs:
            hit = next((c for c in cells if c.x0 <= s.mid <= c.x1 or s.x0 <= c.mid <= s.x1), None)
            if hit:
                hit.x0, hit.x1, hit.text = (
                    min(hit.x0, s.x0),
                    max(hit.x1, s.x1),
                    f"{hit.text} {s.text}",
                )
            else:
                cells.append(Seg(s.x0, s.x1, s.text))
    return sorted(cells, key=lambda c: c.x0)


@dataclass
class _Builder:
    """Reads one table (or one page's part of it) line by line after its title."""

    number: str | None
    title: str
    page: int
    rules: list[float] = field(default_factory=list)
    label_x0: float | None = None
    cols: list[Seg] = field(default_factory=list)
    label_header: str = ""
    rows: list[Row] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # label lines waiting for their numbers
    last_bottom: float | None = None
    done: bool = False

    @staticmethod
    def is_data(line: Line) -> bool:
        return len(line.segs) >= 2 and is_value_like(line.segs[-1].text)

    def _header(self, line: Line) -> None:
        if len(line.segs) == 1 and not self.cols:
            self.title = f"{self.title} {line.text}".strip()  # a subtitle or wrapped title
            return
        if len(line.segs) == 1 and len(self.cols) > 1 and line.segs[0].x1 < self.cols[1].x0:
            self.pending.append(line.text)  # header wrap or a first label: the first row decides
            return
        self.cols = _merge([self.cols, line.segs])

    def _start_data(self, line: Line) -> None:
        self.label_x0 = line.segs[0].x0
        values = line.segs[1:]
        first = line.segs[0].text
        if self.pending and not (first[:1].islower() or first.startswith("(")):
            self.cols[0].text = " ".join([self.cols[0].text] + self.pending)  # a wrapped header
            self.pending = []
        if self.cols and self.cols[0].x0 <= self.label_x0 + 12 and self.cols[0].mid < values[0].x0:
            self.label_header = self.cols.pop(0).text
        if not self.cols:  # no header: the first row's cells define the columns
            self.cols = [Seg(s.x0, s.x1, "") for s in values]

    def repeats_header(self, line: Line) -> bool:
        """The column headings printed again at the top of a continuation page."""
        return [s.text for s in line.segs] == [self.label_header] + [c.text for c in self.cols]

    def value_left(self) -> float:
        return min(c.x0 for c in self.cols) - 6

    def _cells(self, segs: list[Seg]) -> list[str | None]:
        cells: list[str | None] = [None] * len(self.cols)
        for s in segs:
            best = max(
                range(len(self.cols)),
                key=lambda i: (
                    min(s.x1, self.cols[i].x1) - max(s.x0, self.cols[i].x0),
                    -abs(s.mid - self.cols[i].mid),
                ),
            )
            cells[best] = s.text if cells[best] is None else f"{cells[best]} {s.text}"
        return cells

    def feed_band(self, lines: list[Line], page: int) -> None:
        """Lines between two rules of a ruled table are one row when they are the wrapped lines
        of one row (at most one of them carries value cells), or one header when none does.
        Otherwise (booktabs style: rules only around a block of rows) each line is a row."""
        if len(lines) == 1:
            return self.feed(lines[0], page)
        if self.label_x0 is None and not any(map(self.is_data, lines)):
            return self.feed(
                Line(lines[0].top, lines[-1].bottom, _merge([ln.segs for ln in lines])), page
            )
        if (
            self.label_x0 is None
            or sum(1 for ln in lines if any(s.x0 >= self.value_left() for s in ln.segs)) > 1
        ):
            for ln in lines:
                if not self.done:
                    self.feed(ln, page)
            return None
        left = self.value_left()
        label = " ".join(s.text for ln in lines for s in ln.segs if s.x0 < left)
        cells = _merge([[s for s in ln.segs if s.x0 >= left] for ln in lines])
        segs = ([Seg(self.label_x0, self.label_x0 + 1, label)] if label else []) + cells
        return self.feed(
            Line(lines[0].top, lines[-1].bottom, segs, " ".join(sg.text for sg in segs)), page
        )

    def feed(self, line: Line, page: int) -> None:
        """Take the next line (or ruled band); sets ``done`` when the table has ended."""
        if (
            self.rows
            and self.last_bottom is not None
            and line.top - self.last_bottom > 2.5 * (line.bottom - line.top) + 6
        ):
            self.done = True  # a wide vertical gap ends a table
            return
        if self.label_x0 is None:
            if self.is_data(line):
                self._start_data(line)
            else:
                self._header(line)
                return
        left = self.value_left()
        first = line.segs[0]
        if first.x0 < self.label_x0 - 6:
            self.done = True
            return
        if first.x0 >= left:  # cells without a label: they belong to a label line above
            if self.pending:
                self.rows.append(Row(" ".join(self.pending), self._cells(line.segs), page))
                self.pending, self.last_bottom = [], line.bottom
            return
        if len(line.segs) == 1:
            text = first.text
            if first.x1 > left or text.lower().startswith(("note", "source")):
                self.done = True  # prose under the table
                return
            prev = self.rows[-1].label if self.rows else ""
            if (
                self.rows
                and not self.pending
                and (text[:1].islower() or prev.count("(") > prev.count(")"))
            ):
                self.rows[-1].label = f"{prev} {text}"
            else:
                self.pending.append(text)
            self.last_bottom = line.bottom
            return
        self.rows.append(
            Row(" ".join(self.pending + [first.text]), self._cells(line.segs[1:]), page)
        )
        self.pending, self.last_bottom = [], line.bottom

    def table(self) -> Table:
        return Table(
            self.title,
            self.label_header,
            [c.text for c in self.cols],
            self.rows,
            self.page,
            self.number,
        )


def _page_tables(
    lines: list[Line], page_no: int, height: float, rules: list[float], carried: _Builder | None
) -> tuple[list[_Builder], _Builder | None]:
    """Tables on one page; returns them and the table still open at the page end (if any)."""
    content = [
        ln for ln in lines if ln.top >= MARGIN * height and ln.bottom <= (1 - MARGIN) * height
    ]
    found: list[_Builder] = []
    current: _Builder | None = None
    i = 0
    if carried is not None and content and table_title(content[0].text) is None:
        first = content[0]
        if carried.label_x0 is None:  # the title was left at the foot of the previous page
            current = carried
            current.rules = _stack(rules, first.top - 20)
        elif carried.is_data(first) or carried.repeats_header(first):
            current = _Builder(
                carried.number,
                carried.title + " (continued)",
                page_no,
                _stack(rules, first.top - 20),
                carried.label_x0,
                [Seg(c.x0, c.x1, c.text) for c in carried.cols],
                carried.label_header,
            )
            found.append(current)
            i = 0 if carried.is_data(first) else 1
    ends_with_title = False
    while i < len(content):
        line = content[i]
        ends_with_title = False
        title = table_title(line.text)
        if title:
            current = _Builder(title[0], title[1], page_no, _stack(rules, line.bottom))
            found.append(current)
            ends_with_title = True
        elif current is not None and not current.done:
            band = [line]
            if current.rules and current.rules[0] <= line.top <= current.rules[-1]:
                below = next(y for y in current.rules if y >= line.top)
                while i + 1 < len(content) and content[i + 1].bottom <= below + 1:
                    i += 1
                    band.append(content[i])
            current.feed_band(band, page_no)
        i += 1
    open_table = None
    if current is not None and not current.done and (current.rows or ends_with_title):
        open_table = current  # rows may go on, or the table under this title start, overleaf
    return found, open_table


def _join(builders: list[_Builder]) -> list[Table]:
    """Join the parts of split tables; drop titles that had no rows (e.g. a list of tables)."""
    tables: list[Table] = []
    for b in builders:
        t = b.table()
        if not t.rows:
            continue
        prev = tables[-1] if tables else None
        if (
            prev
            and t.number
            and t.number == prev.number
            and len(t.columns) == len(prev.columns)
            and (is_continuation_title(t.title) or t.page == (prev.rows[-1].page or 0) + 1)
            and (t.columns == prev.columns or not any(t.columns))
        ):
            # (a part under other column headings carries the next columns of a wide table:
            # scrapers.interpret.crosstab.merge_column_parts joins it)
            prev.rows.extend(t.rows)
            continue
        tables.append(t)
    return tables


def _ends_after_eof(body: bytes) -> bool:
    """Bytes after the last ``%%EOF`` that every PDF reader ignores: NUL padding from a download
    manager, or a page a server appended. Such a file is whole, not truncated."""
    end = body.rfind(b"%%EOF")
    if end < 0:
        return False
    tail = body[end + 5 :]
    return not tail.strip(b"\x00\r\n\t ") or b"%PDF" not in tail and b"obj" not in tail


def _declared_pages(pdf) -> int | None:
    """The page count the PDF's page tree declares (its root's ``/Count``), or None when it
    declares none that can be read."""
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(pdf.doc.catalog.get("Pages")).get("Count"))
    except Exception:  # noqa: BLE001 - a broken tree: the pages themselves are counted
        return None
    return count if isinstance(count, int) and count >= 0 else None


def read_pdf(
    body: bytes,
    *,
    max_pages: int = MAX_PAGES,
    max_inflated: int = MAX_INFLATED_BYTES,
    max_seconds: float = MAX_READ_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> PdfText:
    """Text and tables of a PDF; raises PdfUnreadable for what cannot be read, ``too_large``
    for a file past a reading cap (``clock``: monotonic seconds, for the reading time)."""
    import pdfplumber

    started = clock()
    if b"%%EOF" not in body[-2048:] and not _ends_after_eof(body):
        raise PdfUnreadable("parse_error", "the PDF is truncated (no %%EOF at its end)")
    inflated = inflated_bytes(body, max_inflated)
    if inflated > max_inflated:
        raise PdfUnreadable(
            "too_large",
            f"the PDF's compressed streams inflate to more than "
            f"{max_inflated:,} bytes (from {len(body):,} bytes of file: a "
            "decompression bomb?); it was not read",
        )
    try:
        pdf = pdfplumber.open(io.BytesIO(body))
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many types; all mean unreadable
        cause = exc.args[0] if exc.args else exc
        name = type(cause).__name__
        what = "encrypted" if "Password" in name or "Encrypt" in name else "corrupt or unreadable"
        why = f"{name}: {cause}" if str(cause) else name
        raise PdfUnreadable("parse_error", f"the PDF is {what} ({why})") from None
    declared = _declared_pages(pdf)
    if declared is not None and declared > max_pages:
        # refused on what the file says, before pdfplumber builds every page object (about
        # 4 ms a page: a 5,000-page bomb cost 20 s of CPU just to be counted); not closed
        # through pdfplumber either, whose close builds them all to close each
        raise PdfUnreadable(
            "too_large",
            f"the PDF has {declared:,} pages, more "
            f"than the {max_pages:,} a report is read to (a page bomb?)",
        )
    pages: list[tuple[int, str]] = []
    builders: list[_Builder] = []
    try:
        with pdf:
            carried = None
            if len(pdf.pages) > max_pages:  # a page tree that says fewer than it holds
                raise PdfUnreadable(
                    "too_large",
                    f"the PDF has {len(pdf.pages):,} pages, more "
                    f"than the {max_pages:,} a report is read to (a page bomb?)",
                )
            for number, page in enumerate(pdf.pages, start=1):
                if clock() - started > max_seconds:
                    raise PdfUnreadable(
                        "too_large",
                        f"reading the PDF took more than "
                        f"{max_seconds:g} s (stopped before page {number} of "
                        f"{len(pdf.pages)}); it was not read",
                    )
                words = page.extract_words(extra_attrs=["size"])
                lines = _lines(words)
                pages.append((number, "\n".join(ln.text for ln in lines)))
                if any(table_title(ln.text) for ln in lines) or carried is not None:
                    rules = _rules(page) if page.lines or page.rects else []
                    found, carried = _page_tables(lines, number, float(page.height), rules, carried)
                    builders.extend(found)
                page.close()
            page_count = len(pdf.pages)
    except PdfUnreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - a page that cannot be read makes the file unreadable
        raise PdfUnreadable(
            "parse_error", f"the PDF could not be read ({type(exc).__name__}: {exc})"
        ) from None
    if not any(text.strip() for _n, text in pages):
        raise PdfUnreadable(
            "empty", f"the PDF has {len(pages)} page(s) but no text layer (scanned images need OCR)"
        )
    return PdfText(pages, _join(builders), page_count)
