"""Every fixture parses to its expected JSON, every source has fixtures, and the fixture set is
coherent enough for the offline demo.

Expected files are the parser's own output, written only after checking it against the
document by hand:  python tests/test_parsers_golden.py --update [name-fragment]
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # when run as a script (--update)
    sys.path.insert(0, str(REPO))

from monitor.reading import read_document  # noqa: E402
from scrapers.records import ParseResult  # noqa: E402
from scrapers.registry import load_source, source_ids  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIELDS = {"file", "url", "content_type", "role", "reconstructed", "provenance", "outcome", "note"}


def manifest(source_id: str) -> list[dict]:
    path = FIXTURES / source_id / "manifest.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["fixtures"]


def entries() -> list[tuple[str, dict]]:
    return [
        (sid, e)
        for sid in source_ids()
        if (FIXTURES / sid / "manifest.yaml").exists()
        for e in manifest(sid)
    ]


def expected_path(source_id: str, entry: dict) -> Path:
    return FIXTURES / source_id / (Path(entry["file"]).name.rsplit(".", 1)[0] + ".expected.json")


def parse_fixture(source_id: str, entry: dict) -> tuple[ParseResult, str]:
    """Validated result and its outcome, read as `monitor parse` reads a saved file (the one
    rule for a document's shape, monitor.reading.is_listing: a start URL or a document that
    read no report is a listing)."""
    body = (FIXTURES / source_id / entry["file"]).read_bytes()
    reading = read_document(
        load_source(source_id),
        body,
        url=entry["url"],
        content_type=entry["content_type"],
        infer=True,
    )
    return reading.result, reading.outcome


def as_json(result: ParseResult, source_id: str) -> dict:
    return json.loads(json.dumps(result.to_json(source_id), ensure_ascii=False))


@pytest.mark.parametrize(
    "source_id,entry", entries(), ids=lambda v: v if isinstance(v, str) else v["file"]
)
def test_fixture_parses_to_its_expected_json(source_id, entry):
    result, got = parse_fixture(source_id, entry)
    expected = json.loads(expected_path(source_id, entry).read_text(encoding="utf-8"))
    assert as_json(result, source_id) == expected
    assert got == entry["outcome"]


def test_every_source_has_fixtures_and_every_fixture_an_expected_file():
    for sid in source_ids():
        folder = FIXTURES / sid
        assert (folder / "manifest.yaml").exists(), (
            f"source {sid} has no tests/fixtures/{sid}/manifest.yaml"
        )
        listed = manifest(sid)
        roles = {e["role"] for e in listed}
        assert {"listing", "report", "bad"} <= roles, (
            f"{sid}: needs listing, report and bad fixtures"
        )
        for e in listed:
            assert set(e) == FIELDS, f"{sid}/{e.get('file')}: fields {sorted(set(e) ^ FIELDS)}"
            # revision: another version of a served URL's document, parsed but not served
            assert e["role"] in ("listing", "report", "bad", "revision")
            assert (folder / e["file"]).exists(), f"{sid}/{e['file']} is listed but missing"
            assert expected_path(sid, e).exists(), f"{sid}/{e['file']} has no expected JSON"
        on_disk = {
            p.name
            for p in folder.iterdir()
            if p.name != "manifest.yaml" and not p.name.endswith(".expected.json")
        }
        assert on_disk == {e["file"] for e in listed}, "every fixture file is in the manifest"
        expected_files = {p.name for p in folder.glob("*.expected.json")}
        assert expected_files == {expected_path(sid, e).name for e in listed}, (
            "no stray expected files"
        )


def _text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "source_id,entry", entries(), ids=lambda v: v if isinstance(v, str) else v["file"]
)
def test_reconstructed_fixtures_say_so_in_name_manifest_and_text(source_id, entry):
    path = FIXTURES / source_id / entry["file"]
    assert entry["reconstructed"] == ("reconstructed" in entry["file"])
    readable = entry["outcome"] != "parse_error" and path.stat().st_size > 0
    if entry["reconstructed"] and readable:
        assert "RECONSTRUCTED FIXTURE" in _text_of(path)
    if not entry["reconstructed"] and readable:
        assert "RECONSTRUCTED" not in _text_of(path)


def _served() -> dict[str, list[tuple[str, dict]]]:
    by_source: dict[str, list[tuple[str, dict]]] = {}
    for sid, e in entries():
        if e["role"] not in ("bad", "revision"):
            by_source.setdefault(sid, []).append((e["url"], e))
    return by_source


def test_demo_set_is_coherent():
    """Served URLs are unique, and every link of a served listing leads to a served report."""
    for sid, served in _served().items():
        urls = [u for u, _e in served]
        assert len(urls) == len(set(urls)), f"{sid}: two served fixtures share a URL"
        reports = {u for u, e in served if e["role"] == "report"}
        for url, e in served:
            if e["role"] == "listing":
                links = {link.url for link in parse_fixture(sid, e)[0].links}
                assert links and links <= reports, f"{e['file']} links to {sorted(links - reports)}"


def _served_results(sid: str) -> list[ParseResult]:
    return [parse_fixture(sid, e)[0] for _u, e in _served()[sid] if e["role"] == "report"]


def test_demo_shows_a_month_missing_from_the_hhs_listing():
    listing = next(e for _u, e in _served()["hhs_separated_children"] if e["role"] == "listing")
    titles = {link.title for link in parse_fixture("hhs_separated_children", listing)[0].links}
    assert {"March 2022", "May 2022", "June 2022", "July 2022"} <= titles
    assert "April 2022" not in titles


def test_demo_shows_a_dhs_report_issued_long_after_its_data_period():
    late = [
        r.reports[0]
        for r in _served_results("dhs_family_unit_actions")
        if r.reports[0].issued
        and r.reports[0].period_end
        and (r.reports[0].issued - r.reports[0].period_end).days > 90
    ]
    assert any(r.period_start == date(2019, 10, 1) and r.issued == date(2020, 6, 1) for r in late)


def test_demo_shows_ambiguous_and_stated_foreign_government_basis_after_march_2022():
    statements = {}
    for result in _served_results("dhs_family_unit_actions"):
        report = result.reports[0]
        for s in result.statements:
            statements.setdefault(s.status, []).append((report, s))
    ambiguous = [
        (r, s) for r, s in statements.get("ambiguous", []) if r.period_end > date(2022, 3, 15)
    ]
    assert ambiguous and "home country" in ambiguous[0][1].quote
    stated = statements.get("stated", [])
    assert stated and stated[0][1].value == 0 and "foreign government" in stated[0][1].quote
    assert statements.get("not_required")  # the reports whose data predates P.L. 117-103


def test_fixture_builder_reproduces_the_committed_documents():
    sys.path.insert(0, str(FIXTURES))
    try:
        import build_fixtures
    finally:
        sys.path.remove(str(FIXTURES))
    built = build_fixtures.documents()
    assert built, "the builder made nothing"
    stale = [rel for rel, body in built.items() if (FIXTURES / rel).read_bytes() != body]
    assert stale == [], "run: python tests/fixtures/build_fixtures.py"


def update(fragment: str = "") -> None:
    for sid, entry in entries():
        if fragment in entry["file"]:
            result, got = parse_fixture(sid, entry)
            path = expected_path(sid, entry)
            path.write_text(
                json.dumps(result.to_json(sid), indent=1, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            print(f"{path.relative_to(REPO)}: outcome {got} (manifest says {entry['outcome']})")


if __name__ == "__main__":
    if "--update" not in sys.argv:
        sys.exit("usage: python tests/test_parsers_golden.py --update [name-fragment]")
    args = [a for a in sys.argv[1:] if a != "--update"]
    update(args[0] if args else "")
