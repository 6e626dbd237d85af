"""A source's successful listing reads, as the rules ask for them.

An absence (rules/absence.py) rests on few of a source's listing reads: per listing page, the
first read after a deadline, and the last read of each page by the evaluation time (which pages
were ever read, the latest read, when a page not read since a deadline was last read). A
monitor polling hourly for years has made a hundred thousand reads; the rules never need them
all, so a source's facts carry a :class:`ListingReads`, which answers those two questions:

- :class:`ReadsInMemory`: the reads themselves, a tuple (rule cases, tests, benchmarks);
- ``monitor.fact_gathering.ListingReadLookup``: the database, one index descent per page and
  instant asked about (monitor/run_lookups.py), never a source's whole history.

Both give the same answers for the same reads. The reads of a source are ordered by time, then
by page URL, then (reads of one page at the same instant) in the order they were made: a page's
first read after an instant and its last read are taken in that order, and the source's latest
read is the last in it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Protocol


@dataclass(frozen=True, slots=True)
class ListingRead:
    """One successful read of a listing page (fetch outcome ok / not_modified / unchanged and a
    parse as a listing that found what a listing must hold): what an absence can rest on."""

    url: str
    at: datetime  # when the request started
    sha256: str | None = None  # the body read

    def evidence(self) -> dict:
        return {"url": self.url, "sha256": self.sha256, "read_at": self.at.isoformat()}


# Per listing page (URL): one of its reads.
PageReads = Mapping[str, ListingRead]


class ListingReads(Protocol):
    """What the rules ask of a source's successful listing reads. Only reads made by ``as_of``
    exist; a page that has none by then is left out."""

    def last_reads(self, as_of: datetime) -> PageReads:
        """Per listing page read by ``as_of``: its last read by then."""
        ...

    def first_reads_after(
        self, instants: Iterable[datetime], as_of: datetime
    ) -> dict[datetime, PageReads]:
        """Per instant asked, per listing page read after it by ``as_of``: its first read after
        it. The instants an evaluation will ask about are asked together: a database answers
        them at once."""
        ...


def latest_of(last_reads: PageReads) -> ListingRead | None:
    """The source's latest read, from each page's last: by time, then page URL."""
    return max(last_reads.values(), key=lambda r: (r.at, r.url), default=None)


class ReadsInMemory:
    """Listing reads held as a tuple (in any order: sorted here by time, then page, stably)."""

    __slots__ = ("reads", "_pages")

    def __init__(self, reads: Iterable[ListingRead] = ()) -> None:
        self.reads = tuple(reads)
        self._pages: dict[datetime, dict] = {}

    def _by_page(self, as_of: datetime) -> dict[str, tuple[list[datetime], list[ListingRead]]]:
        """Per page, its reads by ``as_of`` in order, and their times for bisecting."""
        found = self._pages.get(as_of)
        if found is None:
            pages: dict[str, list[ListingRead]] = {}
            for read in sorted(
                (r for r in self.reads if r.at <= as_of), key=lambda r: (r.at, r.url)
            ):
                pages.setdefault(read.url, []).append(read)
            found = self._pages[as_of] = {
                url: ([r.at for r in page], page) for url, page in pages.items()
            }
        return found

    def last_reads(self, as_of: datetime) -> PageReads:
        return {url: page[-1] for url, (_times, page) in self._by_page(as_of).items()}

    def first_reads_after(
        self, instants: Iterable[datetime], as_of: datetime
    ) -> dict[datetime, PageReads]:
        pages = self._by_page(as_of)
        out: dict[datetime, PageReads] = {}
        for at in instants:
            found = out[at] = {}
            for url, (times, page) in pages.items():
                i = bisect_right(times, at)
                if i < len(page):
                    found[url] = page[i]
        return out

    def __iter__(self):
        return iter(self.reads)

    def __len__(self) -> int:
        return len(self.reads)

    def __eq__(self, other) -> bool:
        return isinstance(other, ReadsInMemory) and self.reads == other.reads

    def __hash__(self) -> int:
        return hash(self.reads)

    def __repr__(self) -> str:
        return f"ReadsInMemory({self.reads!r})"
