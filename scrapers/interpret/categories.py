"""Normalised category names for the non-cause dimensions: places (sector / field office), age
groups, months and lengths of separation. The printed label is kept beside the category on every
count; the category is what lets analysts add up the same place or age band across reports.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from importlib import resources

import yaml

from scrapers.interpret.dates import month_bounds, month_of_label
from scrapers.read.labels import clean_label, match_key


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    text = resources.files("scrapers").joinpath("data/sectors.yaml").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for canonical, aliases in (yaml.safe_load(text).get("places") or {}).items():
        for name in [canonical, *(aliases or [])]:
            table[match_key(str(name))] = canonical
    return table


def place(label: str) -> str:
    """ "Rio Grande Valley Sector" -> "Rio Grande Valley"; unknown places keep their name."""
    known = _places().get(match_key(label))
    if known:
        return known
    return re.sub(r"\s+sector$", "", clean_label(label), flags=re.I)


_DASH = r"\s*(?:-|\u2013|\u2014|to|through)\s*"


def _band(label: str) -> str | None:
    key = clean_label(label).lower()
    key = re.sub(r"\b(?:ages?|years?(?: old)?|yrs?\.?|days?)\b", " ", key)
    m = re.search(r"(\d+)" + _DASH + r"(\d+)", key)
    if m:
        return f"{int(m.group(1))}-{int(m.group(2))}"
    m = re.search(r"\b(?:under|less than|younger than|below)\s+(\d+)", key)
    if m:
        return f"0-{int(m.group(1)) - 1}"
    m = re.search(r"(\d+)\s*(?:\+|plus\b|(?:and|or)\s+(?:older|over|more|above))", key)
    if m:
        return f"{int(m.group(1))}+"
    m = re.search(r"\b(?:more than|over|older than)\s+(\d+)", key)
    if m:
        return f"{int(m.group(1)) + 1}+"
    return None


def age_group(label: str) -> str:
    """ "0–5 years" -> "0-5", "Under 1" -> "0-0", "13 and older" -> "13+"; else the label."""
    return _band(label) or clean_label(label)


def length_band(label: str) -> str:
    """ "31–60 days" -> "31-60", "More than 90 days" -> "91+"; else the label."""
    return _band(label) or clean_label(label)


def month(
    label: str, period: tuple[date | None, date | None]
) -> tuple[str, date | None, date | None]:
    """(category "2021-05", first day, last day) of a month row; the label when unreadable."""
    found = month_of_label(clean_label(label), period)
    if not found:
        return clean_label(label), None, None
    year, number = found
    start, end = month_bounds(year, number)
    return f"{year:04d}-{number:02d}", start, end
