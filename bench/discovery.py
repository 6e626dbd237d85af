"""How well requirement discovery finds reporting duties: precision and recall over the labelled
paragraphs (tests/discovery/labelled.yaml), and separately over the held-out ones it was never
tuned on (tests/discovery/heldout.yaml); for the duties found, how often the cadence, the days
or hours, the topics and the agency are right; and how fast a long document is read.

A paragraph counts as found when discovery returns at least one candidate for it. Goal on the
labelled set: recall 1.0, precision at least 0.9. Prints figures; asserts nothing.

    python bench/discovery.py [--json] [--quick] [--verbose] [--size-mb 2] [--only labelled|held_out]

``--json`` prints the figures for bench/report.py (the full scores under "details");
``--quick`` runs the speed test on a tiny text.

Speed is measured on two texts in the GPO layout: "typical", where one paragraph in twenty is a
labelled one and the rest are funding paragraphs and duties on other subjects, and "dense",
made of labelled paragraphs only (the worst case: every paragraph is on the monitor's topics).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "bench"))

from _figures import at_least, context, holds, print_json  # noqa: E402

from scrapers.discovery import DocumentContext, discover  # noqa: E402

SETS = {
    "labelled": REPO / "tests" / "discovery" / "labelled.yaml",
    "held_out": REPO / "tests" / "discovery" / "heldout.yaml",
}
FIELDS = ("cadence", "days", "hours", "months", "starts", "topics", "agency")


def load(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["items"]


def run(item: dict):
    context = DocumentContext(
        package_id=f"labelled:{item['id']}", agency=(item.get("context") or {}).get("agency")
    )
    return discover(item["text"], context)


def field_errors(item: dict, found) -> list[str]:
    """What the best candidate got wrong, field by field ("cadence: monthly != quarterly")."""
    best_errors = None
    for candidate in found:
        data = candidate.to_json()
        data["starts"] = candidate.deadline.starts
        errors = []
        for name in FIELDS:
            if name not in item:
                continue
            want, got = item[name], data.get(name)
            if name == "starts":
                want = str(want)
            if name == "topics":
                missing = set(want) - set(got)
                if missing:
                    errors.append(f"topics: missing {sorted(missing)}")
            elif got != want:
                errors.append(f"{name}: {got!r} != {want!r}")
        if best_errors is None or len(errors) < len(best_errors):
            best_errors = errors
    return best_errors or []


def score(items: list[dict]) -> dict:
    tp = fp = fn = tn = 0
    misses, false_alarms, must_not_broken = [], [], []
    fields = {name: [0, 0] for name in FIELDS}  # right, checked
    field_misses = []
    for item in items:
        found = run(item)
        if item["expect"] == "positive":
            if not found:
                fn += 1
                misses.append(item["id"])
                continue
            tp += 1
            errors = field_errors(item, found)
            for name in FIELDS:
                if name in item:
                    fields[name][1] += 1
                    fields[name][0] += not any(e.startswith(name + ":") for e in errors)
            if errors:
                field_misses.append({"id": item["id"], "errors": errors})
        elif found:
            fp += 1
            false_alarms.append(item["id"])
            if item.get("must_not"):
                must_not_broken.append(item["id"])
        else:
            tn += 1
    return {
        "positives": tp + fn,
        "negatives": fp + tn,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "field_accuracy": {k: round(r / n, 3) for k, (r, n) in fields.items() if n},
        "missed": misses,
        "false_alarms": false_alarms,
        "must_not_broken": must_not_broken,
        "field_misses": field_misses,
    }


PROGRAMS = [
    "air and marine operations",
    "the Office of Field Operations",
    "trade enforcement",
    "non-intrusive inspection equipment",
    "the Coast Guard's polar icebreaker program",
    "cybersecurity grants",
    "detention standards",
    "the E-Verify program",
]
AGENCIES = ["CBP", "ICE", "USCIS", "TSA", "FEMA", "the Coast Guard", "CISA"]


def _filler(n: int) -> str:
    """Appropriations text without a duty on the monitor's topics: funding paragraphs,
    recommendations, and duties on other subjects."""
    program, agency, amount = PROGRAMS[n % len(PROGRAMS)], AGENCIES[n % len(AGENCIES)], 1000 * n
    return [
        f"For necessary expenses of {agency} for operations and support, including "
        f"{program}, ${amount:,}, of which ${amount // 4:,} shall remain available until "
        f"September 30, 2024.",
        f"The Committee recommends ${amount:,} for {program}, which is ${amount // 10:,} above "
        f"the amount requested and the same as the fiscal year 2022 enacted level.",
        f"The Committee directs {agency} to brief the Committee not later than 90 days after "
        f"the date of enactment of this Act on {program}, including staffing and costs.",
    ][n % 3]


def throughput(size_mb: float, every: int, repeat: int = 3) -> dict:
    """A long GPO-style text (indented paragraphs, page markers): one labelled paragraph in
    ``every``, the others ordinary appropriations text (``every`` 1: labelled only)."""
    items = load(SETS["labelled"])
    pieces, size, n = [], 0, 0
    while size < size_mb * 1_000_000:
        text = items[n // every % len(items)]["text"] if n % every == 0 else _filler(n)
        block = "    " + "\n".join(_wrap(" ".join(text.split())))
        if n % 7 == 6:
            block += f"\n\n[[Page {n // 7 + 1}]]\n"
        pieces.append(block)
        size += len(block) + 1
        n += 1
    text = "\n".join(pieces)
    seconds = float("inf")
    for _ in range(repeat):  # the best of a few runs: the machine may be busy
        start = time.perf_counter()
        found = discover(text, "bench")
        seconds = min(seconds, time.perf_counter() - start)
    return {
        "bytes": len(text),
        "paragraphs": n,
        "seconds": round(seconds, 2),
        "mb_per_second": round(len(text) / 1e6 / seconds, 2),
        "candidates": len(found),
    }


def _wrap(text: str, width: int = 70) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def _figures(result: dict) -> list:
    figures = []
    for name, label in (("labelled", "labelled paragraphs"), ("held_out", "held-out paragraphs")):
        r = result.get(name)
        if not r:
            continue
        if name == "labelled":
            figures += [
                at_least(f"precision on {label}", r["precision"] or 0.0, 0.9),
                at_least(f"recall on {label}", r["recall"] or 0.0, 1.0),
                holds(f"no must-not negative found in {label}", not r["must_not_broken"]),
            ]
        else:
            figures += [
                context(f"precision on {label}", r["precision"] or 0.0),
                context(f"recall on {label}", r["recall"] or 0.0),
            ]
        if "cadence" in r["field_accuracy"]:
            figures.append(context(f"cadence right, {label}", r["field_accuracy"]["cadence"]))
    for label, s in result.get("speed", {}).items():
        figures.append(context(f"speed, {label} text", s["mb_per_second"], "MB/s"))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument("--size-mb", type=float, default=2.0, help="size of the speed test text")
    parser.add_argument("--repeat", type=int, default=3, help="speed runs; the best counts")
    parser.add_argument("--only", choices=sorted(SETS), help="score one set only")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny speed test: checks the benchmark runs (speed means nothing)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.size_mb, args.repeat = min(args.size_mb, 0.05), 1
    sets = {k: v for k, v in SETS.items() if not args.only or k == args.only}
    result = {name: score(load(path)) for name, path in sets.items()}
    if args.size_mb > 0:
        result["speed"] = {
            "typical": throughput(args.size_mb, 20, args.repeat),
            "dense": throughput(args.size_mb, 1, args.repeat),
        }
    if args.json:
        print_json("discovery", _figures(result), result)
        return 0
    for name in sets:
        r = result[name]
        print(
            f"{name:9} precision {r['precision']}  recall {r['recall']}  "
            f"({r['positives']} positives, {r['negatives']} negatives; "
            f"{r['false_positives']} false alarms, {r['false_negatives']} missed)"
        )
        print(
            " " * 10
            + "fields right: "
            + ", ".join(f"{k} {v}" for k, v in r["field_accuracy"].items())
        )
        if r["must_not_broken"]:
            print(" " * 10 + f"MUST-NOT negatives found: {', '.join(r['must_not_broken'])}")
        if args.verbose:
            for key in ("missed", "false_alarms"):
                for item_id in r[key]:
                    print(f"          {key}: {item_id}")
            for miss in r["field_misses"]:
                print(f"          fields: {miss['id']}: {'; '.join(miss['errors'])}")
    for label, s in result.get("speed", {}).items():
        print(
            f"speed     {label:8} {s['bytes'] / 1e6:.1f} MB, {s['paragraphs']} paragraphs, in "
            f"{s['seconds']} s ({s['mb_per_second']} MB/s, {s['candidates']} candidates)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
