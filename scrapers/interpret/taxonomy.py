"""The cause taxonomy: canonical categories of separation and how a printed label finds one, read
from ``scrapers/data/causes.yaml`` (data, not code: a new wording is a data edit).

A label is matched in two steps (the YAML file's header says the same for its editors):

1. an exact wording listed under a category (compared by :func:`labels.match_key`) decides;
2. otherwise each category's ``names`` (phrases) and ``patterns`` (regular expressions) are
   searched in the label's word form (:func:`labels.match_words`). The label gets a category
   only when exactly one category names it and none of that category's ``excludes`` occurs in
   it. Two categories named, or none, is no category: ``category_of`` never guesses, and the
   caller records the label as ``unmapped`` with a problem (:meth:`Taxonomy.why_unmapped` says
   which case it is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from scrapers.read.labels import match_key, match_words

UNMAPPED = "unmapped"
_CATEGORY_KEYS = {"description", "labels", "names", "patterns", "excludes"}


class TaxonomyError(ValueError):
    """The taxonomy file itself is wrong (a label under two categories, a missing section)."""


def phrase(text: str) -> re.Pattern[str]:
    """A phrase of words (``word*`` = any word starting so) as a pattern over the word form."""
    parts: list[str] = []
    for token in str(text).split():
        prefix = token.endswith("*")
        core = token.rstrip("*")
        if prefix:
            words = match_key(core).split()
            if words:
                parts.extend(re.escape(w) for w in words[:-1])
                parts.append(re.escape(words[-1]) + "[a-z0-9]*")
        else:
            parts.extend(re.escape(w) for w in match_words(core).split())
    if not parts:
        raise TaxonomyError(f"phrase {text!r} has no words to match (only filler words?)")
    return re.compile(r"(?<![a-z0-9])" + " ".join(parts) + r"(?![a-z0-9])")


@dataclass(frozen=True)
class CategoryRule:
    """What names one category in a label, and what stops it."""

    category: str
    names: tuple[re.Pattern[str], ...]
    excludes: tuple[re.Pattern[str], ...]

    def named_in(self, words: str) -> bool:
        return any(p.search(words) for p in self.names)

    def excluded_by(self, words: str) -> str | None:
        for p in self.excludes:
            found = p.search(words)
            if found:
                return found.group(0)
        return None


@dataclass(frozen=True)
class Match:
    """How a label was matched: ``how`` is ``wording`` (an exact listed wording), ``names`` (one
    category named it), ``ambiguous`` (several did), ``excluded`` (one did, but its excludes
    stop it) or ``none``."""

    category: str | None
    how: str
    named: tuple[str, ...] = ()
    excluded_by: str | None = None


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[str, ...]
    by_key: dict[str, str]  # match_key(label) -> category
    rules: tuple[CategoryRule, ...] = ()
    ambiguous_markers: tuple[re.Pattern[str], ...] = ()

    def match(self, label: str) -> Match:
        exact = self.by_key.get(match_key(label))
        if exact is not None:
            return Match(exact, "wording", (exact,))
        words = match_words(label)
        named = tuple(r.category for r in self.rules if r.named_in(words)) if words else ()
        if len(named) > 1:
            return Match(None, "ambiguous", named)
        if not named:
            return Match(None, "none")
        rule = next(r for r in self.rules if r.category == named[0])
        stop = rule.excluded_by(words)
        if stop:
            return Match(None, "excluded", named, stop)
        return Match(named[0], "names", named)

    def category_of(self, label: str) -> str | None:
        """The label's canonical category, or ``None`` when none or several fit."""
        return self.match(label).category

    def why_unmapped(self, label: str) -> str:
        """One clause saying why ``label`` has no category (for the ``unmapped_label`` problem)."""
        found = self.match(label)
        if found.how == "ambiguous":
            return f"names more than one cause ({', '.join(found.named)}) and is not mapped"
        if found.how == "excluded":
            return (
                f"would be {found.named[0]}, but {found.excluded_by!r} excludes it; "
                "it is not mapped"
            )
        if found.category is not None:
            return f"is {found.category}"
        return "is not in the taxonomy"

    def origin_is_ambiguous(self, label: str) -> bool:
        """True when the label's wording admits that the information came from abroad."""
        words = match_words(label)
        return any(marker.search(words) for marker in self.ambiguous_markers)


def _patterns(category: str, field: str, spec: dict, *, regex: bool = False) -> list[re.Pattern]:
    entries = spec.get(field) or []
    if not isinstance(entries, list):
        raise TaxonomyError(f"category {category!r}: {field} must be a list")
    out = []
    for entry in entries:
        if regex:
            try:
                out.append(re.compile(str(entry)))
            except re.error as exc:
                raise TaxonomyError(
                    f"category {category!r}: pattern {entry!r} is not a valid "
                    f"regular expression ({exc})"
                ) from None
        else:
            out.append(phrase(str(entry)))
    return out


def build(data: dict) -> Taxonomy:
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise TaxonomyError("causes.yaml must have a 'categories' mapping")
    by_key: dict[str, str] = {}
    rules: list[CategoryRule] = []
    for category, spec in data["categories"].items():
        spec = spec or {}
        unknown = set(spec) - _CATEGORY_KEYS
        if unknown:
            raise TaxonomyError(
                f"category {category!r} has unknown field(s) "
                f"{', '.join(sorted(unknown))} (known: {', '.join(sorted(_CATEGORY_KEYS))})"
            )
        labels = spec.get("labels") or []
        if not labels:
            raise TaxonomyError(f"category {category!r} lists no labels")
        for label in labels:
            key = match_key(str(label))
            if by_key.get(key, category) != category:
                raise TaxonomyError(
                    f"label {label!r} is listed under {by_key[key]!r} and {category!r}"
                )
            by_key[key] = category
        names = _patterns(category, "names", spec) + _patterns(
            category, "patterns", spec, regex=True
        )
        rules.append(
            CategoryRule(str(category), tuple(names), tuple(_patterns(category, "excludes", spec)))
        )
    markers = tuple(phrase(str(m)) for m in data.get("ambiguous_origin_markers") or [])
    return Taxonomy(tuple(data["categories"]), by_key, tuple(rules), markers)


@lru_cache(maxsize=1)
def load() -> Taxonomy:
    text = resources.files("scrapers").joinpath("data/causes.yaml").read_text(encoding="utf-8")
    return build(yaml.safe_load(text))
