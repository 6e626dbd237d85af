"""What a findings sync reads of the stored findings: little.

The engine's findings are compared with the stored ones by fingerprint (:func:`fingerprint`:
a hash of what the engine said of a finding, evidence included), so a sync reads one light
tuple per stored finding (:func:`light_rows`) and whole rows only for those that change
(:func:`whole_rows`). The rows a sync reports as current are read when someone asks for them
(:class:`FindingRows`), not to count them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterable, Iterator, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import FindingRow
from rules.findings import FAMILIES

CHUNK = 500  # ids per IN list (SQLite allows some thousands of parameters)


def fingerprint(values: dict) -> str:
    """sha256 of a finding's stored fields as the sync writes them (``_fields``: dates, the
    evidence already plain). Equal fingerprints: the same kind and the same fields."""
    text = json.dumps(
        [[name, values[name]] for name in sorted(values)],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_text,
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _text(value) -> str:
    """JSON for what is not JSON: the date and datetime fields (``isoformat``), and anything
    else by its type and repr (a value the engine never puts in a finding)."""
    iso = getattr(value, "isoformat", None)
    if iso is not None:
        return f"{type(value).__name__}:{iso()}"
    return f"{type(value).__name__}:{value!r}"


class Light(NamedTuple):
    id: int
    key: str
    state: str
    snoozed_until: object
    fingerprint: str | None


def light_rows(session: Session, scope: Iterable[str] | None) -> list[Light]:
    """(id, key, state, snoozed until, fingerprint) of the engine's findings (of the
    obligations in ``scope``, None: all), by id."""
    query = select(
        FindingRow.id,
        FindingRow.key,
        FindingRow.state,
        FindingRow.snoozed_until,
        FindingRow.fingerprint,
    ).where(FindingRow.family.in_(FAMILIES))
    if scope is not None:
        query = query.where(FindingRow.obligation_id.in_(sorted(scope)))
    return [Light(*row) for row in session.execute(query.order_by(FindingRow.id))]


def whole_rows(session: Session, ids: Iterable[int]) -> dict[int, FindingRow]:
    """The rows of these ids, whole (with their evidence)."""
    ids = sorted(set(ids))
    out: dict[int, FindingRow] = {}
    for i in range(0, len(ids), CHUNK):
        for row in session.scalars(select(FindingRow).where(FindingRow.id.in_(ids[i : i + CHUNK]))):
            out[row.id] = row
    return out


class FindingRows:
    """The findings a sync reports as current, in order: rows it already holds and the ids of
    the others, read from ``session`` (whole, in a few queries) the first time the rows are
    asked for. Counting them reads nothing. Compares equal to a list of the same rows."""

    def __init__(self, session: Session | None = None) -> None:
        self._session = session
        self._items: list[FindingRow | int] = []
        self._loaded = True

    def add_ids(self, ids: Iterable[int]) -> None:
        before = len(self._items)
        self._items.extend(ids)
        self._loaded = self._loaded and len(self._items) == before

    def append(self, row: FindingRow) -> None:
        self._items.append(row)

    def extend(self, rows: Iterable[FindingRow]) -> None:
        self._items.extend(rows)

    def _rows(self) -> list[FindingRow]:
        if not self._loaded:
            wanted = [item for item in self._items if isinstance(item, int)]
            found = whole_rows(self._session, wanted)
            self._items = [found[i] if isinstance(i, int) else i for i in self._items]
            self._loaded = True
        return self._items  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[FindingRow]:
        return iter(self._rows())

    def __getitem__(self, index):
        return self._rows()[index]

    def __eq__(self, other) -> bool:
        if isinstance(other, FindingRows):
            other = other._rows()
        return self._rows() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FindingRows({len(self)} rows)"
