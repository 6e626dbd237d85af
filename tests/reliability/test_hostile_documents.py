"""Hostile documents through the whole intake (archive, parse, validate, store), on SQLite and
PostgreSQL. Every case starts from a stored state - the HHS listing with its June and July 2022
pages, a DHS listing with the June 2022 FUAR - then takes in one hostile document the way a
fetch or `monitor ingest` does, and asserts two things: its typed outcome (the parse outcome and
the problems raised), and that nothing stored before was lost or changed (every row of every
table and every archived file; new evidence rows may appear).

The PDFs are built in the test (tests/hostile_kit.py) and stay small: a "bomb" inflates to a
few megabytes or declares one page more than the cap, enough to show it is bounded, not to hurt."""

from __future__ import annotations

import copy
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.engine import make_url

import hostile_kit as kit
from monitor.ingest import SavedFile, ingest_file
from monitor.models import CountObservation, Parse, ParseProblem, Report
from scrapers.read.pdftables import MAX_PAGES
from scrapers.registry import load_source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASELINE_AT = datetime(2022, 7, 20, 12, tzinfo=timezone.utc)
HOSTILE_AT = datetime(2022, 10, 1, 12, tzinfo=timezone.utc)
HHS = "hhs_separated_children"
DHS = "dhs_family_unit_actions"
HHS_BASE = (
    "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
    "report-to-congress-on-separated-children/"
)
HHS_AUG = HHS_BASE + "september-2022/index.html"  # listed nowhere: a hostile copy lands here
DHS_PDF = "https://www.dhs.gov/sites/default/files/2022-11/hostile_family_unit_actions_report.pdf"


def _manifest(source: str) -> dict[str, dict]:
    data = yaml.safe_load((FIXTURES / source / "manifest.yaml").read_text())
    return {f["file"]: f for f in data["fixtures"]}


def fixture(source: str, name: str) -> tuple[bytes, str]:
    return (FIXTURES / source / name).read_bytes(), _manifest(source)[name]["url"]


JUNE, JUNE_URL = fixture(HHS, "june_2022_reconstructed.html")
FUAR, FUAR_URL = fixture(DHS, "fuar_june2022_reconstructed.pdf")
BASELINE = (
    (HHS, "listing_index_2022_reconstructed.html", True),
    (HHS, "june_2022_reconstructed.html", False),
    (HHS, "july_2022_reconstructed.html", False),
    (DHS, "listing_ois_special_reports_2022_reconstructed.html", True),
    (DHS, "fuar_june2022_reconstructed.pdf", False),
)


def take(
    session,
    archive,
    source: str,
    url: str,
    body: bytes,
    content_type: str | None,
    *,
    listing: bool = False,
    at: datetime = HOSTILE_AT,
):
    saved = SavedFile(body, url, False, content_type or "text/html")
    intake, run = ingest_file(
        session, archive, load_source(source), saved, fetched_at=at, is_listing=listing
    )
    session.flush()
    return intake, run


def store_baseline(session, archive) -> dict:
    """The baseline state, committed, and a record of everything in it."""
    for source, name, listing in BASELINE:
        body, url = fixture(source, name)
        content_type = "application/pdf" if name.endswith(".pdf") else "text/html; charset=utf-8"
        intake, _run = take(
            session, archive, source, url, body, content_type, listing=listing, at=BASELINE_AT
        )
        assert intake.outcome == "ok", name
    session.commit()
    return kit.everything(session, archive)


class Baseline:
    """The baseline stored once per database kind in this module (a SQLite file, or a
    PostgreSQL database used as a template) with its archive and its record; every test gets
    a copy of both, as if it had stored the baseline itself."""

    def __init__(self, db_url: str, archive_dir: Path, record: dict, drop=None) -> None:
        self.db_url, self.archive_dir, self.record, self.drop = db_url, archive_dir, record, drop


