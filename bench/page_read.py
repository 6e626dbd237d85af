"""CPU spent reading one page: the response check and the parse of a listing page, and the parse
of every saved document under tests/fixtures.

The listing pages are those bench/poll_cycle.py serves (bench/_listing_sites.py: ~27 KB, 40
report links among ~110 links, HHS listing shape), each with its own host as in the poll. For
each it times, in CPU seconds of this thread (``time.thread_time``: what other processes on the
machine do does not count):

- the response check: ``classify_response`` on the page, as the fetcher calls it;
- the parse: ``hhs_separated_children.parse`` of the page, the tree parsed anew;
- both in one thread, as a fetch worker that reads what it fetched does them (the check lends
  its tree to the parse);

the first pass over the pages with the per-process caches emptied (what a first poll cycle
costs), then the best of ``--repeat`` further passes. Then each saved HTML document (``--pdf``:
and PDF) under tests/fixtures, parsed by its source ``--corpus-repeat`` times.

    python bench/page_read.py [--pages 200] [--repeat 3] [--corpus-repeat 20] [--pdf]
                              [--json] [--quick]

``--json`` prints the figures for bench/report.py; ``--quick`` reads three pages and the corpus
once (a smoke run whose figures mean nothing). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import yaml  # noqa: E402

from _figures import at_most, context, print_json  # noqa: E402
from _listing_sites import listing_page, url  # noqa: E402
from scrapers.fetch import response_check  # noqa: E402
from scrapers.interpret import linkperiod  # noqa: E402
from scrapers.read import htmltext, listings  # noqa: E402
from scrapers.records import Document  # noqa: E402
from scrapers.registry import load_source, source_ids  # noqa: E402
from scrapers.sources import hhs_separated_children  # noqa: E402

FIXTURES = BENCH.parent / "tests" / "fixtures"
CONTENT_TYPE = "text/html; charset=utf-8"
ALLOWED = hhs_separated_children.SOURCE.content_types
# Goals, in CPU milliseconds per listing page, first pass (measured on a shared 2-core machine,
# where the reading took 2.4 ms to check and 15.4 ms to parse a page before it was made quicker,
# and 1.4 and 4.9 ms after).
CHECK_GOAL_MS = 2.0
PARSE_GOAL_MS = 7.0


def _empty_caches() -> None:
    """Forget what earlier pages taught the per-process caches (joined URLs, named periods)."""
    htmltext._LENT.tree = None
    for module in (listings, linkperiod):
        for value in vars(module).values():
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()


def check(body: bytes, page_url: str):
    return response_check.classify_response(
        200,
        {"content-type": CONTENT_TYPE},
        body[: response_check.HEAD_BYTES],
        url=page_url,
        final_url=page_url,
        allowed_types=ALLOWED,
    )


def parse(body: bytes, page_url: str):
    return hhs_separated_children.parse(Document(body, page_url, CONTENT_TYPE))


def per_page_ms(fn, pages: list[tuple[bytes, str]], repeat: int) -> tuple[float, float]:
    """(first pass, best later pass) in CPU milliseconds per page."""
    times = []
    for n in range(1 + repeat):
        if n == 0:
            _empty_caches()
        htmltext._LENT.tree = None
        t0 = time.thread_time()
        for body, page_url in pages:
            fn(body, page_url)
        times.append(time.thread_time() - t0)
    best = min(times[1:]) if repeat else times[0]
    return 1000 * times[0] / len(pages), 1000 * best / len(pages)


def both(body: bytes, page_url: str):
    check(body, page_url)
    return parse(body, page_url)


def corpus(include_pdf: bool) -> list[tuple[str, object, Document]]:
    docs = []
    for sid in source_ids():
        manifest = FIXTURES / sid / "manifest.yaml"
        if not manifest.exists():
            continue
        registered = load_source(sid)
        for entry in yaml.safe_load(manifest.read_text(encoding="utf-8"))["fixtures"]:
            name = entry["file"]
            if not name.endswith((".html", ".htm")) and not (include_pdf and name.endswith(".pdf")):
                continue
            body = (FIXTURES / sid / name).read_bytes()
            docs.append(
                (
                    f"{sid}/{name}",
                    registered.parse,
                    Document(body, entry["url"], entry["content_type"]),
                )
            )
    return docs


def corpus_ms(docs, repeat: int) -> list[tuple[str, int, float]]:
    out = []
    for name, parse_fn, doc in docs:
        parse_fn(doc)  # warm: imports, compiled patterns
        t0 = time.thread_time()
        for _ in range(repeat):
            parse_fn(doc)
        out.append((name, len(doc.body), 1000 * (time.thread_time() - t0) / repeat))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--corpus-repeat", type=int, default=20)
    ap.add_argument("--pdf", action="store_true", help="Time the saved PDFs too (slow).")
    ap.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    ap.add_argument("--quick", action="store_true", help="Tiny inputs: measures nothing.")
    args = ap.parse_args(argv)
    if args.quick:
        args.pages, args.repeat, args.corpus_repeat = 3, 1, 1
    pages = [(listing_page(i), url(i, 8080)) for i in range(args.pages)]
    parse(*pages[0])  # imports, compiled patterns
    check_first, check_best = per_page_ms(check, pages, args.repeat)
    parse_first, parse_best = per_page_ms(parse, pages, args.repeat)
    both_first, both_best = per_page_ms(both, pages, args.repeat)
    docs = corpus_ms(corpus(args.pdf), args.corpus_repeat)
    total = sum(ms for _n, _s, ms in docs)
    if args.json:
        print_json(
            "page_read",
            [
                at_most("response check of a listing page, CPU", check_first, CHECK_GOAL_MS, "ms"),
                at_most("parse of a listing page, CPU", parse_first, PARSE_GOAL_MS, "ms"),
                context("check and parse in one thread, CPU", both_first, "ms"),
                context("every saved document parsed once, CPU", total, "ms"),
            ],
            {"pages": args.pages, "documents": len(docs), "repeat": args.repeat},
        )
        return 0
    kib = sum(len(b) for b, _u in pages) / len(pages) / 1024
    print(
        f"{args.pages} listing pages of {kib:.1f} KiB; CPU ms per page (first pass, best of {args.repeat} more)"
    )
    print(f"  response check      {check_first:7.2f}  {check_best:7.2f}")
    print(f"  parse               {parse_first:7.2f}  {parse_best:7.2f}")
    print(f"  check + parse       {both_first:7.2f}  {both_best:7.2f}   (the check lends its tree)")
    print(f"saved documents, CPU ms per parse (mean of {args.corpus_repeat}):")
    for name, size, ms in docs:
        print(f"  {ms:8.2f}  {size / 1024:7.1f} KiB  {name}")
    print(f"  {total:8.2f}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
