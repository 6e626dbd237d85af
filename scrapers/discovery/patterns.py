"""``scrapers/data/discovery.yaml`` read and compiled once: topics, agencies, recipients, the
duty's verbs and nouns, and the cadence phrases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

I = re.IGNORECASE


class PatternsError(ValueError):
    """discovery.yaml itself is wrong (a bad regular expression, a missing section)."""


@dataclass(frozen=True)
class Topic:
    name: str
    any: tuple[re.Pattern, ...]
    near: tuple[tuple[re.Pattern, re.Pattern, int], ...]

    def found_in(self, text: str) -> bool:
        if any(p.search(text) for p in self.any):
            return True
        for first, second, words in self.near:
            for m in first.finditer(text):
                lo = _word_offset(text, m.start(), -words)
                hi = _word_offset(text, m.end(), words)
                if second.search(text, lo, hi):
                    return True
        return False


def _word_offset(text: str, pos: int, words: int) -> int:
    """The position ``words`` words before (negative) or after ``pos`` (text is normalised:
    one space between words)."""
    reach = 40 * abs(words)
    if words < 0:
        head = text[max(0, pos - reach) : pos].split(" ")
        return max(0, pos - len(" ".join(head[words - 1 :])))
    tail = text[pos : pos + reach].split(" ")
    return min(len(text), pos + len(" ".join(tail[: words + 1])))


@dataclass(frozen=True)
class Agency:
    code: str
    department: str | None
    pattern: re.Pattern  # case-sensitive: "ICE", not "ice"
    heading_pattern: re.Pattern  # for headings in capitals: full names only, any case


@dataclass(frozen=True)
class Patterns:
    topics: tuple[Topic, ...]
    agencies: tuple[Agency, ...]
    generic_department: re.Pattern
    generic_component: re.Pattern
    recipients: tuple[tuple[re.Pattern, tuple[str, ...]], ...]
    report_verbs: str
    publish_verbs: str
    transfer_verbs: str
    report_nouns: re.Pattern
    negations: re.Pattern
    cadences: tuple[tuple[str, re.Pattern], ...]  # (cadence, phrase), "other" included


def _compile(expr: str, flags: int = I) -> re.Pattern:
    try:
        return re.compile(expr, flags)
    except re.error as exc:
        raise PatternsError(f"discovery.yaml: bad pattern {expr!r}: {exc}") from exc


def _alternation(items: list[str], flags: int = 0) -> str:
    for item in items:
        _compile(item, flags)
    return "(?:" + "|".join(items) + ")"


def build(data: dict) -> Patterns:
    try:
        topics = tuple(
            Topic(
                name,
                tuple(_compile(p) for p in spec.get("any") or [])
                + tuple(_compile(p, 0) for p in spec.get("case_sensitive") or []),
                tuple((_compile(a), _compile(b), int(n)) for a, b, n in spec.get("near") or []),
            )
            for name, spec in data["topics"].items()
        )
        agencies = []
        for code, spec in data["agencies"].items():
            names = spec["names"]
            full = [n for n in names if " " in n]
            agencies.append(
                Agency(
                    code,
                    spec.get("department"),
                    _compile(r"\b" + _alternation(names) + r"\b", 0),
                    _compile(r"\b" + _alternation(full or names) + r"\b"),
                )
            )
        generic = data["generic_actors"]
        recipients = tuple(
            (_compile(r["pattern"], 0), tuple(r["gives"])) for r in data["recipients"]
        )
        duty = data["duty"]
        cadences = tuple(
            (name, _compile(p)) for name, phrases in data["cadences"].items() for p in phrases
        )
        return Patterns(
            topics=topics,
            agencies=tuple(agencies),
            generic_department=_compile(r"\b" + _alternation(generic["department"]) + r"\b", 0),
            generic_component=_compile(r"\b" + _alternation(generic["component"]) + r"\b", 0),
            recipients=recipients,
            report_verbs=_alternation(duty["report_verbs"], I),
            publish_verbs=_alternation(duty["publish_verbs"], I),
            transfer_verbs=_alternation(duty["transfer_verbs"], I),
            report_nouns=_compile(duty["report_nouns"]),
            negations=_compile(duty["negations"]),
            cadences=cadences,
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, PatternsError):
            raise
        raise PatternsError(f"discovery.yaml is malformed: {type(exc).__name__}: {exc}") from exc


@lru_cache(maxsize=1)
def load() -> Patterns:
    text = resources.files("scrapers").joinpath("data/discovery.yaml").read_text(encoding="utf-8")
    return build(yaml.safe_load(text))


def topics_in(text: str, patterns: Patterns | None = None) -> tuple[str, ...]:
    """The monitor's topics the text names, in the order of discovery.yaml."""
    patterns = patterns or load()
    return tuple(t.name for t in patterns.topics if t.found_in(text))
