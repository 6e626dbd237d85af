"""Bad input: a truncated, encrypted or corrupt PDF, an HTML page with no tables, a table with
non-numeric cells, a 0-byte file. Each yields typed problems and `monitor parse` exits 1; nothing
raises, and no zero is made up for a value that could not be read."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from scrapers.records import Document, PROBLEM_KINDS
from scrapers.registry import all_sources
from scrapers.validate import validate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BAD = [
    ("dhs_family_unit_actions", "bad_truncated_reconstructed.pdf", "parse_error"),
    ("dhs_family_unit_actions", "bad_encrypted_reconstructed.pdf", "parse_error"),
    ("dhs_family_unit_actions", "bad_corrupt.pdf", "parse_error"),
    ("dhs_family_unit_actions", "bad_empty_0_bytes.pdf", "empty"),
    ("dhs_family_unit_actions", "bad_non_numeric_reconstructed.pdf", "non_numeric"),
    ("hhs_separated_children", "bad_no_tables_reconstructed.html", "layout_changed"),
    ("hhs_separated_children", "bad_non_numeric_reconstructed.html", "non_numeric"),
    ("hhs_separated_children", "bad_truncated_reconstructed.pdf", "parse_error"),
    ("hhs_separated_children", "bad_empty_0_bytes.html", "empty"),
]


@pytest.mark.parametrize("source,name,kind", BAD, ids=[b[1] for b in BAD])
def test_monitor_parse_reports_problems_and_exits_1(cli, source, name, kind):
    rc, out, err = cli(
        "parse",
        source,
        str(FIXTURES / source / name),
        "--json",
        "--url",
        "https://www.dhs.gov/sites/default/files/2022-11/x.pdf",
    )
    assert rc == 1 and "Traceback" not in err
    data = json.loads(out)
    assert set(data) == {
        "source",
        "parser_version",
        "reports",
        "counts",
        "statements",
        "links",
        "problems",
    }
    assert kind in {p["kind"] for p in data["problems"]}
    assert data["counts"] == []  # nothing read is nothing stored: never a zero


def test_monitor_parse_prints_a_readable_summary_and_exits_0_on_a_good_report(cli):
    path = FIXTURES / "hhs_separated_children" / "june_2022_reconstructed.html"
    rc, out, _err = cli("parse", "hhs_separated_children", str(path))
    assert rc == 0
    assert "Report to Congress on Separated Children \u2013 June 2022" in out
    assert "criminal_history" in out and "period 2022-06-01 to 2022-06-30" in out


def test_monitor_parse_of_a_missing_file_or_unknown_source_is_one_line(cli, tmp_path):
    rc, _out, err = cli("parse", "dhs_family_unit_actions", str(tmp_path / "missing.pdf"))
    assert rc == 1 and err.startswith("error: no such file") and len(err.strip().splitlines()) == 1
    rc, _out, err = cli("parse", "no_such_source", str(tmp_path))
    assert rc == 1 and err.startswith("error: unknown source")


def _pdf(draw) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    draw(c)
    c.showPage()
    c.save()
    return buf.getvalue()


# Sources that read only an API's JSON answers (Congress.gov): a PDF or an HTML page is never
# their document, so it is ``wrong_type`` or ``layout_changed``, never read for text.
JSON_ONLY = {r.id for r in all_sources() if set(r.source.content_types) == {"application/json"}}


def _parse_all(body: bytes, content_type: str | None = None, *, json_only: bool = False):
    for registered in all_sources():
        if (registered.id in JSON_ONLY) == json_only:
            yield (
                registered.id,
                validate(registered.parse(Document(body, "https://www.dhs.gov/x", content_type))),
            )


def test_a_pdf_without_a_text_layer_is_empty():
    body = _pdf(lambda c: c.rect(100, 100, 200, 200, fill=1))  # a scan: shapes, no text
    for sid, result in _parse_all(body):
        assert [p.kind for p in result.problems] == ["empty"], sid
    for sid, result in _parse_all(body, json_only=True):
        assert [p.kind for p in result.problems] == ["wrong_type"], sid


def test_a_pdf_is_recognised_by_its_bytes_whatever_the_content_type_says():
    body = _pdf(lambda c: c.drawString(72, 700, "Family Unit Actions Report"))
    for sid, result in _parse_all(body, "text/html"):
        assert result.reports and result.reports[0].page_count == 1, sid
        assert "layout_changed" in result.problem_kinds()
    assert JSON_ONLY, "the Congress.gov sources read JSON only"
    for sid, result in _parse_all(body, "application/json", json_only=True):
        assert not result.yielded_anything and result.problem_kinds() == {"wrong_type"}, sid


def test_html_without_report_or_links_is_layout_changed_and_whitespace_is_empty():
    for json_only in (False, True):
        for sid, result in _parse_all(
            b"<html><body><p>Site maintenance.</p></body></html>", json_only=json_only
        ):
            assert [p.kind for p in result.problems] == ["layout_changed"], sid
        for sid, result in _parse_all(b" \n\t  ", json_only=json_only):
            assert [p.kind for p in result.problems] == ["empty"], sid
    for sid, result in _parse_all(b"<html><body><script>var x = 1;</script></body></html>"):
        assert [p.kind for p in result.problems] == ["empty"], sid
    for sid, result in _parse_all(
        b"<html><body><script>var x = 1;</script></body></html>", json_only=True
    ):
        assert [p.kind for p in result.problems] == ["layout_changed"], sid


def test_random_and_mangled_bodies_never_raise():
    good = (FIXTURES / "dhs_family_unit_actions" / "fuar_june2022_reconstructed.pdf").read_bytes()
    html = (FIXTURES / "hhs_separated_children" / "july_2022_reconstructed.html").read_bytes()
    rng = random.Random(20220930)
    bodies = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))) for _ in range(15)]
    for _ in range(15):  # flip bytes inside real documents, keeping their ends
        for doc in (good, html):
            mangled = bytearray(doc)
            for _ in range(20):
                mangled[rng.randrange(len(doc) - 10)] = rng.randrange(256)
            bodies.append(bytes(mangled))
    bodies += [b"%PDF-1.4", b"%PDF-1.4\n%%EOF", html[: len(html) // 3], b"<", b"\x00" * 100]
    bodies += [
        b'{"houseRequirements": [',
        b'{"houseCommunication": {"number": "x"}}',
        b"[]",
        b'{"error": "x"}',
        b'{"houseRequirements": [null, 1, {"url": 5}]}',
    ]
    for body in bodies:
        for sid, result in [*_parse_all(body), *_parse_all(body, json_only=True)]:
            assert {p.kind for p in result.problems} <= set(PROBLEM_KINDS), sid
            assert result.yielded_anything or result.problems, sid
            assert all(c.value == c.value and c.value >= 0 for c in result.counts)


def test_an_hhs_index_page_carrying_a_report_also_yields_its_month_links():
    from scrapers.sources import hhs_separated_children

    body = (
        "<html><body><h1>Report to Congress on Separated Children \u2013 May 2019</h1><p>HHS "
        "submits this report to Congress pursuant to the following language.</p><ul>"
        "<li><a href='april-2019/index.html'>April 2019</a></li></ul></body></html>"
    ).encode()
    url = (
        "https://www.hhs.gov/programs/social-services/unaccompanied-alien-children/"
        "report-to-congress-on-separated-children/index.html"
    )
    result = validate(hhs_separated_children.parse(Document(body, url)))
    assert result.reports[0].title.endswith("May 2019")
    assert [link.url for link in result.links] == [
        url.replace("index.html", "april-2019/index.html")
    ]
    assert "layout_changed" in result.problem_kinds()  # the report itself has no tables


def test_a_dhs_page_linking_report_pdfs_is_a_listing_whatever_its_text_says():
    from scrapers.sources import dhs_family_unit_actions

    body = (
        "<html><body><h1>Family Unit Actions Report</h1><p>Fiscal Year 2021 Report to Congress, "
        "October 1, 2020\u2013September 30, 2021.</p><a href='/sites/default/files/2022-03/"
        "fuar_fy21.pdf'>Family Unit Actions Report (PDF)</a></body></html>"
    ).encode()
    result = validate(dhs_family_unit_actions.parse(Document(body, "https://www.dhs.gov/fuar")))
    assert result.reports == [] and result.problems == []
    assert [link.url for link in result.links] == [
        "https://www.dhs.gov/sites/default/files/2022-03/fuar_fy21.pdf"
    ]
