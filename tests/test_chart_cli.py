"""monitor chart separations: the digest's chart, written as a PNG, on both databases."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from viewkit import DHS, Q1, ingest

FEB = datetime(2023, 2, 20, 12, tzinfo=timezone.utc)


@pytest.fixture
def q1(session, archive):
    ingest(session, archive, DHS, Q1, FEB)
    session.commit()


def test_chart_separations_writes_the_digest_chart(cli_db, q1, session, tmp_path):
    from monitor.charts import separations_chart_png

    target = tmp_path / "separations.png"
    rc, out, err = cli_db(
        "chart",
        "separations",
        "--agency",
        "dhs",
        "--from",
        "2022-10",
        "--to",
        "2022-12-31",
        "--output",
        str(target),
    )
    assert rc == 0, err
    assert out.splitlines() == [str(target), "  2022-10 to 2022-12: 3 agency-month(s) with figures"]
    assert target.read_bytes() == separations_chart_png(
        session, agency="DHS", start="2022-10", end="2022-12"
    )
    rc, _, err = cli_db(
        "chart", "separations", "--from", "2023-01", "--to", "2022-12", "--output", str(target)
    )
    assert rc == 1 and err == "error: --from 2023-01 is after --to 2022-12\n"
    rc, _, err = cli_db("chart", "separations", "--from", "June", "--output", str(target))
    assert rc == 2 and "'June' is not a month" in err
