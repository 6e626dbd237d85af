"""Documents obtained by hand (an analyst's download, an archived copy) read and stored the way
fetched ones are.

``parse_file`` reads a saved file with a source's parser and nothing else (`monitor parse`);
``ingest_file`` takes it through :func:`monitor.intake.take_in` - archive, parse, validate,
store - as if fetched from its canonical URL at ``fetched_at``, and writes the one
``fetch_runs`` row every fetch writes, with cycle ``ingest`` (`monitor ingest`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy.orm import Session

from monitor.errors import MonitorError, NotFound
from monitor.intake import Intake, run_parser, take_in
from monitor.models import FetchRun
from scrapers import sniff
from scrapers.archive import Archive, ArchiveWriteError
from scrapers.records import Document, ParseResult
from scrapers.registry import RegisteredSource
from scrapers.validate import outcome
from scrapers.vocabulary import Outcome, values

INGEST_CYCLE = "ingest"
# Outcomes under which nothing of the document was stored but the evidence (archived body,
# snapshot, parse problems and the fetch run).
FAILED = values(Outcome.PARSE_ERROR, Outcome.EMPTY, Outcome.WRONG_TYPE)


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
DECLARED_BY_SUFFIX = {".pdf": sniff.PDF, ".html": sniff.HTML, ".htm": sniff.HTML,
                      ".xhtml": sniff.HTML, ".txt": sniff.TEXT}


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
            raise MonitorError(f"--fetched-at {text!r} is not an ISO date or datetime "
                               "(e.g. 2022-09-30T12:00:00Z)") from None
        value = datetime(day.year, day.month, day.day)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def parse_file(registered: RegisteredSource, saved: SavedFile) -> tuple[ParseResult, str]:
    """Validated parse and its outcome: against the listing shape when no report was read."""
    result = run_parser(registered, Document(saved.body, saved.url, saved.content_type))
    source = registered.source
    return result, outcome(result, source.report_shape if result.reports else source.listing_shape)


def ingest_file(session: Session, archive: Archive, registered: RegisteredSource,
                saved: SavedFile, *, fetched_at: datetime, is_listing: bool) -> tuple[Intake, FetchRun]:
    """Archive, parse and store one saved document; flushes, the caller commits."""
    try:
        intake = take_in(session, archive, registered, url=saved.url, body=saved.body,
                         fetched_at=fetched_at, is_listing=is_listing,
                         content_type=saved.content_type)
    except ArchiveWriteError as exc:  # the caller's transaction rolls back
        raise ArchiveWriteError(f"{exc}; nothing of this document was stored") from None
    error = None
    if intake.outcome != "ok" and intake.result is not None:
        error = "; ".join(f"{p.kind}: {p.detail}" for p in intake.result.problems
                          if p.kind in (*FAILED, "layout_changed"))[:2000] or None
    # as a fetch records it: a body already stored at this URL is "unchanged" when it reads fine
    run_outcome = intake.outcome if intake.outcome != "ok" or intake.snapshot_new else "unchanged"
    run = FetchRun(source_id=registered.id, url=intake.snapshot.url, requested_url=None,
                   started_at=fetched_at, finished_at=fetched_at, duration_ms=0,
                   outcome=run_outcome, http_status=None, bytes=len(saved.body), error=error,
                   snapshot_id=intake.snapshot.id, cycle=INGEST_CYCLE, listing=is_listing)
    session.add(run)
    session.flush()
    return intake, run
