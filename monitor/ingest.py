"""Documents obtained by hand (an analyst's download, an archived copy) read and stored the way
fetched ones are.

``parse_file`` reads a saved file with a source's parser and nothing else (`monitor parse`);
``ingest_file`` takes it through :func:`monitor.intake.take_in` - archive, parse, validate,
store - as if fetched from its canonical URL at ``fetched_at``, and writes the one
``fetch_runs`` row every fetch writes, with cycle ``ingest`` (`monitor ingest`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitor.intake import Intake, take_in
from monitor.models import FetchRun
from monitor.saved import (  # noqa: F401 - the saved-file API, importable from here too
    DECLARED_BY_SUFFIX, SavedFile, content_type_of, parse_file, parse_when, read_saved,
)
from scrapers.archive import Archive, ArchiveWriteError
from scrapers.registry import RegisteredSource
from scrapers.vocabulary import Outcome, values

INGEST_CYCLE = "ingest"
# Outcomes under which nothing of the document was stored but the evidence (archived body,
# snapshot, parse problems and the fetch run).
FAILED = values(Outcome.PARSE_ERROR, Outcome.EMPTY, Outcome.WRONG_TYPE)


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
