"""Run every benchmark in bench/ and print one table: figure, value, goal, met or not.

Each benchmark ``bench/<name>.py`` (not this file, not the ``_`` helpers) is run in its own
Python process with ``--json`` (see bench/_figures.py for what it prints); the figures of all of
them go into one table. A benchmark that fails to run, or prints no figures, is a row saying so.

Exit status: 0 when every benchmark ran and every goal was met, 1 otherwise (so a scheduled job
can notice a regression; with ``--quick``, 1 only when a benchmark did not run). Figures are
measured on this machine, now: compare like with like.

    python bench/report.py [--only NAME ...] [--json] [--quick]

``--quick`` passes ``--quick`` to every benchmark: tiny inputs, to check that they all run and
report (the figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TIMEOUT = 3600  # seconds one benchmark may take


def benchmarks(only: list[str] | None = None) -> list[Path]:
    found = sorted(
        p
        for p in BENCH.glob("*.py")
        if not p.name.startswith("_") and p.name != Path(__file__).name
    )
    if only:
        unknown = sorted(set(only) - {p.stem for p in found})
        if unknown:
            raise SystemExit(
                f"error: no benchmark named {', '.join(unknown)} in {BENCH.name}/; "
                f"there are: {', '.join(p.stem for p in found)}"
            )
        found = [p for p in found if p.stem in only]
    return found


def run_one(path: Path, quick: bool) -> dict:
    """Run one benchmark with --json; return its report, or one saying why there is none."""
    cmd = [sys.executable, str(path), "--json"] + (["--quick"] if quick else [])
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=BENCH.parent
        )
    except subprocess.TimeoutExpired:
        return {
            "benchmark": path.stem,
            "error": f"did not finish within {TIMEOUT} s",
            "figures": [],
        }
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {
            "benchmark": path.stem,
            "error": f"failed (exit {proc.returncode}): {last}",
            "figures": [],
            "seconds": seconds,
        }
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        figures = data["figures"]
        if not isinstance(figures, list) or not figures:
            raise ValueError("no figures")
    except (ValueError, KeyError, IndexError, TypeError):
        return {
            "benchmark": path.stem,
            "error": "printed no figures with --json (see bench/_figures.py)",
            "figures": [],
            "seconds": seconds,
        }
    data["benchmark"] = path.stem
    data["seconds"] = seconds
    return data


def _value(figure: dict) -> str:
    value = figure.get("value")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = str(value)
    unit = figure.get("unit") or ""
    return f"{text} {unit}".strip()


def rows(reports: list[dict]) -> list[tuple[str, str, str, str, str]]:
    out = []
    for report in reports:
        if report.get("error"):
            out.append(
                (
                    report["benchmark"],
                    "(benchmark did not report)",
                    "",
                    "",
                    f"NOT RUN: {report['error']}",
                )
            )
            continue
        for figure in report["figures"]:
            met = figure.get("met")
            out.append(
                (
                    report["benchmark"],
                    figure["figure"],
                    _value(figure),
                    figure.get("goal") or "-",
                    "-" if met is None else ("met" if met else "NOT MET"),
                )
            )
    return out


def print_table(table: list[tuple[str, ...]]) -> None:
    headers = ("benchmark", "figure", "value", "goal", "met")
    widths = [
        max(len(h), *(len(r[i]) for r in table)) if table else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line.rstrip())
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", help="Run only these benchmarks.")
    ap.add_argument("--json", action="store_true", help="Print every benchmark's report as JSON.")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="Tiny inputs for every benchmark: checks they run; figures mean nothing.",
    )
    args = ap.parse_args(argv)

    reports = []
    for path in benchmarks(args.only):
        if not args.json:
            print(f"running {path.name} ...", file=sys.stderr, flush=True)
        reports.append(run_one(path, args.quick))
    failed = [r["benchmark"] for r in reports if r.get("error")]
    goals = [f for r in reports for f in r["figures"] if f.get("met") is not None]
    unmet = [f for f in goals if not f["met"]]
    if args.json:
        json.dump(
            {
                "benchmarks": reports,
                "goals": len(goals),
                "goals_met": len(goals) - len(unmet),
                "not_run": failed,
                "quick": args.quick,
            },
            sys.stdout,
            indent=1,
            default=str,
        )
        sys.stdout.write("\n")
    else:
        print_table(rows(reports))
        print(
            f"\n{len(goals) - len(unmet)} of {len(goals)} goals met"
            + (
                f"; {len(failed)} benchmark(s) did not report: {', '.join(failed)}"
                if failed
                else ""
            )
            + (" (--quick: tiny inputs, the figures mean nothing)" if args.quick else "")
        )
    return 1 if failed or (unmet and not args.quick) else 0


if __name__ == "__main__":
    sys.exit(main())
