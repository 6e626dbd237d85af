"""Requirement discovery: the paragraphs of an appropriations act, committee report, joint
explanatory statement or Congressional Record page that impose reporting on the monitor's
topics, each as a :class:`Candidate` with its agency, recipients, deadline and citation.

Pure: text or bytes in, plain data out; no database, no network, no clock. The words it looks
for are data (``scrapers/data/discovery.yaml``).

    from scrapers.discovery import DocumentContext, discover, discover_document

    found = discover(text, DocumentContext("PLAW-116publ94", agency="HHS"))
    result = discover_document(body, context_for("CRPT-116srpt125", url=..., title=...),
                               content_type="text/html")
    for candidate in result.candidates:
        candidate.to_json()

Matching an obligation's citation against an official text: :func:`contains_quote`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from scrapers.discovery import body as _body
from scrapers.discovery.find import candidates as _candidates
from scrapers.discovery.layout import MARGIN_NOTE, PAGE_MARKER, normalise, units
from scrapers.discovery.model import (
    ANCHORS,
    CADENCES,
    TOPICS,
    UNKNOWN,
    Candidate,
    Citation,
    Deadline,
    DocumentContext,
)
from scrapers.discovery.patterns import load as load_patterns
from scrapers.discovery.patterns import topics_in
from scrapers.records import Problem

__all__ = [
    "ANCHORS",
    "CADENCES",
    "TOPICS",
    "UNKNOWN",
    "Candidate",
    "Citation",
    "Deadline",
    "Discovery",
    "DocumentContext",
    "contains_quote",
    "context_for",
    "discover",
    "discover_document",
    "topics_in",
]

Text = str | Sequence[tuple[str | None, str]]


@dataclass(frozen=True)
class Discovery:
    """What one document yielded: its candidates, how many units (sections and paragraphs) were
    read, and the problem that stopped the reading, if any."""

    candidates: tuple[Candidate, ...]
    units_read: int
    problem: Problem | None = None

    def to_json(self) -> dict:
        return {
            "candidates": [c.to_json() for c in self.candidates],
            "units_read": self.units_read,
            "problem": None
            if self.problem is None
            else {"kind": self.problem.kind, "detail": self.problem.detail},
        }


def discover(text: Text, context: DocumentContext | str) -> list[Candidate]:
    """The candidates in a text: a string, or (page, text) pairs (a PDF's pages)."""
    return list(_discover(text, context).candidates)


def _discover(text: Text, context: DocumentContext | str) -> Discovery:
    if isinstance(context, str):
        context = DocumentContext(package_id=context)
    pages = [(None, text)] if isinstance(text, str) else list(text)
    patterns = load_patterns()
    read = units(pages, patterns)
    return Discovery(tuple(_candidates(read, context, patterns)), len(read))


def discover_document(
    body: bytes, context: DocumentContext | str, content_type: str | None = None
) -> Discovery:
    """The candidates in a GovInfo rendition (HTML, text or PDF bytes)."""
    pages = _body.pages_of(body, content_type)
    if isinstance(pages, Problem):
        return Discovery((), 0, pages)
    return _discover(pages, context)


_PACKAGE = re.compile(r"^CRPT-\d+(?P<chamber>[hs])rpt\d+", re.I)


def context_for(
    package_id: str, *, url: str | None = None, title: str | None = None
) -> DocumentContext:
    """What a GovInfo package's id and title tell: a House or Senate report's "the Committee"
    is that chamber's Committee on Appropriations; a title naming one department only (DHS or
    HHS) says what "the Secretary" means. An omnibus names several and leaves it to the
    division headings."""
    m = _PACKAGE.match(package_id)
    committee = None
    if m:
        committee = (
            "House" if m.group("chamber").lower() == "h" else "Senate"
        ) + " Committee on Appropriations"
    agency = None
    if title:
        named = {
            code
            for code, words in (
                ("DHS", r"Homeland\s+Security"),
                ("HHS", r"Health\s+and\s+Human\s+Services"),
            )
            if re.search(words, title, re.I)
        }
        agency = named.pop() if len(named) == 1 else None
    return DocumentContext(package_id=package_id, url=url, agency=agency, committee=committee)


def _squash(text: str) -> str:
    text = PAGE_MARKER.sub(" ", MARGIN_NOTE.sub(" ", normalise(text))).lower()
    text = re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def contains_quote(text: str, quote: str) -> bool:
    """Whether ``quote`` appears in ``text``, ignoring case, punctuation, quotes and dashes,
    whitespace, line-break hyphenation, GPO page markers and margin notes (how a citation's
    quote is checked against the official text)."""
    needle = _squash(quote)
    return bool(needle) and needle in _squash(text)
