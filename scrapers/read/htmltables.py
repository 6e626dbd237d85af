"""HTML pages to text, tables and links, through lxml.

Tables are recognised by what they say, not by CSS classes (which change with every site
redesign): a table's title is its <caption> or the heading just before it; its header is the
<thead>, the rows made only of <th>, or the leading rows without a number in them. Footnote
markers (<sup>) are dropped from labels and cells.

A page's text comes from ``scrapers/read/htmltext.py`` (the one HTML-to-text); plain text saved from
a mirror is read as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapers.read.htmltext import parse_html, plain_text, visible_text
from scrapers.sniff import looks_like_html
from scrapers.read.tables import Row, Table, is_value_like, table_title


@dataclass
class HtmlText:
    root: object | None  # lxml root element (None for plain text)
    text: str
    tables: list[Table]
    title: str | None  # first <h1>, else <title>


NESTED = "(a nested table)"


def _text(el) -> str:
    """Text of an element without <sup> footnote markers, whitespace collapsed."""
    parts: list[str] = []

    def walk(node, top: bool) -> None:
        skip = not isinstance(node.tag, str) or node.tag in ("sup", "script", "style")
        if not skip:
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child, False)
        if not top and node.tail:
            parts.append(node.tail)

    walk(el, True)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _span(cell, name: str) -> int:
    try:
        return max(1, min(int(cell.get(name, "1")), 20))
    except ValueError:
        return 1


def _rows(table) -> list[tuple[list[str], bool]]:
    """(cells, is_header) per row, colspans and rowspans repeated so columns line up (a header
    cell spanning two header rows, "Reason" beside "FY 2022" over "Oct | Nov")."""
    rows = []
    below: dict[int, tuple[int, str]] = {}  # column -> (rows still covered, text) of a rowspan
    for tr in table.iter("tr"):
        if next((a for a in tr.iterancestors() if a.tag == "table"), None) is not table:
            continue  # a row of a nested table
        cells, header = [], tr.getparent() is not None and tr.getparent().tag == "thead"
        tds = [c for c in tr if c.tag in ("td", "th")]
        queue = list(tds)
        while queue or len(cells) in below:
            if len(cells) in below:
                left, text = below.pop(len(cells))
                if left > 1:
                    below[len(cells)] = (left - 1, text)
                cells.append(text)
                continue
            c = queue.pop(0)
            # a table inside a cell is not that cell's number ("1 7" must not read as 17)
            text = NESTED if c.find(".//table") is not None else _text(c)
            down = _span(c, "rowspan")
            for _ in range(_span(c, "colspan")):
                if down > 1:
                    below[len(cells)] = (down - 1, text)
                cells.append(text)
        if tds and all(c.tag == "th" for c in tds) and len(tds) > 1:
            header = True
        if cells:
            rows.append((cells, header))
    return rows


def _title(table) -> str:
    caption = table.find("caption")
    if caption is not None:
        return _text(caption)
    for prev in table.itersiblings(preceding=True):
        if not isinstance(prev.tag, str):
            continue
        text = _text(prev)
        if text and (
            prev.tag in ("h1", "h2", "h3", "h4", "h5", "h6")
            or table_title(text)
            or len(text) <= 160
        ):
            return text
        if text:
            break
    parent = table.getparent()
    return (
        _title(parent)
        if parent is not None
        and parent.tag == "div"
        and len([c for c in parent if isinstance(c.tag, str)]) == 1
        else ""
    )


def _spanning_text(cells: list[str], width: int) -> str | None:
    """The one text of a row that is a single cell across the whole table (a note, a title or
    a date line printed above the headings), else None. A heading row names its columns."""
    texts = {c for c in cells if c}
    if width < 2 or len(texts) != 1:
        return None
    if len(cells) == 1 or (len(cells) >= width and all(c == cells[0] for c in cells)):
        return cells[0]
    return None


def read_tables(root) -> list[Table]:
    tables = []
    for el in root.iter("table"):
        if el.find(".//table") is not None and not table_title(_title(el)):
            continue  # a layout table around other tables (a numbered data table is read)
        rows = _rows(el)
        header_rows, marked = [], []
        while rows and (rows[0][1] or not any(is_value_like(c) for c in rows[0][0][1:])):
            cells, is_heading = rows.pop(0)
            header_rows.append(cells)
            marked.append(is_heading)
            if len(header_rows) == 3:
                break
        width = max((len(c) for c, _h in rows), default=0)
        if not rows or width < 2:
            continue
        title = _title(el)
        stray = []
        # A row the page marks as a heading (<th>, <thead>) stays one, even spanning the table
        # ("Children separated, June 2022" over "Cause | Children"); a plain row that spans the
        # table with one text, above the headings, is not a heading.
        for cells, is_heading in list(zip(header_rows, marked)):
            text = None if is_heading else _spanning_text(cells, width)
            if text is None:
                continue
            header_rows.remove(cells)  # never joined into the column headings
            if table_title(text) and not table_title(title):
                title = text  # "Table 2. Separations by reason" printed as the first row
            else:
                stray.append(text)
        header = [
            " ".join(dict.fromkeys(h[i] for h in header_rows if i < len(h) and h[i]))
            for i in range(width)
        ]
        numbered = table_title(title)
        tables.append(
            Table(
                title=numbered[1] if numbered else title,
                label_header=header[0] if header else "",
                columns=header[1:],
                rows=[
                    Row(
                        cells[0],
                        [c if c != "" else None for c in cells[1:width]]
                        + [None] * (width - len(cells)),
                        None,
                    )
                    for cells, _h in rows
                    if cells and cells[0].strip()
                ],
                page=None,
                number=numbered[0] if numbered else None,
                stray_rows=stray,
            )
        )
    return tables


def read_html(body: bytes, content_type: str | None = None) -> HtmlText:
    """Parse HTML (or plain text) into text, tables and the root used for links."""
    if not looks_like_html(body):
        return HtmlText(None, plain_text(body, content_type), [], None)
    root = parse_html(body, content_type)
    h1 = root.find(".//h1")
    title_el = root.find(".//title")
    title = _text(h1) if h1 is not None else (_text(title_el) if title_el is not None else None)
    return HtmlText(
        root,
        visible_text(root.find("body") if root.find("body") is not None else root),
        read_tables(root),
        title or None,
    )
