"""Official texts laid out as the units a duty lives in: a section of an act with its
subsections and items, or a paragraph of report language with its list.

GovInfo's renditions differ: the HTML of acts, reports and the Congressional Record is the GPO
text in a <pre> (paragraphs indented, continuation lines flush, ``[[Page 45]]`` markers,
``<<NOTE: ...>>`` margin notes); PDF text is justified and hyphenated, with ``VerDate ... Jkt``
imprints and running heads (``133 STAT. 2534``); copies saved from mirrors lose the
indentation, double-space every line, or run everything into one line. Paragraph boundaries
are therefore read from every cue there is: blank lines, indentation, section and enumerator
markers ("SEC. 235.", "(b)", "(1)"), headings in capitals or centred, report-language headings
("Family Separations.--"), and a sentence that ends a line the next word would have fitted on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from scrapers.discovery.patterns import Patterns

_PAGE_LINE = re.compile(r"^\s*\[\[?Page\s+([^\]]{1,40}?)\]\]?\s*$")
PAGE_MARKER = re.compile(r"\[\[?Page\s+([^\]]{1,40}?)\]\]?")
_STAT_HEAD = re.compile(
    r"^\s*(?:(\d{2,3}) STAT\. (\d{1,5})\b.*|.*\b(\d{2,3}) STAT\. (\d{1,5}))\s*$"
)
_FURNITURE = re.compile(
    r"^\s*(?:VerDate\b.*|.*\bJkt\s+\d+\s+PO\s+\d+\s+Frm\s+\d+.*|\[From the U\.S\. Government "
    r"(?:Publishing|Printing) Office\]|From the Congressional Record Online.*|\[Congressional "
    r"Record Volume.*\]|\[(?:House|Senate|Extensions of Remarks|Daily Digest)\]|\[Pages? [HSED]?"
    r"\d+.*\]|\[DOCID:.*\]|<all>|\d{1,4}|\*(?:\s+\*){2,}.*|Upload: .*|Page \d+: .*)\s*$"
)
_RULE = re.compile(r"^\s*(?:_{3,}|={3,}|-{5,})\s*$")
MARGIN_NOTE = re.compile(r"<<NOTE:.*?>>", re.S)
SECTION = re.compile(r"^\s*(?:SEC(?:TION)?\.?|Sec\.|Section)\s+(\d+[A-Za-z]?(?:-\d+)?)\.\s*")
_ENUM = re.compile(r"^\s*\((?:[a-z]{1,2}|\d{1,3}|[A-Z]{1,2}|[ivx]{1,5})\)\s*")
INLINE_HEADING = re.compile(
    r"^\s*(?P<enum>\([A-Za-z0-9]{1,3}\)\s*)?(?P<h>[A-Z][^\n]{1,110}?)\.\s?--\s*(?=\S)"
)
SECTION_TITLE = re.compile(r"^(?P<t>[A-Z0-9][A-Z0-9 ,;:'()&/-]{2,}[A-Z)])\.\s+")
_DIVISION = re.compile(r"^DIVISION\s+([A-Z]{1,2})\b")
_TITLE = re.compile(r"^TITLE\s+([IVXLC]{1,6})\b")
_LOWER = re.compile(r"[a-z\u00df-\u00ff]")
_UPPER = re.compile(r"[A-Z]")
_SENTENCE_END = re.compile(r"[.:!?][\"')\]]*$")


def normalise(text: str) -> str:
    """Compatibility forms, straight quotes, GPO's ``quotes'', dashes as GPO's "--"."""
    text = unicodedata.normalize("NFKC", text).replace("\u00a0", " ").replace("\u00ad", "")
    text = re.sub(r"``|''|[\u201c\u201d]", '"', text)
    text = re.sub(r"[\u2018\u2019]", "'", text)
    text = re.sub(r"(?<=\d)\u2013(?=\d)", "-", text)
    return re.sub(r"\s*[\u2014\u2013]\s*", "--", text)


@dataclass
class Unit:
    """A section or a report paragraph, as one normalised line of text."""

    text: str
    page: str | None = None
    division: str | None = None
    title: str | None = None
    section: str | None = None
    headings: tuple[str, ...] = ()  # headings in effect, outermost first (inline one last)
    agency: str | None = None  # the innermost agency a heading names


@dataclass
class _Line:
    text: str
    indent: int
    page: str | None


@dataclass
class _Headings:
    division: str | None = None
    title: str | None = None
    agency_heading: str | None = None
    sub_heading: str | None = None
    agency: dict = field(default_factory=dict)  # level -> agency code


def _lines(pages: list[tuple[str | None, str]]) -> list[_Line | None]:
    """Lines without page furniture; None for a paragraph break (a blank line or a rule)."""
    out: list[_Line | None] = []
    for page, raw in pages:
        if out and out[-1] is not None and _SENTENCE_END.search(out[-1].text):
            out.append(None)  # a PDF page that ends a sentence ends its paragraph
        text = MARGIN_NOTE.sub("", normalise(raw).replace("\r\n", "\n").replace("\r", "\n"))
        text = "\n".join(_split_long(line) for line in text.split("\n"))
        lines = text.split("\n")
        double = _double_spaced(lines)
        blank_run, after_marker, after_footer = 0, False, False
        for line in lines:
            if not line.strip():
                blank_run += 1
                if not after_marker and (not double or blank_run >= 2):
                    out.append(None)
                continue
            blank_run = 0
            marker = _PAGE_LINE.match(line)
            stat = _STAT_HEAD.match(line) if "STAT." in line and len(line) < 90 else None
            if marker or stat:
                # a page break is no paragraph break: GPO sets its marker, between blank
                # lines, wherever the page ends, often mid-sentence
                page = (
                    marker.group(1).strip()
                    if marker
                    else f"{stat.group(1) or stat.group(3)} STAT. {stat.group(2) or stat.group(4)}"
                )
                while out and out[-1] is None:
                    out.pop()
                after_marker = True
                continue
            after_marker = False
            if _RULE.match(line):
                out.append(None)
                continue
            if _FURNITURE.match(line):
                number = re.fullmatch(r"\s*(\d{1,4})\s*", line)
                if number and (after_footer or not any(out)):
                    page = number.group(1)  # a PDF page's printed number, at its head
                after_footer = line.lstrip().startswith("VerDate")
                continue
            after_footer = False
            inline = PAGE_MARKER.search(line)
            if inline:
                page = inline.group(1).strip()
                line = PAGE_MARKER.sub(" ", line)
            line = line.rstrip()
            out.append(_Line(line.strip(), len(line) - len(line.lstrip()), page))
    return out


def _split_long(line: str) -> str:
    """A text run into one line (a flattened copy) is cut before sections and report headings."""
    if len(line) < 1500:
        return line
    line = re.sub(r"\s+(?=(?:SEC\.|Sec\.)\s+\d+[A-Za-z]?\.\s)", "\n", line)
    return re.sub(r"(?<=[.!?]) +(?=[A-Z][A-Za-z ,'-]{2,80}\.--)", "\n", line)


def _double_spaced(lines: list[str]) -> bool:
    """Every line followed by one blank line (a PDF transcript): blank lines mean nothing."""
    text_lines = sum(1 for line in lines if line.strip())
    singles = sum(
        1
        for i in range(1, len(lines) - 1)
        if not lines[i].strip() and lines[i - 1].strip() and lines[i + 1].strip()
    )
    return text_lines >= 6 and singles >= 0.6 * text_lines


def _is_caps_heading(text: str) -> bool:
    if len(text) > 150 or _LOWER.search(text) or len(_UPPER.findall(text)) < 3:
        return False
    return not (SECTION.match(text) or _ENUM.match(text) or re.search(r"\d{2,}[,.]\d{3}", text))


def _wrap_width(lines: list[_Line | None]) -> int:
    """The column text was wrapped at: the longest line, outliers (tables, URLs) aside."""
    lengths = sorted(len(l.text) + l.indent for l in lines if l is not None)
    if not lengths:
        return 0
    median = lengths[len(lengths) // 2]
    return max(n for n in lengths if n <= 2 * median)


def blocks(pages: list[tuple[str | None, str]]) -> list[tuple[str, list[_Line]]]:
    """Paragraph-level blocks: ("heading", lines) or ("text", lines)."""
    lines = _lines(pages)
    width = _wrap_width(lines)
    indented = sum(1 for l in lines if l is not None and l.indent > 0)
    flush = sum(1 for l in lines if l is not None and l.indent == 0)
    use_indent = indented >= 2 and flush >= 2
    out: list[tuple[str, list[_Line]]] = []
    prev: _Line | None = None
    for i, line in enumerate(lines):
        if line is None:
            prev = None
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        centred = (
            use_indent
            and line.indent >= 8
            and len(line.text) < 70
            and prev is None
            and nxt is None
            and not _SENTENCE_END.search(line.text)
            and not line.text.endswith((",", ";"))
        )
        if _is_caps_heading(line.text) or centred:
            if out and out[-1][0] == "heading" and prev is not None:
                out[-1][1].append(line)  # a heading wrapped over two lines
            else:
                out.append(("heading", [line]))
            prev = line
            continue
        starts = (
            prev is None
            or not out
            or out[-1][0] == "heading"
            or SECTION.match(line.text)
            or _ENUM.match(line.text)
            or INLINE_HEADING.match(line.text)
            or (use_indent and line.indent > prev.indent)
            or (
                _SENTENCE_END.search(prev.text)
                and width >= 40
                and prev.indent + len(prev.text) + 1 + len(line.text.split()[0]) <= width
            )
        )
        if starts:
            out.append(("text", [line]))
        else:
            out[-1][1].append(line)
        prev = line
    return out


def join_lines(lines: list[_Line]) -> str:
    """One line: words broken by a hyphen at a line end are rejoined."""
    text = ""
    for line in lines:
        piece = line.text.strip()
        if text.endswith("-") and re.search(r"[a-z]-$", text) and piece[:1].islower():
            text = text[:-1] + piece
        else:
            text = f"{text} {piece}" if text else piece
    return re.sub(r"\s+", " ", text).strip()


def _agency_of(text: str, patterns: Patterns) -> str | None:
    for agency in patterns.agencies:
        if agency.heading_pattern.search(text):
            return agency.code
    return None


def units(pages: list[tuple[str | None, str]], patterns: Patterns) -> list[Unit]:
    """Sections and report paragraphs, each with its list items, headings and page."""
    state = _Headings()
    out: list[Unit] = []
    after_heading = True
    for kind, lines in blocks(pages):
        text = join_lines(lines)
        if kind == "heading":
            _enter_heading(state, text, patterns)
            after_heading = True
            continue
        section = SECTION.match(text)
        if (
            out
            and not after_heading
            and not section
            and (_ENUM.match(text) or text.startswith("Provided"))
        ):
            out[-1].text = f"{out[-1].text} {text}"  # a subsection, item or proviso
            continue
        after_heading = False
        inline = INLINE_HEADING.match(text)
        path = _heading_path(state) + ((inline.group("h").strip(),) if inline else ())
        agency = (_agency_of(inline.group("h"), patterns) if inline else None) or next(
            (state.agency[k] for k in ("agency", "title", "division") if k in state.agency), None
        )
        out.append(
            Unit(
                text=text,
                page=lines[0].page,
                division=state.division,
                title=state.title,
                section=f"sec. {section.group(1)}" if section else None,
                headings=path,
                agency=agency,
            )
        )
    return out


def _heading_path(state: _Headings) -> tuple[str, ...]:
    return tuple(h for h in (state.agency_heading, state.sub_heading) if h)


def _enter_heading(state: _Headings, text: str, patterns: Patterns) -> None:
    agency = _agency_of(text, patterns)
    division, title = _DIVISION.match(text), _TITLE.match(text)
    if division:
        state.division, state.title = division.group(1), None
        state.agency_heading = state.sub_heading = None
        state.agency = {"division": agency} if agency else {}
    elif title:
        state.title, state.agency_heading, state.sub_heading = title.group(1), None, None
        state.agency = {k: v for k, v in state.agency.items() if k == "division"}
        if agency:
            state.agency["title"] = agency
    elif agency:
        state.agency_heading, state.sub_heading = _pretty(text), None
        state.agency["agency"] = agency
    else:
        state.sub_heading = _pretty(text)


def _pretty(text: str) -> str:
    """A heading in capitals, in the case a reader would write it."""
    if any(c.islower() for c in text):
        return text
    small = {"and", "of", "the", "for", "on", "to", "in", "a", "an", "or"}
    words = [
        w.lower() if w.lower() in small and i else w.capitalize()
        for i, w in enumerate(text.split())
    ]
    return " ".join(
        w.upper() if w.upper() in {"U.S.", "DHS", "HHS", "ICE", "CBP", "OBIM", "HART"} else w
        for w in words
    )
