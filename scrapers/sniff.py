"""What are these bytes? The one place that tells a PDF from an HTML page, a PNG, a ZIP or random
binary, by the body's first bytes (magic numbers), whatever a server's Content-Type or a file's
name claims.

Used by the fetcher's response check (``scrapers/fetch/response_check.py``: is the body the type the link
promised?), the document reader (``scrapers/read/documents.py``: which reader to hand it to, or
``wrong_type`` before any reader runs) and ``monitor ingest`` (the type recorded with a saved
file). Pure: bytes in, a :class:`Sniffed` out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PDF = "application/pdf"
HTML = "text/html"
XML = "application/xml"
TEXT = "text/plain"
BINARY = "application/octet-stream"
ZIP = "application/zip"

# How much of a body is looked at.
HEAD = 4096

# (media type, what it is in words, signature at offset 0). Order matters only where one
# signature is a prefix of another.
_SIGNATURES: tuple[tuple[str, str, bytes], ...] = (
    ("image/png", "a PNG image", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", "a JPEG image", b"\xff\xd8\xff"),
    ("image/gif", "a GIF image", b"GIF87a"),
    ("image/gif", "a GIF image", b"GIF89a"),
    ("image/tiff", "a TIFF image", b"II*\x00"),
    ("image/tiff", "a TIFF image", b"MM\x00*"),
    ("application/gzip", "a gzip archive", b"\x1f\x8b"),
    ("application/x-bzip2", "a bzip2 archive", b"BZh91AY&SY"),
    ("application/x-7z-compressed", "a 7-Zip archive", b"7z\xbc\xaf\x27\x1c"),
    ("application/vnd.rar", "a RAR archive", b"Rar!\x1a\x07"),
    (
        "application/x-ole-storage",
        "a legacy Microsoft Office file (DOC, XLS or PPT)",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    ),
    ("application/rtf", "an RTF document", b"{\\rtf"),
    ("application/postscript", "a PostScript file", b"%!PS"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Office Open XML and OpenDocument are ZIP archives; their first entries tell them apart.
_ZIP_KINDS: tuple[tuple[bytes, str, str], ...] = (
    (
        b"word/",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "a Word document (DOCX)",
    ),
    (
        b"xl/",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "an Excel workbook (XLSX)",
    ),
    (
        b"ppt/",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "a PowerPoint presentation (PPTX)",
    ),
    (
        b"mimetypeapplication/vnd.oasis.opendocument",
        "application/vnd.oasis.opendocument",
        "an OpenDocument file",
    ),
)
_WEBP = re.compile(rb"^RIFF....WEBP", re.S)
# Markup: a tag an HTML page has near its start. A plain-text copy of a page has none.
_HTML_TAG = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|div|p|table|h[1-6]|a|ul|section|"
    rb"title|meta)\b",
    re.I,
)
_XML_DECL = re.compile(rb"^<\?xml\b", re.I)
_SVG = re.compile(rb"<svg\b", re.I)
_BOMS = (b"\xef\xbb\xbf",)
_TEXT_CONTROLS = {9, 10, 12, 13, 27}
_DESCRIPTIONS = {
    PDF: "a PDF document",
    HTML: "an HTML page",
    XML: "an XML document",
    TEXT: "plain text",
    BINARY: "binary data of no known document type",
    ZIP: "a ZIP archive",
    "image/svg+xml": "an SVG image",
    "image/webp": "a WebP image",
}


@dataclass(frozen=True)
class Sniffed:
    media_type: str  # e.g. "application/pdf", "image/png", "text/plain"
    description: str  # "a PNG image": for one-line problems and errors

    @property
    def is_pdf(self) -> bool:
        return self.media_type == PDF

    @property
    def is_text(self) -> bool:
        """Text a document reader can read: HTML, XML or plain text."""
        return self.media_type in (HTML, XML, TEXT)


def _strip(head: bytes) -> bytes:
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
    return head.lstrip()


def is_pdf(body: bytes) -> bool:
    """The PDF signature ``%PDF`` at the start (after a byte-order mark or whitespace)."""
    return _strip(body[:1024]).startswith(b"%PDF")


def _wide_text(head: bytes) -> bytes | None:
    """The head of a UTF-16 text with a byte-order mark, as UTF-8 (its markup is half NUL
    bytes, which would otherwise make it binary); None when there is no such mark."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace").encode("utf-8")
    return None


def looks_like_html(body: bytes) -> bool:
    """Markup of an HTML page near the start (a plain-text copy of a page has none)."""
    head = body[:HEAD]
    return bool(_HTML_TAG.search(_wide_text(head) or head))


def _looks_textual(head: bytes) -> bool:
    if not head:
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if (b < 32 and b not in _TEXT_CONTROLS) or b == 127)
    if controls > max(2, len(head) // 50):
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the end of the head
            return True
    high = sum(1 for b in head if b >= 0x80)
    return high <= len(head) * 0.3  # cp1252 text has some, random bytes half


def sniff(body: bytes) -> Sniffed:
    """What the body is, by its bytes alone."""
    head = body[:HEAD]
    if is_pdf(body):
        return Sniffed(PDF, _DESCRIPTIONS[PDF])
    wide = _wide_text(head)
    if wide is not None and sniff(wide).is_text:
        return sniff(wide)
    for media, description, magic in _SIGNATURES:
        if head.startswith(magic):
            return Sniffed(media, description)
    if head.startswith(_ZIP_MAGIC):
        window = body[:65536]
        for marker, media, description in _ZIP_KINDS:
            if marker in window:
                return Sniffed(media, description)
        return Sniffed(ZIP, _DESCRIPTIONS[ZIP])
    if _WEBP.match(head):
        return Sniffed("image/webp", _DESCRIPTIONS["image/webp"])
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00":
        return Sniffed("image/bmp", "a BMP image")
    stripped = _strip(head)
    if looks_like_html(head) and (stripped.startswith(b"<") or _looks_textual(head)):
        return Sniffed(HTML, _DESCRIPTIONS[HTML])
    if _XML_DECL.match(stripped) and _looks_textual(head):
        if _SVG.search(head):
            return Sniffed("image/svg+xml", _DESCRIPTIONS["image/svg+xml"])
        return Sniffed(XML, _DESCRIPTIONS[XML])
    if _looks_textual(head):
        return Sniffed(TEXT, _DESCRIPTIONS[TEXT])
    return Sniffed(BINARY, _DESCRIPTIONS[BINARY])


def media_type(content_type: str | None) -> str | None:
    """``text/html; charset=utf-8`` -> ``text/html``."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


# Declared types that say little about the body: the bytes decide.
_VAGUE = (
    None,
    PDF,
    BINARY,
    "binary/octet-stream",
    TEXT,
    "application/x-download",
    "application/force-download",
    "application/download",
)


def effective_type(content_type: str | None, body: bytes) -> str:
    """The type the body really is, for checking a response against the type a link promised.

    A recognised signature (PDF, image, archive, Office file) or bytes of no text at all beat
    the header; XHTML is HTML; HTML beats a vague header (none, octet-stream, text/plain, or a
    PDF that is not one); a body declared PDF or nothing is what its bytes are; otherwise the
    declared type stands (``application/json`` stays JSON).
    """
    found = sniff(body).media_type
    if found not in (HTML, XML, TEXT):
        return found
    declared = media_type(content_type)
    if declared == "application/xhtml+xml":
        return HTML
    if found == HTML and declared in _VAGUE:
        return HTML
    if declared in (None, PDF, BINARY, "binary/octet-stream"):
        return found
    return declared
