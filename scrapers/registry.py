"""Finds sources by file name: every ``scrapers/sources/<id>.py`` with a ``SOURCE`` and a
``parse``. Adding a source is adding one file.

The monitor asks a :class:`Registry` for its sources, never this module's functions directly
(``ctx.sources`` in the shell): the default one holds the discovered sources; a test, a
benchmark or a program embedding the monitor passes its own instead of patching globals."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, Iterable

from scrapers.records import Document, ParseResult
from scrapers.source import Source


class UnknownSource(LookupError):
    pass


@dataclass(frozen=True)
class RegisteredSource:
    source: Source
    parse: Callable[[Document], ParseResult]

    @property
    def id(self) -> str:
        return self.source.id


def _module_names() -> list[str]:
    import scrapers.sources as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def load_source(source_id: str) -> RegisteredSource:
    if source_id not in _module_names():
        raise UnknownSource(
            f"unknown source {source_id!r}; known: {', '.join(_module_names()) or 'none'}"
        )
    module = importlib.import_module(f"scrapers.sources.{source_id}")
    source = getattr(module, "SOURCE", None)
    parse = getattr(module, "parse", None)
    if not isinstance(source, Source) or not callable(parse):
        raise UnknownSource(
            f"scrapers/sources/{source_id}.py must define SOURCE = Source(...) and parse()"
        )
    if source.id != source_id:
        raise UnknownSource(
            f"scrapers/sources/{source_id}.py declares id {source.id!r}; "
            "the id must be the file name"
        )
    return RegisteredSource(source, parse)


def all_sources() -> list[RegisteredSource]:
    return [load_source(name) for name in _module_names()]


def source_ids() -> list[str]:
    return _module_names()


class Registry:
    """A set of sources by id: the discovered ones (``Registry()``), or the ones given."""

    def __init__(self, sources: Iterable[RegisteredSource] | None = None) -> None:
        self._given = None if sources is None else {r.id: r for r in sources}

    def ids(self) -> list[str]:
        return source_ids() if self._given is None else sorted(self._given)

    def get(self, source_id: str) -> RegisteredSource:
        """The source ``source_id``; :class:`UnknownSource` (naming the known ones) if none."""
        if self._given is None:
            return load_source(source_id)
        try:
            return self._given[source_id]
        except KeyError:
            raise UnknownSource(
                f"unknown source {source_id!r}; known: {', '.join(self.ids()) or 'none'}"
            ) from None

    def all(self) -> list[RegisteredSource]:
        return all_sources() if self._given is None else [self._given[i] for i in self.ids()]

    def pollable(self) -> list[RegisteredSource]:
        """The sources with listing pages to poll on schedule."""
        return [r for r in self.all() if r.source.start_urls]
