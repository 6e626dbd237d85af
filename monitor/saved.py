"""Saved documents read with a source's parser, with no database: what `monitor parse` needs.

`monitor parse` must start fast and work without a database, so nothing here imports
SQLAlchemy or the models; reading a body is :mod:`monitor.reading`; `monitor.ingest` builds
on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from monitor.errors import MonitorError, NotFound
from monitor.reading import read_document, run_parser  # noqa: F401 - importable from here too
from scrapers import sniff
from scrapers.records import ParseResult
from scrapers.registry import RegisteredSource


@dataclass
class SavedFile:
    body: bytes
    url: str
    url_from_file: bool  # no --url given: the URL names the file, not the publication
    content_type: str


def read_saved(path: str | Path, url: str | None = None) -> SavedFile:
    path = Path(path)
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no such file: {path}") from None
    except IsADirectoryError:
        raise NotFound(f"{path} is a directory, not a document") from None
    except OSError as exc:
        raise MonitorError(f"cannot read {path}: {exc.strerror or exc}") from None
    return SavedFile(body, url or path.resolve().as_uri(), url is None, content_type_of(path, body))


# What a saved file's name says it is: the counterpart of a server's Content-Type header.
DECLARED_BY_SUFFIX = {
    ".pdf": sniff.PDF,
    ".html": sniff.HTML,
    ".htm": sniff.HTML,
    ".xhtml": sniff.HTML,
    ".txt": sniff.TEXT,
}


def content_type_of(path: Path, body: bytes) -> str:
    """The type a saved file was handed over as, recorded with its snapshot as a fetch records
    the server's Content-Type: its name's (``report.pdf``), else what its bytes are
    (``scrapers/sniff.py``). The reader goes by the bytes either way; a page or text named
    ``.pdf`` is ``wrong_type``, as a fetch of it from a PDF address would be."""
    return DECLARED_BY_SUFFIX.get(path.suffix.lower()) or sniff.sniff(body).media_type


def parse_when(text: str) -> datetime:
    """--fetched-at: an ISO datetime (a naive one is taken as UTC) or a date (midnight UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise MonitorError(
                f"--fetched-at {text!r} is not an ISO date or datetime (e.g. 2022-09-30T12:00:00Z)"
            ) from None
        value = datetime(day.year, day.month, day.day)
    return (
        value.replace(tzinfo=timezone.utc)
        if value.tzinfo is None
        else value.astimezone(timezone.utc)
    )


def parse_file(registered: RegisteredSource, saved: SavedFile) -> tuple[ParseResult, str]:
    """Validated parse and its outcome. Nothing is stored, so the document may say what it is
    (:func:`monitor.reading.is_listing`): a listing when it is a start URL or read no report."""
    reading = read_document(
        registered, saved.body, url=saved.url, content_type=saved.content_type, infer=True
    )
    return reading.result, reading.outcome
