"""What the HART tests share: the fixtures' folder, ingesting one fixture (or an edited copy of
it) at a given time, the HART finding as `monitor evaluate` states it, rows read back."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dhs_hart_publications"
PIA005 = (
    "https://www.dhs.gov/publication/dhsobimpia-005-office-biometric-identity-management-"
    "obim-national-institute-standards"
)
OB = "dhs_hart_disclosure"


def ingest(
    cli_db,
    name: str,
    url: str,
    when: str,
    *,
    listing: bool = True,
    body: bytes | None = None,
    tmp_path: Path | None = None,
) -> tuple[int, dict]:
    path = FIXTURES / name
    if body is not None:
        path = tmp_path / name
        path.write_bytes(body)
    rc, out, err = cli_db(
        "ingest",
        "dhs_hart_publications",
        str(path),
        "--url",
        url,
        "--fetched-at",
        when,
        "--json",
        *(["--listing"] if listing else []),
    )
    assert out, err
    return rc, json.loads(out)


def hart(cli_db, *args) -> dict:
    """The one unresolved finding of the HART disclosure after `monitor evaluate`."""
    rc, out, err = cli_db("evaluate", "--json", "--obligation", OB, *args)
    assert rc == 0, err
    (finding,) = [f for f in json.loads(out) if f["obligation"] == OB and f["state"] != "resolved"]
    return finding


def rows(db_url, model, *where):
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with Session(engine) as session:
            found = list(session.scalars(select(model).where(*where)))
            session.expunge_all()
            return found
    finally:
        engine.dispose()