@pytest.fixture(scope="module")
def baselines(tmp_path_factory, module_database):
    from sqlalchemy.orm import Session

    from monitor.db import make_engine
    from scrapers.fetch.archive import Archive

    made: dict[str, Baseline] = {}

    def get(backend: str) -> Baseline:
        if backend in made:
            return made[backend]
        folder = tmp_path_factory.mktemp(f"baseline_{backend}")
        url, drop = module_database(backend, folder)
        engine = make_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                record = store_baseline(session, Archive(folder / "archive"))
        finally:
            engine.dispose()  # a PostgreSQL template takes no other connection
        made[backend] = Baseline(url, folder / "archive", record, drop)
        return made[backend]

    yield get
    for baseline in made.values():
        if baseline.drop is not None:
            baseline.drop()


@pytest.fixture
def db_url(backend, tmp_path, baselines, postgresql):
    """A copy of the stored baseline (every database test here starts from it)."""
    baseline = baselines(backend)
    if backend == "sqlite":
        path = tmp_path / "monitor.db"
        shutil.copy(make_url(baseline.db_url).database, path)
        yield f"sqlite:///{path}"
        return
    name = postgresql.create(template=make_url(baseline.db_url).database)
    try:
        yield postgresql.url(name)
    finally:
        postgresql.drop(name)


@pytest.fixture
def archive(backend, tmp_path, baselines):
    from scrapers.fetch.archive import Archive

    shutil.copytree(baselines(backend).archive_dir, tmp_path / "archive", symlinks=True)
    return Archive(tmp_path / "archive")


@pytest.fixture
def stored(backend, baselines, session, archive):
    """The baseline state, committed, and a record of everything in it."""
    return copy.deepcopy(baselines(backend).record)


def problems(intake) -> list[tuple[str, str]]:
    session_problems = intake.result.problems if intake.result is not None else []
    return [(p.kind, p.detail) for p in session_problems]


def kinds(intake) -> set[str]:
    return {k for k, _d in problems(intake)}


def assert_nothing_lost(session, archive, before):
    after = kit.everything(session, archive)
    assert kit.lost_or_changed(before, after) == []
    return after


def counts_of(session, intake) -> dict[tuple[str, str], float]:
    rows = session.scalars(
        select(CountObservation).where(CountObservation.snapshot_id == intake.snapshot.id)
    )
    return {(c.dimension, c.category): c.value for c in rows if c.dimension2 is None}


# The June page retitled September 2022: a month the baseline does not hold, so no figure
# already stored is touched by reading it.
SEPT = JUNE.replace(b"June 2022", b"September 2022").replace(
    b"June 1, 2022 through June 30, 2022", b"September 1, 2022 through September 30, 2022"
)
SEPT_TITLE = "Report to Congress on Separated Children \u2013 September 2022"


def june_with(*swaps: tuple[bytes, bytes]) -> bytes:
    """The September copy of the June page with some bytes swapped."""
    body = SEPT
    for old, new in swaps:
        assert old in body, old
        body = body.replace(old, new)
    return body


# --- PDFs ------------------------------------------------------------------------------------

FUAR_LINES = [
    "U.S. Department of Homeland Security",
    "Family Unit Actions Report",
    "Fiscal Year 2022 Report to Congress",
    "June 2022",
]

