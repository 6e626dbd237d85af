"""The analyst views served by Datasette: `monitor datasette` (SQLite deployments only).

Datasette reads SQLite files, so this serves a SQLite database, opened *immutable* (Datasette's
``-i``: read-only, no locking, every page assumed never to change). A database file the monitor
is still writing to must not be opened that way (SQLite may then read a half-written page), so
by default the server is given a consistent copy taken with SQLite's backup API, and says when
it was taken; ``--in-place`` serves the file itself, for a copy nothing writes to any more.

The metadata (titles, descriptions, column descriptions, units, canned queries) is generated
from ``docs/data-dictionary.md``, the same text `tests/test_data_dictionary.py` holds to the real
views, so the two cannot drift apart: each view's description is the paragraph under its
heading, each column's description is its row of the view's table (with its type and unit), and
each example query of the dictionary (its ``-- title`` comment names it) is a canned query.
Arbitrary SQL is off (``allow_sql`` false, ``default_allow_sql`` off), and so is downloading the
database file; the monitor's internal tables are hidden from the listings, the views are shown.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import MonitorError
from monitor.views import COLUMNS

TITLE = "Family-separation reports: DHS and HHS figures, revisions and timeliness"
ABOUT = (
    "Every view and column is described in docs/data-dictionary.md, which this metadata is "
    "built from. Arbitrary SQL is off here: use the canned queries and the table filters, "
    "or `monitor query` and `monitor export`."
)
SOURCE = "Reports to Congress by DHS and HHS, as archived and read by the monitor"

# The unit of each number column: words for the column description, and the pint unit Datasette
# filters with (``?days_late__gt=30``; ``days_late__gt=1 week`` with the unit) where there is one.
# A `value` is a count for every measure but `separation_length_days` (whole days): no one
# pint unit fits both, so it has words only.
VALUE_UNIT = "count (children or events); whole days when measure is separation_length_days"
UNITS: dict[str, tuple[str, str | None]] = {
    "value": (VALUE_UNIT, None),
    "old_value": (VALUE_UNIT, None),
    "new_value": (VALUE_UNIT, None),
    "days_late": ("days", "day"),
}


@dataclass
class ViewDoc:
    name: str
    description: str
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (type, meaning)
    queries: list[tuple[str, str]] = field(default_factory=list)  # (title, SQL)


def data_dictionary_text() -> str:
    from monitor.shipped import data_dictionary

    return data_dictionary().read_text("utf-8")


def _plain(markdown: str) -> str:
    """One line of plain text from a markdown paragraph (code ticks and emphasis dropped)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)
    text = text.replace("`", "").replace("**", "")
    text = re.sub(r"(?<!\w)\*([^*]+)\*(?!\w)", r"\1", text)
    return " ".join(text.split())


def parse_dictionary(text: str) -> tuple[str, dict[str, ViewDoc]]:
    """(the dictionary's opening paragraph, view -> its documentation)."""
    parts = re.split(r"^## `(\w+)`\s*$", text, flags=re.M)
    opening = parts[0].split("\n\n")
    intro = next((_plain(p) for p in opening if p.strip() and not p.lstrip().startswith("#")), "")
    views = {}
    for name, body in zip(parts[1::2], parts[2::2]):
        before_table = body.split("\n|", 1)[0]
        paragraphs = [p for p in before_table.split("\n\n") if p.strip()]
        doc = ViewDoc(name, " ".join(_plain(p) for p in paragraphs))
        for column, kind, meaning in re.findall(
            r"^\| `(\w+)` \| (\w+) \| (.*?) \|\s*$", body, flags=re.M
        ):
            doc.columns[column] = (kind, _plain(meaning))
        for sql in re.findall(r"```sql\n(.*?)```", body, flags=re.S):
            first, _, rest = sql.partition("\n")
            title = first[2:].strip() if first.startswith("--") else f"{name} example"
            doc.queries.append((title[:1].upper() + title[1:], sql.strip()))
        views[name] = doc
    return intro, views


def slug(title: str) -> str:
    """A canned query's name: its title up to the first comma, colon or bracket."""
    head = re.split(r"[:,(]", title, maxsplit=1)[0]
    return re.sub(r"[^a-z0-9]+", "_", head.lower()).strip("_")


