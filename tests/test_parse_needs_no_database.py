"""`monitor parse` reads a saved document with no database: it must not even import the
database layer (SQLAlchemy's ORM was most of its start-up time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURE = (
    Path(__file__).resolve().parent
    / "fixtures"
    / "hhs_separated_children"
    / "july_2022_reconstructed.html"
)

SCRIPT = """
import sys
from monitor.cli import main
rc = main(["parse", "hhs_separated_children", sys.argv[1]])
loaded = sorted(m for m in sys.modules if m == "sqlalchemy" or m.startswith("sqlalchemy.")
                or m.startswith("monitor.models"))
print("RC", rc)
print("LOADED", ",".join(loaded))
"""


def test_parse_imports_no_database_layer(tmp_path):
    env = {"MONITOR_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(FIXTURE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = dict(
        line.split(" ", 1)
        for line in done.stdout.splitlines()
        if line.startswith(("RC ", "LOADED "))
    )
    assert lines.get("RC") == "0", done.stderr[-2000:]
    assert lines.get("LOADED", "").strip() == "", lines.get("LOADED")
    assert not (tmp_path / "home" / "monitor.db").exists()  # and creates no database