# name -> (body, outcome, words the outcome's problem must carry)
PDF_CASES = {
    "cut_inside_a_stream_then_eof_appended": (
        FUAR[: len(FUAR) * 3 // 5] + b"\n%%EOF\n",
        "parse_error",
        "PDF",
    ),
    "header_and_eof_only": (b"%PDF-1.7\n%%EOF\n", "parse_error", "PDF"),
    "zero_pages_self_referencing_tree": (kit.self_referencing_pdf(), "empty", "no text layer"),
    "image_only_scan": (kit.image_only_pdf(), "empty", "no text layer"),
    "encrypted_with_a_user_password": (
        kit.encrypted_pdf(FUAR_LINES, user_password="s3cret"),
        "parse_error",
        "encrypted",
    ),
    # one page past the cap is refused as a bomb is: the cap is what is shown (counting the
    # pages of a bigger bomb costs ~4 ms a page here, 20 s of CPU for 5,000)
    "page_bomb_one_page_past_the_cap": (
        kit.pages_pdf([kit.text_ops(FUAR_LINES)] * (MAX_PAGES + 1), shared=True),
        "too_large",
        f"has {MAX_PAGES + 1:,} pages, more than the {MAX_PAGES:,}",
    ),
    # 80 MiB of page content from ~80 KiB of file: refused before it is inflated
    "flate_bomb_past_the_inflate_cap": (
        kit.flate_bomb_pdf(FUAR_LINES, 80 * 1024 * 1024),
        "too_large",
        "inflate to more than",
    ),
    "flate_bomb_wrapped_in_ascii85": (
        kit.flate_bomb_pdf(FUAR_LINES, 80 * 1024 * 1024, ascii85=True),
        "too_large",
        "decompression bomb",
    ),
}


@pytest.mark.parametrize("case", sorted(PDF_CASES))
def test_hostile_pdf_has_a_typed_outcome_and_loses_nothing(case, session, archive, stored):
    body, expected, words = PDF_CASES[case]
    intake, run = take(session, archive, DHS, DHS_PDF, body, "application/pdf")
    assert (intake.outcome, run.outcome) == (expected, expected)
    assert [k for k, _d in problems(intake)] == [expected]
    assert words in problems(intake)[0][1]
    after = assert_nothing_lost(session, archive, stored)
    assert kit.added(stored, after, "count_observations") == []
    assert kit.added(stored, after, "reports") == []  # an unreadable file is no report
    assert len(kit.added(stored, after, "snapshots")) == 1  # the evidence is kept


def test_a_pdf_that_reads_too_long_is_stopped_as_too_large():
    """The reading-time cap, checked after each page, with a clock that runs ten minutes per
    look (no timed assertion): the document is refused, typed, instead of holding the poll."""
    from scrapers.read.pdftables import MAX_READ_SECONDS, PdfUnreadable, read_pdf

    ticks = iter(range(0, 10**6, 600))
    with pytest.raises(PdfUnreadable) as info:
        read_pdf(kit.pages_pdf([kit.text_ops(FUAR_LINES)] * 3), clock=lambda: next(ticks))
    assert info.value.kind == "too_large"
    assert f"took more than {MAX_READ_SECONDS:g} s" in info.value.detail
    assert "before page 1 of 3" in info.value.detail  # the first look came after 600 s
    assert read_pdf(kit.pages_pdf([kit.text_ops(FUAR_LINES)] * 3)).page_count == 3  # real time


def test_the_caps_leave_every_bundled_report_alone():
    from scrapers.read.pdftables import MAX_INFLATED_BYTES, inflated_bytes

    bundled = sorted(FIXTURES.rglob("*.pdf"))
    assert bundled
    for path in bundled:
        assert inflated_bytes(path.read_bytes()) < MAX_INFLATED_BYTES // 100, path.name


def test_a_pdf_that_opens_without_a_password_is_read(session, archive, stored):
    """Encrypted only against copying (an empty user password), as agency PDFs often are: it is
    read like any other, not called unreadable."""
    body = kit.encrypted_pdf(FUAR_LINES, user_password="")
    intake, _run = take(session, archive, DHS, DHS_PDF, body, "application/pdf")
    assert "parse_error" not in kinds(intake) and "empty" not in kinds(intake)
    assert intake.result.reports and intake.result.reports[0].page_count == 1
    assert_nothing_lost(session, archive, stored)


def test_a_flate_bomb_is_read_within_bounds(session, archive, stored):
    """A 4 MiB content stream from a few KiB of file: read once, no crash, nothing invented."""
    body = kit.flate_bomb_pdf(FUAR_LINES, 4 * 1024 * 1024)
    assert len(body) < 20_000
    intake, _run = take(session, archive, DHS, DHS_PDF, body, "application/pdf")
    assert intake.outcome == "layout_changed" and intake.result.counts == []
    assert_nothing_lost(session, archive, stored)


@pytest.mark.parametrize(
    "tail",
    [b"\x00" * 4096, b"<html><body>served by mod_pagespeed</body></html>\n" * 80],
    ids=["nul_padding", "html_appended"],
)
def test_a_pdf_with_bytes_after_its_end_is_read(tail, session, archive, stored):
    """Download managers pad with NUL bytes and some servers append a page after %%EOF: every
    PDF reader ignores what follows the end, so the report is read, not called truncated."""
    intake, _run = take(
        session, archive, DHS, FUAR_URL.replace("june", "june-copy"), FUAR + tail, "application/pdf"
    )
    assert intake.outcome == "ok", problems(intake)
    first = session.scalar(
        select(Parse).where(
            Parse.snapshot_id
            == stored["reports"][
                next(k for k, r in stored["reports"].items() if r["url"] == FUAR_URL)
            ]["snapshot_id"]
        )
    )
    assert intake.stored.counts == first.counts
    after = kit.everything(session, archive)  # a second reading of June: June's figures get a
    assert kit.lost_or_changed(stored, after, kit.NEWER_READING) == []  # newer version, no more


# --- HTML ------------------------------------------------------------------------------------


def test_nested_and_merged_cell_tables_are_read_or_flagged_never_invented(session, archive, stored):
    """A rowspan repeats its label down the rows it covers (so the parts no longer add up to
    the printed total: inconsistent_total), a colspan over label and number is non_numeric,
    and a table nested in a cell is never read as the numbers of the table around it."""
    body = june_with(
        (
            b"<tr><td>El Paso</td><td>4</td></tr>",
            b'<tr><td rowspan="2">El Paso</td><td>4</td></tr><tr><td>2</td></tr>',
        ),
        (
            b"<tr><td>6\xe2\x80\x9312</td><td>6</td></tr>",
            b'<tr><td colspan="2">6\xe2\x80\x9312: 6</td></tr>',
        ),
        (
            b"<tr><td>Other</td><td>1</td></tr>",
            b"<tr><td>Other</td><td><table><tr><td>1</td><td>7</td></tr></table></td></tr>",
        ),
    )
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert intake.outcome == "ok"
    assert {"inconsistent_total", "non_numeric"} <= kinds(intake)
    values = counts_of(session, intake)
    sectors = session.scalars(
        select(CountObservation.value).where(
            CountObservation.snapshot_id == intake.snapshot.id, CountObservation.label == "El Paso"
        )
    )
    assert sorted(sectors) == [2, 4]  # the rowspan's label on both rows, flagged above
    assert [k for k in values if k[0] == "age_group"] == [
        ("age_group", "0-5"),
        ("age_group", "13-17"),
    ]
    assert values[("cause", "criminal_history")] == 9  # the table around a nested one is read
    assert ("cause", "other") not in values  # its nested cell is non_numeric, not 1, 7 or 17
    assert not {7, 17} & set(values.values())
    assert any("nested table" in d for k, d in problems(intake) if k == "non_numeric")
    assert_nothing_lost(session, archive, stored)


@pytest.mark.parametrize(
    "cell,expected_kind,words",
    [
        (b"-9", "invalid_record", "negative"),
        (b"(9)", "invalid_record", "negative"),
        (b"9,999,999,999,999", "invalid_record", "implausibly large"),
        (b"1e308", "non_numeric", "not a number"),
        (b"Infinity", "non_numeric", "not a number"),
    ],
    ids=["minus", "parenthesised", "absurd", "exponent", "infinity"],
)
def test_negative_and_absurd_counts_are_dropped_with_a_problem(
    cell, expected_kind, words, session, archive, stored
):
    # the second row of the cause table, so the header above it is read as a header
    body = june_with(
        (
            b"<td>Parent cartel/gang affiliation</td><td>3</td>",
            b"<td>Parent cartel/gang affiliation</td><td>" + cell + b"</td>",
        )
    )
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert intake.outcome == "ok"
    found = [d for k, d in problems(intake) if k == expected_kind]
    assert found and words in found[0], problems(intake)
    values = counts_of(session, intake)
    assert ("cause", "gang_affiliation") not in values  # dropped, never stored, never a zero
    assert values[("cause", "criminal_history")] == 9  # the rest of the table is kept
    assert_nothing_lost(session, archive, stored)


def test_a_period_in_the_future_of_the_fetch_is_dropped(session, archive, stored):
    """A page fetched in October 2022 that says it covers June 2031 cannot be right: the period
    (and counts dated by it) are dropped as invalid records; the report itself is kept."""
    body = june_with(
        (b"September 1, 2022 through September 30, 2022", b"June 1, 2031 through June 30, 2031")
    )
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert "invalid_record" in kinds(intake)
    assert any("a year after the document was fetched" in d for _k, d in problems(intake))
    report = session.scalar(select(Report).where(Report.url == HHS_AUG))
    assert report is not None and (report.period_start, report.period_end) == (None, None)
    dated = session.scalars(
        select(CountObservation).where(
            CountObservation.snapshot_id == intake.snapshot.id,
            CountObservation.period_start.is_not(None),
        )
    ).all()
    assert dated == []
    after = assert_nothing_lost(session, archive, stored)
    assert kit.added(stored, after, "figure_versions") == []


CP1252_JUNE = SEPT.decode("utf-8").encode("cp1252")
UTF16_JUNE = SEPT.decode("utf-8").replace('charset="utf-8"', "").encode("utf-16")


@pytest.mark.parametrize(
    "body,content_type",
    [
        (CP1252_JUNE, "text/html; charset=utf-8"),
        (SEPT, "text/html; charset=iso-8859-1"),
        (SEPT, "text/html; charset=utf-16"),
        (SEPT.replace(b'<meta charset="utf-8">', b'<meta charset="utf-16">'), "text/html"),
        (
            CP1252_JUNE.replace(b'<meta charset="utf-8">', b'<meta charset="x-no-such-charset">'),
            "text/html; charset=nonsense",
        ),
        (UTF16_JUNE, "text/html"),
    ],
    ids=[
        "cp1252_declared_utf8",
        "utf8_declared_latin1",
        "utf8_declared_utf16_header",
        "ascii_meta_utf16",
        "unknown_charsets",
        "utf16_with_bom_undeclared",
    ],
)
def test_a_page_in_another_encoding_than_it_declares_is_read(
    body, content_type, session, archive, stored
):
    """The declared charset is believed only when the bytes agree with it: a UTF-8 page called
    Latin-1 (or UTF-16) and a cp1252 page called UTF-8 read with their dashes and tables."""
    intake, _run = take(session, archive, HHS, HHS_AUG, body, content_type)
    assert intake.outcome == "ok", problems(intake)
    report = intake.result.reports[0]
    assert report.title == SEPT_TITLE
    assert counts_of(session, intake)[("cause", "criminal_history")] == 9
    assert_nothing_lost(session, archive, stored)


@pytest.mark.parametrize(
    "body",
    [
        june_with((b"<h3>", b"\x00<h3>"), (b"</table>", b"</table>\x00\x00")),
        june_with(
            (b"<td>Criminal history</td><td>9</td>", b"<td>Criminal history</td><td>9\x00</td>")
        ),
    ],
    ids=["between_tags", "inside_a_cell"],
)
def test_nul_bytes_in_a_page_are_ignored_as_browsers_do(body, session, archive, stored):
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert intake.outcome == "ok" and problems(intake) == []
    assert counts_of(session, intake)[("cause", "criminal_history")] == 9
    assert_nothing_lost(session, archive, stored)


def test_a_page_nested_thousands_deep_is_typed_and_bounded(session, archive, stored):
    body = june_with((b"<main>", b"<main>" + b"<div>" * 5000 + b"deep" + b"</div>" * 5000))
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert intake.outcome in ("ok", "layout_changed")
    if intake.outcome == "ok":  # read past the nesting: the tables are what the page prints
        assert counts_of(session, intake)[("cause", "criminal_history")] == 9
    else:
        assert kinds(intake) == {"layout_changed"}
    assert_nothing_lost(session, archive, stored)


def test_an_absurdly_long_label_is_stored_or_flagged_without_a_database_error(
    session, archive, stored
):
    label = "Rio Grande Valley " + "and beyond " * 60  # 680 characters in a sector cell
    body = june_with((b"<td>Rio Grande Valley</td>", f"<td>{label}</td>".encode()))
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    session.commit()  # PostgreSQL enforces column lengths at write time
    assert intake.outcome == "ok"
    for row in session.scalars(
        select(CountObservation).where(CountObservation.snapshot_id == intake.snapshot.id)
    ):
        assert len(row.category) <= 120
    assert_nothing_lost(session, archive, stored)


# --- listings --------------------------------------------------------------------------------

HHS_LISTING_BODY, HHS_LISTING = fixture(HHS, "listing_index_2022_reconstructed.html")


def listed(session) -> dict[str, object]:
    session.expire_all()
    return {
        r.url: r.removed_at
        for r in session.scalars(select(Report).where(Report.listed_on == HHS_LISTING))
    }


def test_a_listing_that_suddenly_lists_nothing_removes_no_report(session, archive, stored):
    """The page still has its header, menu and footer, but no report links (a broken CMS
    template): layout_changed, and not one of the seven reports it listed is marked removed."""
    body = (
        b"<!DOCTYPE html><html><head><title>Report to Congress on Separated Children | "
        b"HHS.gov</title></head><body><header><a href='/'>HHS.gov</a><a href='/about'>About"
        b"</a></header><main><h1>Report to Congress on Separated Children</h1><p>Reports "
        b"will be posted here.</p></main><footer><a href='/privacy'>Privacy</a></footer>"
        b"</body></html>"
    )
    before = listed(session)
    assert len(before) == 7 and all(v is None for v in before.values())
    intake, run = take(session, archive, HHS, HHS_LISTING, body, "text/html", listing=True)
    assert (intake.outcome, run.outcome) == ("layout_changed", "layout_changed")
    assert listed(session) == before
    assert_nothing_lost(session, archive, stored)


def test_a_report_that_vanishes_from_the_listing_and_returns_keeps_its_history(
    session, archive, stored
):
    june_key = next(k for k, r in stored["reports"].items() if r["url"] == JUNE_URL)
    without_june = HHS_LISTING_BODY.replace(JUNE_URL.encode(), b"#")
    assert without_june != HHS_LISTING_BODY
    intake, _run = take(session, archive, HHS, HHS_LISTING, without_june, "text/html", listing=True)
    assert intake.outcome == "ok"
    assert [r.url for r in intake.removed_reports] == [JUNE_URL]
    later = datetime(2022, 10, 2, 12, tzinfo=timezone.utc)
    intake, _run = take(
        session, archive, HHS, HHS_LISTING, HHS_LISTING_BODY, "text/html", listing=True, at=later
    )
    assert intake.outcome == "ok" and intake.new_reports == []  # the same report, not a new one
    report = session.get(Report, june_key)
    assert (
        report.removed_at is None
        and report.last_seen == later.replace(tzinfo=None)
        or report.last_seen == later
    )
    after = kit.everything(session, archive)
    # only the listing's reading of the reports it links moved (last seen, on the report and on
    # its row for this listing page); nothing else
    assert (
        kit.lost_or_changed(
            stored, after, {"reports": {"last_seen"}, "report_listings": {"last_seen"}}
        )
        == []
    )
    june_counts = [
        k for k, r in stored["count_observations"].items() if (r["report_id"],) == june_key
    ]
    assert june_counts and all(k in after["count_observations"] for k in june_counts)


def test_one_report_under_two_urls_is_archived_once_and_never_counted_twice(
    session, archive, stored
):
    """The same June page reached again by an address without index.html: one archived body,
    a second snapshot for the second address, and the analyst figures for June 2022 stay
    what the page prints (figure versions are per figure, not per address)."""
    june_figures = {k: r["value"] for k, r in stored["figure_versions"].items()}
    other = JUNE_URL.removesuffix("index.html")
    intake, _run = take(session, archive, HHS, other, JUNE, "text/html; charset=utf-8")
    assert intake.outcome == "ok" and intake.snapshot_new
    after = kit.everything(session, archive)
    assert kit.lost_or_changed(stored, after, kit.NEWER_READING) == []
    objects = [f for f in after["archive files"] if f.startswith("objects/")]
    assert objects == [f for f in stored["archive files"] if f.startswith("objects/")]  # one copy
    from monitor.models import FigureVersion

    session.expire_all()
    current = {}
    for fv in session.scalars(select(FigureVersion).where(FigureVersion.is_current.is_(True))):
        if fv.month == "2022-06" and fv.dimension == "cause" and fv.source_id == HHS:
            current.setdefault(fv.category, set()).add(fv.value)
    assert current["criminal_history"] == {9}  # never 18
    assert set(june_figures.values()) >= {9}


@pytest.mark.parametrize(
    "period",
    [
        b"February 1, 2022 through February 30, 2022",
        b"September 1, 2022 through September 31, 2022",
        b"September 1, 20222 through September 30, 20222",
    ],
    ids=["february_30", "september_31", "five_digit_year"],
)
def test_an_impossible_date_gives_no_period_never_an_invented_one(period, session, archive, stored):
    body = june_with((b"September 1, 2022 through September 30, 2022", period))
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert intake.outcome == "ok"
    report = session.scalar(select(Report).where(Report.url == HHS_AUG))
    assert (report.period_start, report.period_end) == (None, None)
    # ...and says so: a typed problem naming the date, never a silent pass
    bad = [d for k, d in problems(intake) if k == "impossible_date"]
    assert bad and all("is not a date" in d and "it was not read as one" in d for d in bad)
    assert period.split(b" through ")[1].decode() in " ".join(bad)
    after = assert_nothing_lost(session, archive, stored)
    assert kit.added(stored, after, "figure_versions") == []  # no figure without a period


def test_a_numeric_impossible_date_is_a_typed_problem(session, archive, stored):
    body = june_with(
        (b"Please find the language", b"Data as of 13/45/2024. Please find the language")
    )
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert intake.outcome == "ok"
    (detail,) = [d for k, d in problems(intake) if k == "impossible_date"]
    assert "'13/45/2024' is not a date (there is no month 13 (read as month/day/year))" in detail
    assert_nothing_lost(session, archive, stored)


@pytest.mark.parametrize(
    "junk",
    [
        b'<tr><td colspan="2">Percent of total may not sum due to rounding</td></tr>',
        b"<tr><td>Percent of total may not sum due to rounding</td></tr>",
    ],
    ids=["spanning_cell", "single_cell"],
)
def test_a_junk_row_above_a_table_is_not_absorbed_into_its_headings(junk, session, archive, stored):
    """Absorbed into the headings, a note saying "Percent ..." made the Children column a
    percentage (not stored): the sector counts vanished without a word. The row is kept out
    of the headings and reported."""
    body = june_with(
        (b"<tr><td><strong>Sector</strong>", junk + b"\n<tr><td><strong>Sector</strong>")
    )
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert intake.outcome == "ok"
    (detail,) = [d for k, d in problems(intake) if k == "stray_header_row"]
    assert "table 1 (Separated children, by sector where separation occurred)" in detail
    assert "'Percent of total may not sum due to rounding'" in detail
    sectors = sorted(v for (dim, _c), v in counts_of(session, intake).items() if dim == "sector")
    assert sectors == [2, 2, 4, 6]
    assert_nothing_lost(session, archive, stored)


ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %s "%s">' % (chr(98 + i).encode(), ("&" + chr(97 + i) + ";").encode() * 10)
        for i in range(8)
    )
    + b"]>\n"
)


