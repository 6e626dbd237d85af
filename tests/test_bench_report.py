"""bench/report.py runs every benchmark in bench/ and puts their figures in one table. Run here
with --quick (tiny inputs): what is checked is that every benchmark runs and reports figures
with goals in the shared form, never how fast anything is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))

import report  # noqa: E402  (bench/report.py)


EVERY = sorted(
    p.stem for p in BENCH.glob("*.py") if not p.name.startswith("_") and p.name != "report.py"
)
# bench/poll_cycle.py is run (through report.py) by the test of its own output's shape below,
# so no benchmark is run twice
POLL_CYCLE = "poll_cycle"


def quick_report(only: list[str]) -> dict:
    """``bench/report.py --quick --json --only ...``: its JSON, after it exited 0."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / "report.py"), "--quick", "--json", "--only", *only],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)


def assert_figures_with_goals(data: dict, expected: list[str]) -> None:
    assert sorted(b["benchmark"] for b in data["benchmarks"]) == expected
    assert data["not_run"] == []
    for bench in data["benchmarks"]:
        assert bench["figures"], bench["benchmark"]
        for figure in bench["figures"]:
            assert set(figure) == {"figure", "value", "unit", "goal", "met"}
            assert (figure["goal"] is None) == (figure["met"] is None), figure
        assert any(f["goal"] for f in bench["figures"]), f"{bench['benchmark']}: no goal"


def test_every_benchmark_reports_figures_with_goals():
    assert POLL_CYCLE in EVERY
    assert [p.stem for p in report.benchmarks()] == EVERY  # what report.py runs without --only
    others = [b for b in EVERY if b != POLL_CYCLE]
    data = quick_report(others)
    assert_figures_with_goals(data, others)


def test_a_benchmark_that_fails_or_prints_no_figures_is_a_row_saying_so(tmp_path):
    crash = tmp_path / "crash.py"
    crash.write_text("raise SystemExit('cannot reach the database')\n")
    silent = tmp_path / "silent.py"
    silent.write_text("print('3 pages/s')\n")
    crashed, quiet = report.run_one(crash, quick=True), report.run_one(silent, quick=True)
    assert "cannot reach the database" in crashed["error"]
    assert "no figures" in quiet["error"]
    table = report.rows(
        [
            crashed,
            quiet,
            {
                "benchmark": "ok",
                "figures": [
                    {"figure": "speed", "value": 7.0, "unit": "s", "goal": "<= 5 s", "met": False}
                ],
            },
        ]
    )
    assert [r[-1].split(":")[0] for r in table] == ["NOT RUN", "NOT RUN", "NOT MET"]


def test_poll_cycle_prints_the_figures_of_each_cycle_in_the_agreed_shape():
    """bench/poll_cycle.py --json: {"full": {...}, "nochange": {...}, "peer", "ratios"} beside
    the figures bench/report.py reads (without --peer, peer and ratios are null)."""
    report_data = quick_report([POLL_CYCLE])  # its figures in report.py's table, as any other's
    assert_figures_with_goals(report_data, [POLL_CYCLE])
    (data,) = report_data["benchmarks"]  # all poll_cycle.py --json printed, as report.py read it
    assert {"full", "nochange", "peer", "ratios", "figures"} <= set(data)
    for cycle in ("full", "nochange"):
        assert set(data[cycle]) == {"wall_s", "requests", "bytes", "sql_per_page"}
        assert data[cycle]["requests"] == 3  # one listing page per loopback host
        assert data[cycle]["sql_per_page"] > 0
    assert data["full"]["bytes"] > 3 * 27_000 > 100 * data["nochange"]["bytes"]  # 304s
    assert data["peer"] is None and data["ratios"] is None
    assert data["details"]["failures"] == []
