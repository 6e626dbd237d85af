"""Documents obtained by hand (an analyst's download, an archived copy) read and stored the way
fetched ones are.

``parse_file`` reads a saved file with a source's parser and nothing else (`monitor parse`);
``ingest_file`` takes it through the one document path (:mod:`monitor.document_path`: archive, read,
store) as if fetched from its canonical URL at ``fetched_at``, and records the one
``fetch_runs`` row every fetch records, with cycle ``ingest`` (`monitor ingest`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitor.document_path import StoredDocument, record_run, take_in
from monitor.models import FetchRun
from monitor.saved import (  # noqa: F401 - the saved-file API, importable from here too
    DECLARED_BY_SUFFIX,
    SavedFile,
    content_type_of,
    parse_file,
    parse_when,
    read_saved,
)
from scrapers.fetch.archive import Archive, ArchiveWriteError
from scrapers.registry import RegisteredSource
from scrapers.vocabulary import Outcome, values

INGEST_CYCLE = "ingest"
# Outcomes under which nothing of the document was stored but the evidence (archived body,
# snapshot, parse problems and the fetch run).
FAILED = values(Outcome.PARSE_ERROR, Outcome.EMPTY, Outcome.WRONG_TYPE)


def ingest_file(
    session: Session,
    archive: Archive,
    registered: RegisteredSource,
    saved: SavedFile,
    *,
    fetched_at: datetime,
    is_listing: bool | None = None,
) -> tuple[StoredDocument, FetchRun]:
    """Archive, read and store one saved document, and record its fetch run, exactly as a
    fetch would (:mod:`monitor.document_path`); flushes, the caller commits. ``is_listing`` is the
    caller's word (`--listing`); without it a start URL is a listing, anything else a report."""
    try:
        intake = take_in(
            session,
            archive,
            registered,
            url=saved.url,
            body=saved.body,
            fetched_at=fetched_at,
            is_listing=is_listing,
            content_type=saved.content_type,
        )
    except ArchiveWriteError as exc:  # the caller's transaction rolls back
        raise ArchiveWriteError(f"{exc}; nothing of this document was stored") from None
    run = record_run(
        session,
        source_id=registered.id,
        url=intake.snapshot.url,
        started_at=fetched_at,
        finished_at=fetched_at,
        fetch_outcome=Outcome.OK,
        listing=intake.listing,
        intake=intake,
        bytes=len(saved.body),
        cycle=INGEST_CYCLE,
    )
    return intake, run