def test_an_entity_expansion_bomb_is_not_expanded(session, archive, stored):
    """A billion-laughs DOCTYPE in front of the page and its last entity in a number cell: the
    HTML reader does not expand declared entities, so the cell is non_numeric, not 10^9 bytes."""
    body = ENTITY_BOMB + june_with(
        (
            b"<td>Parent cartel/gang affiliation</td><td>3</td>",
            b"<td>Parent cartel/gang affiliation</td><td>&i;</td>",
        )
    )
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    assert intake.outcome == "ok"
    assert any("gang affiliation" in d for k, d in problems(intake) if k == "non_numeric")
    assert counts_of(session, intake)[("cause", "criminal_history")] == 9
    assert_nothing_lost(session, archive, stored)


def test_a_reparse_judges_dates_against_the_day_the_copy_was_fetched(session, archive, stored):
    """A new parser version rereads every archived copy; the copy fetched in October 2022 that
    claims June 2031 is judged against its own fetch day again, so the reparse does not set the
    period the first reading dropped."""
    from dataclasses import replace

    from monitor.reparsing import reparse_source
    from scrapers.registry import RegisteredSource

    body = june_with(
        (b"September 1, 2022 through September 30, 2022", b"June 1, 2031 through June 30, 2031")
    )
    intake, _run = take(session, archive, HHS, HHS_AUG, body, "text/html; charset=utf-8")
    hhs = load_source(HHS)
    newer = RegisteredSource(
        replace(hhs.source, parser_version="hostile-2"),
        lambda doc: replace(hhs.parse(doc), parser_version="hostile-2"),
    )
    items = reparse_source(session, archive, newer, now=HOSTILE_AT)
    assert {i.snapshot_id: i.outcome for i in items}[intake.snapshot.id] == intake.outcome
    session.expire_all()
    report = session.scalar(select(Report).where(Report.url == HHS_AUG))
    assert (report.period_start, report.period_end) == (None, None)
    details = session.scalars(
        select(ParseProblem.detail)
        .join(Parse)
        .where(Parse.snapshot_id == intake.snapshot.id, Parse.parser_version == "hostile-2")
    ).all()
    assert any("a year after the document was fetched on 2022-10-01" in d for d in details)


def test_a_page_bomb_is_refused_on_its_declared_count_before_its_pages_are_built(monkeypatch):
    """Five thousand pages: refused on the page tree's /Count, without pdfplumber building
    every page object first (what made refusing it cost 20 s of CPU)."""
    import pdfplumber.pdf

    from scrapers.read.pdftables import PdfUnreadable, read_pdf

    def no_pages(_self):
        raise AssertionError("the pages were built before the page count was checked")

    monkeypatch.setattr(pdfplumber.pdf.PDF, "pages", property(no_pages))
    body = kit.pages_pdf([kit.text_ops(FUAR_LINES)] * 5000, shared=True)
    with pytest.raises(PdfUnreadable) as refused:
        read_pdf(body)
    assert refused.value.kind == "too_large"
    assert "has 5,000 pages, more than the 1,000" in str(refused.value)
