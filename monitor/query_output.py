"""Rows as an aligned text table, for `monitor query` (widths from the first 1,000 rows, so a
long result is still streamed)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from typing import IO, Iterable

SAMPLE = 1000


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return str(value).replace("\n", " ")


def write_table(names: list[str], batches: Iterable[list[tuple]], out: IO[str]) -> int:
    batches = iter(batches)
    sample: list[tuple] = []
    for batch in batches:
        sample.extend(batch)
        if len(sample) >= SAMPLE:
            break
    widths = [len(n) for n in names]
    for row in sample:
        widths = [max(w, len(cell(v))) for w, v in zip(widths, row)]
    out.write("  ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    count = 0
    for batch in chain([sample], batches):
        for row in batch:
            out.write("  ".join(cell(v).ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
            count += 1
    out.write(f"({count} row{'s' if count != 1 else ''})\n")
    return count
