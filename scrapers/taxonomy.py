"""The cause taxonomy: canonical categories of separation and the printed labels that map to
them, read from ``scrapers/data/causes.yaml`` (data, not code: a new wording is a data edit).

``classify`` never guesses: a label matches a listed wording (after ``labels.match_key``) or it
is ``None``, which the caller records as category ``unmapped`` with a problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from scrapers.labels import match_key

UNMAPPED = "unmapped"


class TaxonomyError(ValueError):
    """The taxonomy file itself is wrong (a label under two categories, a missing section)."""


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[str, ...]
    by_key: dict[str, str]  # match_key(label) -> category
    ambiguous_markers: tuple[str, ...]

    def classify(self, label: str) -> str | None:
        return self.by_key.get(match_key(label))

    def origin_is_ambiguous(self, label: str) -> bool:
        """True when the label's wording admits that the information came from abroad."""
        key = match_key(label)
        return any(marker in key for marker in self.ambiguous_markers)


def build(data: dict) -> Taxonomy:
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise TaxonomyError("causes.yaml must have a 'categories' mapping")
    by_key: dict[str, str] = {}
    for category, spec in data["categories"].items():
        labels = (spec or {}).get("labels") or []
        if not labels:
            raise TaxonomyError(f"category {category!r} lists no labels")
        for label in labels:
            key = match_key(str(label))
            if by_key.get(key, category) != category:
                raise TaxonomyError(f"label {label!r} is listed under {by_key[key]!r} and {category!r}")
            by_key[key] = category
    markers = tuple(match_key(str(m)) for m in data.get("ambiguous_origin_markers") or [])
    return Taxonomy(tuple(data["categories"]), by_key, markers)


@lru_cache(maxsize=1)
def load() -> Taxonomy:
    text = resources.files("scrapers").joinpath("data/causes.yaml").read_text(encoding="utf-8")
    return build(yaml.safe_load(text))
