"""How fast the parsers read documents, against raw extraction of the same files.

Builds, in a temporary directory, a 100-page Family Unit Actions Report-like PDF (cover,
transmittal, then pages of titled tables: ruled, unruled and booktabs, three to a page) and a set
of HHS-like monthly report pages (HTML, five tables each). Then times:

- PDF, ours: ``dhs_family_unit_actions.parse`` (text, metadata, tables, counts, statement);
- PDF, raw:  pdfplumber ``extract_text()`` + ``extract_tables()`` on every page of the same file;
- HTML, ours: ``hhs_separated_children.parse`` on every page;
- HTML, raw:  lxml parse + ``text_content()`` + every table cell.

Goal: our PDF overhead at most 30% over raw extraction. Prints pages per second and the
overhead; asserts nothing about time.

    python bench/parse.py [--pages 100] [--html-pages 50] [--repeat 3] [--json] [--quick]

``--json`` prints the figures for bench/report.py; ``--quick`` reads a 4-page PDF and two pages
(a smoke run whose figures mean nothing).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import letter  # noqa: E402
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # noqa: E402
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # noqa: E402

from _figures import at_most, context, print_json  # noqa: E402
from scrapers.records import Document  # noqa: E402
from scrapers.sources import dhs_family_unit_actions, hhs_separated_children  # noqa: E402

BODY = ParagraphStyle("body", parent=getSampleStyleSheet()["BodyText"], fontSize=10.5, leading=14)
BOLD = ParagraphStyle("bold", parent=BODY, fontName="Helvetica-Bold")
STYLES = [
    [("GRID", (0, 0), (-1, -1), 0.5, colors.black)],  # ruled
    [("ALIGN", (1, 0), (-1, -1), "RIGHT")],  # unruled
    [
        ("LINEABOVE", (0, 0), (-1, 0), 1, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 1, colors.black),
    ],  # booktabs
]
KINDS = [
    (
        "Separations by Reason",
        "Reason",
        [
            "Criminal history",
            "Cartel/gang affiliation",
            "Prosecution",
            "Health/safety concern",
            "Other",
        ],
    ),
    (
        "Separations by Border Patrol Sector",
        "Sector",
        ["Rio Grande Valley", "El Paso", "San Diego", "Tucson", "Del Rio"],
    ),
    (
        "Separations by Month",
        "Month",
        ["October 2021", "November 2021", "December 2021", "January 2022", "February 2022"],
    ),
]


def build_pdf(pages: int) -> bytes:
    story = [
        Paragraph("Family Unit Actions Report", BOLD),
        Paragraph("October 1, 2021\u2013May 31, 2022", BOLD),
        Paragraph("September 2022", BODY),
        Paragraph("Fiscal Year 2022 Report to Congress", BODY),
        PageBreak(),
        Paragraph(
            "This document has been compiled pursuant to requirements in the Fiscal "
            "Year 2022 DHS Appropriations Act (P.L. 117-103). The report covers family "
            "unit apprehensions occurring October 1, 2021\u2013May 31, 2022.",
            BODY,
        ),
        PageBreak(),
    ]
    number = 0
    for page in range(pages - 2):
        for k in range(3):
            number += 1
            title, label, rows = KINDS[(page + k) % 3]
            values = [10, 8, 6, 4, 2][(page + k) % 5 :] + [10, 8, 6, 4, 2][: (page + k) % 5]
            data = [[label, "Separations", "Percent"]] + [
                [r, str(v), f"{100 * v // 30}%"] for r, v in zip(rows, values)
            ]
            data.append(["Total", str(sum(int(r[1]) for r in data[1:])), "100%"])
            story += [
                Paragraph(f"Table {number}. {title}", BOLD),
                Table(
                    data,
                    colWidths=[170, 90, 70],
                    style=TableStyle(STYLES[(page + k) % 3]),
                    hAlign="LEFT",
                ),
                Spacer(1, 8),
            ]
        story.append(PageBreak())
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=letter, invariant=1).build(story)
    return buf.getvalue()


def build_html(n: int) -> list[bytes]:
    pages = []
    for i in range(n):
        tables = "".join(
            f"<h2>Table {t + 1}. {title}</h2><table><thead><tr><th>{label}</th><th>Children</th></tr>"
            f"</thead>{''.join(f'<tr><td>{r}</td><td>{(i + j + t) % 9 + 1}</td></tr>' for j, r in enumerate(rows))}"
            "</table>"
            for t, (title, label, rows) in enumerate(KINDS + KINDS[:2])
        )
        pages.append(
            (
                "<html><body><h1>Report to Congress on Separated Children \u2013 June 2022</h1>"
                "<p>The Department of Health and Human Services submits this report to Congress as "
                "described by section 235 of Public Law 116-94. This report covers children "
                "transferred to ORR from June 1, 2022 through June 30, 2022.</p>"
                f"{tables}</body></html>"
            ).encode()
        )
    return pages


def raw_pdf(body: bytes) -> int:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(body)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
            page.close()
        return len(pdf.pages)


def raw_html(body: bytes) -> None:
    import lxml.html

    root = lxml.html.document_fromstring(body)
    root.text_content()
    for cell in root.iter("td", "th"):
        cell.text_content()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--html-pages", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="Tiny inputs: checks the benchmark runs, measures nothing.",
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.pages, args.html_pages, args.repeat = 4, 2, 1
    with tempfile.TemporaryDirectory() as tmp:
        pdf_path = Path(tmp) / "fuar_100_pages.pdf"
        pdf_path.write_bytes(build_pdf(args.pages))
        html = build_html(args.html_pages)
        body = pdf_path.read_bytes()
        doc = Document(body, "https://www.dhs.gov/bench.pdf", "application/pdf")
        result = dhs_family_unit_actions.parse(doc)
        pages = raw_pdf(body)
        ours = best(lambda: dhs_family_unit_actions.parse(doc), args.repeat)
        raw = best(lambda: raw_pdf(body), args.repeat)
        docs = [
            Document(b, f"https://www.hhs.gov/{i}/index.html", "text/html")
            for i, b in enumerate(html)
        ]
        html_counts = statistics.mean(len(hhs_separated_children.parse(d).counts) for d in docs)
        ours_html = best(lambda: [hhs_separated_children.parse(d) for d in docs], args.repeat)
        raw_html_t = best(lambda: [raw_html(b) for b in html], args.repeat)
    overhead = 100 * (ours / raw - 1)
    if args.json:
        print_json(
            "parse",
            [
                at_most("PDF parser overhead over raw pdfplumber extraction", overhead, 30, "%"),
                context("PDF pages per second, parser", pages / ours, "pages/s"),
                context("PDF pages per second, raw extraction", pages / raw, "pages/s"),
                context("HTML report pages per second, parser", len(html) / ours_html, "pages/s"),
            ],
            {
                "pdf_pages": pages,
                "pdf_counts": len(result.counts),
                "html_pages": len(html),
                "repeat": args.repeat,
            },
        )
        return 0
    print(
        f"PDF: {pages} pages, {len(body) / 1024:.0f} KiB; ours read {len(result.counts)} counts, "
        f"{len(result.problems)} problems"
    )
    print(f"  ours  {pages / ours:8.1f} pages/s  ({ours:.2f} s)")
    print(
        f"  raw   {pages / raw:8.1f} pages/s  ({raw:.2f} s)  pdfplumber extract_text + extract_tables"
    )
    print(f"  overhead of ours over raw: {overhead:+.0f}%  (goal: at most +30%)")
    print(f"HTML: {len(html)} report pages, {html_counts:.0f} counts each")
    print(f"  ours  {len(html) / ours_html:8.1f} pages/s")
    print(f"  raw   {len(html) / raw_html_t:8.1f} pages/s  lxml parse + text + table cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
