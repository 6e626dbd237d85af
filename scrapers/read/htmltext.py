"""HTML to text: the one way the monitor turns markup into the words a reader sees, through lxml.

Used by the document reader (``scrapers/read/htmltables.py``: a report page's text, beside its
tables) and by the response check (``scrapers/fetch/response_check.py``: the title and text of a page that
may be a denial or "not found" page). Text is rebuilt with a line break after each block element
so that sentences and cover-like lines ("June 2022") survive; scripts and styles are not text.
Plain text (no markup, see ``scrapers/sniff.py``) is read as it is.
"""

from __future__ import annotations

import re
import threading

BLOCKS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "nav",
    "dt",
    "dd",
    "caption",
    "blockquote",
    "title",
    "hr",
    "thead",
    "tbody",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_SPACES = re.compile(r"[ \t\u00a0]+")


# A byte-order mark says what a page is, whatever it declares (as browsers read it).
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _bom_encoding(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(body) - 3 and exc.reason == "unexpected end of data"


def _agrees(body: bytes, name: str) -> bool:
    """Do the bytes bear out a declared charset? Servers and templates mislabel pages: a
    UTF-8 page sent as ISO-8859-1, a cp1252 page sent as UTF-8, an ASCII page calling itself
    UTF-16. UTF-16/32 markup is full of NUL bytes; a page declared UTF-8 must decode as UTF-8;
    a page declared in a single-byte charset that is valid UTF-8 with non-ASCII characters is
    UTF-8 (real Latin-1 text almost never is)."""
    import codecs

    codec = codecs.lookup(name).name
    head = body[:65536]
    if codec.startswith(("utf-16", "utf-32")):
        return b"\x00" in head[:4096]
    if codec == "utf-8":
        return _is_utf8(head)
    return head.isascii() or not _is_utf8(head)


def encoding_of(body: bytes, content_type: str | None = None) -> str:
    """A byte-order mark's encoding; else the HTTP header's charset, else the page's <meta>
    charset, each only when the bytes agree with it (:func:`_agrees`); else UTF-8 when the bytes
    decode as UTF-8, else cp1252 (what Windows-saved copies use). lxml alone would guess
    Latin-1 for a page without a declaration and garble every dash and quote."""
    bom = _bom_encoding(body)
    if bom:
        return bom
    for found in (
        re.search(r"charset=[\"']?([\w-]+)", content_type or "", re.I),
        _META_CHARSET.search(body[:4096]),
    ):
        if found:
            name = found.group(1)
            name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
            try:
                if _agrees(body, name):
                    return name
            except LookupError:
                continue
    return "utf-8" if _is_utf8(body) else "cp1252"


def _without_nul(body: bytes, encoding: str) -> bytes:
    """NUL bytes in a single- or variable-byte page are noise (browsers drop them): a NUL in a
    table cell would otherwise turn "9" into "9\ufffd", not a number."""
    return body if encoding.lower().startswith(("utf-16", "utf-32")) else body.replace(b"\x00", b"")


# A tree lent by the response check to the parser of the same body, per thread (see parse_html).
_LENT = threading.local()


def parse_html(body: bytes, content_type: str | None = None, *, lend: bool = False):
    """The lxml root of an HTML page, decoded as :func:`encoding_of` says. Raises lxml's
    ``ParserError`` (a ``ValueError``) for a body with no markup at all.

    A fetched page is read twice: by the response check (``scrapers/fetch/response_check.py``), then by its
    source's parser. The check only reads the tree, so it lends it (``lend=True``): the next
    parse in the same thread of the very same bytes object, decoded the same way, takes that
    tree instead of parsing again (once: the parser may change it, e.g. make links absolute).
    Any other parse drops the lent tree."""
    import lxml.html

    encoding = encoding_of(body, content_type)
    lent = getattr(_LENT, "tree", None)
    _LENT.tree = None
    if lent is not None and lent[0] is body and lent[1] == encoding:
        root = lent[2]
    else:
        parser = lxml.html.HTMLParser(encoding=encoding)
        root = lxml.html.document_fromstring(_without_nul(body, encoding), parser=parser)
    if lend:
        _LENT.tree = (body, encoding, root)
    return root


def visible_text(root) -> str:
    """Visible text with a line break after every block element.

    The text of a page is written out by libxslt (:func:`_text_transform`: block elements
    followed by a line break, table cells by two spaces, scripts, styles, noscripts and
    templates left out), not by a walk in Python over every element, which was a fifth of
    reading a listing page; :func:`_walked_text` is that walk, kept for a tree that is not an
    HTML parser's (the two agree on every HTML tree: tests/test_page_read_same_results.py)."""
    return _lines(_raw_text(root))


def _raw_text(root) -> str:
    """The text of ``root`` and its tail, before :func:`_lines` tidies it."""
    import lxml.html

    tag = root.tag
    if not isinstance(tag, str) or not isinstance(root, lxml.html.HtmlMixin) or _small(root):
        return _walked_text(root)
    text = "" if tag in _HIDDEN else str(_text_transform()(root))
    return text + root.tail if root.tail else text


def _small(el) -> bool:
    """An element of a few childless children (a title, a heading): walked quicker than the
    transform, whose every run costs what walking some twenty elements does."""
    return len(el) <= 4 and not any(len(child) for child in el)


def _walked_text(root) -> str:
    out: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _HIDDEN:
            if el.tail:
                out.append(el.tail)
            return
        if el.text and tag:
            out.append(el.text)
        for child in el:
            walk(child)
        if tag in BLOCKS:
            out.append("\n")
        elif tag in ("td", "th"):
            out.append("  ")
        if el.tail:
            out.append(el.tail)

    walk(root)
    return "".join(out)


_HIDDEN = ("script", "style", "noscript", "template")
# One compiled stylesheet per thread: an lxml XSLT object is not shared between threads.
_TRANSFORMS = threading.local()


def _text_transform():
    transform = getattr(_TRANSFORMS, "text", None)
    if transform is None:
        from lxml import etree

        stylesheet = f"""<xsl:stylesheet version="1.0"
            xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
          <xsl:output method="text" encoding="utf-8"/>
          <xsl:template match="{"|".join(_HIDDEN)}"/>
          <xsl:template match="{"|".join(sorted(BLOCKS))}">
            <xsl:apply-templates/><xsl:text>&#10;</xsl:text>
          </xsl:template>
          <xsl:template match="td|th"><xsl:apply-templates/><xsl:text>  </xsl:text></xsl:template>
        </xsl:stylesheet>"""
        transform = _TRANSFORMS.text = etree.XSLT(etree.XML(stylesheet))
    return transform


_STRING = None


def visible_letters(root, enough: int | None = None) -> int:
    """How many non-space characters :func:`visible_text` of ``root`` holds at least (the text
    nodes outside scripts, styles, noscripts and templates): a cheap way to tell that a page is
    not short. Counted as the letters of all of ``root``'s text (XPath's ``string()``) less
    those of each outermost hidden element in it, rather than by testing the ancestors of
    every text node. With ``enough``, counting stops once that many are certain: the answer is
    then at least ``enough`` (the exact count when it is less)."""
    global _STRING
    if _STRING is None:
        from lxml import etree

        _STRING = etree.XPath("string()", smart_strings=False)
    if not isinstance(root.tag, str):
        return 0
    if root.tag in _HIDDEN or any(a.tag in _HIDDEN for a in root.iterancestors()):
        return 0
    hidden = 0
    for el in root.iter(*_HIDDEN):
        if not any(a.tag in _HIDDEN for a in el.iterancestors()):
            hidden += _letters(_STRING(el))
    text = _STRING(root)
    if enough is None:
        return _letters(text) - hidden
    letters = 0
    for start in range(0, len(text), _CHUNK):  # a split at any place keeps every letter
        letters += _letters(text[start : start + _CHUNK])
        if letters - hidden >= enough:
            break
    return letters - hidden


_CHUNK = 4096


def _letters(text: str) -> int:
    return len("".join(text.split()))


def plain_text(body: bytes, content_type: str | None = None) -> str:
    """A text body (a page saved without markup) as lines of text."""
    encoding = encoding_of(body, content_type)
    text = _without_nul(body, encoding).decode(encoding, errors="replace").replace("\r\n", "\n")
    return _lines(text)


def _lines(text: str) -> str:
    """Lines of ``text`` with runs of spaces, tabs and no-break spaces squeezed to one space
    (``_SPACES``), stripped, empty ones dropped. Squeezed over the whole text at once (no run
    crosses a line break), by ``str.replace`` until no two spaces are left: a regex replaced
    every single space of a page with itself, a tenth of reading a listing."""
    text = text.replace("\t", " ").replace("\u00a0", " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return "\n".join(filter(None, map(str.strip, text.splitlines())))