def metadata(database: str, hidden_tables: list[str] = (), dictionary: str | None = None) -> dict:
    """Datasette metadata for the database named ``database`` (the file's stem)."""
    intro, views = parse_dictionary(
        dictionary if dictionary is not None else data_dictionary_text()
    )
    intro = intro.split(". ", 1)[0].rstrip(".") + ". " + ABOUT
    missing = sorted(set(COLUMNS) - set(views))
    if missing:
        raise MonitorError(f"docs/data-dictionary.md does not describe the views {missing}")
    tables: dict[str, dict] = {}
    queries: dict[str, dict] = {}
    for name in COLUMNS:  # the catalogue's order: the order analysts meet them in
        doc = views[name]
        columns, units = {}, {}
        for column, _kind in COLUMNS[name]:
            kind, meaning = doc.columns.get(column, (_kind, ""))
            words, pint_unit = UNITS.get(column, (None, None))
            columns[column] = f"{meaning} ({kind}" + (f"; unit: {words})" if words else ")")
            if pint_unit:
                units[column] = pint_unit
        tables[name] = {
            "title": name.replace("_", " ").capitalize(),
            "description": doc.description,
            "columns": columns,
        }
        if units:
            tables[name]["units"] = units
        for title, sql in doc.queries:
            queries[slug(title)] = {
                "title": title,
                "sql": sql,
                "description": f"From the data dictionary, view {name}.",
            }
    for table in hidden_tables:
        if table not in tables:
            tables[table] = {"hidden": True}
    return {
        "title": TITLE,
        "description": intro,
        "source": SOURCE,
        "allow_sql": False,
        "databases": {
            database: {
                "title": TITLE,
                "description": intro,
                "allow_sql": False,
                "tables": tables,
                "queries": queries,
            }
        },
    }


SETTINGS = {"default_allow_sql": False, "allow_download": False}


def sqlite_path(url: str) -> Path:
    """The file of a SQLite database URL; a clear refusal for anything Datasette cannot serve."""
    from sqlalchemy.engine import make_url

    from monitor.config import redact_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise MonitorError(
            f"monitor datasette serves SQLite databases only (Datasette reads SQLite files); "
            f"{redact_url(url)} is {parsed.get_backend_name()}: use `monitor query` and "
            "`monitor export`, or give the analysts the read-only role (README, For analysts)"
        )
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise MonitorError("monitor datasette needs a SQLite database file, not an in-memory one")
    return Path(database).expanduser()


def table_names(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
    finally:
        conn.close()


def refuse_live(path: Path) -> None:
    """``--in-place`` serves the file immutable, which reads none of its write-ahead log: a
    log that holds changes (a writer has the database open, or one was killed before folding
    its log in) would be served as if those changes were not made."""
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise MonitorError(
            f"{path} has changes in its write-ahead log ({wal.name}) that the file does not "
            "hold yet: something is writing to it, or a writer was stopped before folding them "
            "in. Serve a copy (drop --in-place), or stop the writer and run any monitor "
            "command on the database once (closing it folds the log in)"
        )


def snapshot(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` at ``target`` (SQLite's online backup: a writer working
    meanwhile is waited for or copied around, never half-copied)."""
    src = sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _datasette_class():
    try:
        from datasette.app import Datasette
    except ImportError:
        raise MonitorError(
            "monitor datasette needs Datasette, which is not installed: "
            "pip install 'separation-reporting-monitor[datasette]'"
        ) from None
    return Datasette


def build(path: Path, meta: dict | None = None):
    """A Datasette serving ``path`` immutable with the monitor's metadata and settings."""
    Datasette = _datasette_class()
    if meta is None:
        meta = metadata(path.stem, table_names(path))
    return Datasette(immutables=[str(path)], metadata=meta, settings=dict(SETTINGS))


def _stop(signum, frame):
    raise SystemExit(0)


def serve(ds, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM. uvicorn hands a SIGTERM back to the handler in place
    once it has shut down; this one exits through Python, so the caller's clean-up (the copy
    of the database) runs."""
    import asyncio
    import signal

    import uvicorn

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        asyncio.run(ds.invoke_startup())
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
    finally:
        signal.signal(signal.SIGTERM, previous)
