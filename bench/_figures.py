"""What every benchmark in bench/ reports, so that bench/report.py can put them in one table.

A benchmark is a script ``bench/<name>.py`` (names starting with ``_`` are helpers, and
``report.py`` is the report itself). Besides its human-readable output it must accept:

* ``--json``: print one JSON object on stdout instead, ``{"benchmark": NAME, "figures": [...]}``,
  each figure as :meth:`Figure.to_json` gives it (``figure``, ``value``, ``unit``, ``goal``,
  ``met``); anything else it wants to show goes under ``"details"``;
* ``--quick``: the same measurement on the smallest inputs that still exercise it, so a test can
  check in seconds that the benchmark runs and reports (its figures mean nothing then).

A figure with a goal says whether it was met; a figure without one (``goal`` and ``met`` are
null) is context, e.g. requests made or peak memory.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    figure: str  # what was measured, in words
    value: float | int | bool
    unit: str = ""
    goal: str | None = None  # e.g. "<= 5 s"
    met: bool | None = None

    def to_json(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, float):
            value = round(value, 4)
        return {
            "figure": self.figure,
            "value": value,
            "unit": self.unit,
            "goal": self.goal,
            "met": self.met,
        }


def at_most(figure: str, value: float, limit: float, unit: str = "") -> Figure:
    return Figure(figure, value, unit, f"<= {limit:g}{' ' + unit if unit else ''}", value <= limit)


def at_least(figure: str, value: float, limit: float, unit: str = "") -> Figure:
    return Figure(figure, value, unit, f">= {limit:g}{' ' + unit if unit else ''}", value >= limit)


def holds(figure: str, value: bool) -> Figure:
    return Figure(figure, bool(value), "", "true", bool(value))


def context(figure: str, value: float | int, unit: str = "") -> Figure:
    return Figure(figure, value, unit)


def print_json(
    benchmark: str, figures: list[Figure], details: dict[str, Any] | None = None, stream=None
) -> None:
    out = {"benchmark": benchmark, "figures": [f.to_json() for f in figures]}
    if details:
        out["details"] = details
    json.dump(out, stream or sys.stdout, default=str)
    (stream or sys.stdout).write("\n")
