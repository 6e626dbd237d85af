"""A source's successful listing reads, as the rules ask for them.

An absence (rules/absence.py) rests on few of a source's listing reads: per listing page, the
last read at or before a deadline and the first after it, and the source's latest read. A
monitor polling hourly for years has made a hundred thousand reads; the rules never need them
all, so a source's facts carry a :class:`ListingReads`, which answers those two questions:

- :class:`ReadsInMemory`: the reads themselves, a tuple (rule cases, tests, benchmarks);
- ``monitor.fact_gathering.ListingReadLookup``: the database, one index lookup per page asked
  about (monitor/run_lookups.py), never a source's whole history.

Both give the same answers for the same reads. The reads of a source are ordered by time, then
by page URL, then (reads of one page at the same instant) in the order they were made: the
latest read is the last in that order, and a page's reads around an instant are its neighbours
in it.
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


# Per listing page: (its last read at or before an instant, its first read after it).
Around = Mapping[str, tuple[ListingRead | None, ListingRead | None]]


class ListingReads(Protocol):
    """What the rules ask of a source's successful listing reads. Only reads made by ``as_of``
    exist; a page that has none by then is left out."""

    def around(self, at: datetime, as_of: datetime) -> Around:
        """Per listing page read by ``as_of``: its last read at or before ``at`` and its first
        read after ``at`` (each None where there is none)."""
        ...

    def latest(self, as_of: datetime) -> ListingRead | None:
        """The source's last listing read by ``as_of`` (None: never read one)."""
        ...


def latest_of(around: Around) -> ListingRead | None:
    """The last of the pages' reads at or before the instant of ``around``: by time, then page
    URL (a page's own ties are settled in its entry)."""
    return max(
        (before for before, _after in around.values() if before is not None),
        key=lambda r: (r.at, r.url),
        default=None,
    )


class ReadsInMemory:
    """Listing reads held as a tuple (in any order: sorted here by time, then page, stably)."""

    __slots__ = ("reads", "_pages")

    def __init__(self, reads: Iterable[ListingRead] = ()) -> None:
        self.reads = tuple(reads)
        self._pages: dict[datetime, tuple[tuple[ListingRead, ...], dict]] = {}

    def _by_page(self, as_of: datetime) -> tuple[tuple[ListingRead, ...], dict]:
        """The reads by ``as_of`` in order, and per page (read times, reads) for bisecting."""
        found = self._pages.get(as_of)
        if found is None:
            reads = tuple(
                sorted((r for r in self.reads if r.at <= as_of), key=lambda r: (r.at, r.url))
            )
            pages: dict[str, list[ListingRead]] = {}
            for read in reads:
                pages.setdefault(read.url, []).append(read)
            found = self._pages[as_of] = (
                reads,
                {url: ([r.at for r in page], page) for url, page in pages.items()},
            )
        return found

    def around(self, at: datetime, as_of: datetime) -> Around:
        out = {}
        for url, (times, page) in self._by_page(as_of)[1].items():
            i = bisect_right(times, at)
            out[url] = (page[i - 1] if i > 0 else None, page[i] if i < len(page) else None)
        return out

    def latest(self, as_of: datetime) -> ListingRead | None:
        reads = self._by_page(as_of)[0]
        return reads[-1] if reads else None

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
