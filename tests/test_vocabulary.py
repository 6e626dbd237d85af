"""One vocabulary (scrapers/vocabulary.py): what the parsers write in the golden files uses its
words, and the tuples the modules build from it hold plain strings (what the database, JSON and
YAML receive)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from scrapers.vocabulary import (
    SUCCESS_OUTCOMES,
    Dimension,
    Measure,
    ProblemKind,
    StatementKey,
    StatementStatus,
    values,
)

GOLDEN = sorted((Path(__file__).resolve().parent / "fixtures").glob("*/*.expected.json"))


def _words(part: str, field: str) -> set[str]:
    """Every ``field`` of the records in the ``part`` list (counts, statements, problems) of
    every golden file."""
    found: set[str] = set()
    for path in GOLDEN:
        data = json.loads(path.read_text(encoding="utf-8"))
        found.update(r[field] for r in data.get(part) or [] if isinstance(r.get(field), str))
    return found


def test_the_golden_files_speak_the_vocabulary():
    assert GOLDEN
    measures = _words("counts", "measure")
    assert measures and measures <= set(values(Measure))
    dimensions = _words("counts", "dimension") | _words("counts", "dimension2")
    assert dimensions and dimensions <= set(values(Dimension))
    assert _words("statements", "key") <= set(values(StatementKey))
    assert _words("statements", "status") <= set(values(StatementStatus))
    kinds = _words("problems", "kind")
    assert kinds and kinds <= set(values(ProblemKind))


def test_values_are_plain_strings_in_order():
    assert values(StatementStatus) == ("stated", "ambiguous", "not_stated", "not_required")
    assert values(Measure.SEPARATIONS, Dimension.CAUSE) == ("separations", "cause")
    assert all(type(v) is str for v in SUCCESS_OUTCOMES + values(ProblemKind))
    assert yaml.safe_dump(list(SUCCESS_OUTCOMES)) == "- ok\n- not_modified\n- unchanged\n"
