"""Parse problems the operator must see: what each document's latest reading could not read.

A parse stores its problems (``parse_problems``): a cause label the taxonomy does not know
(``unmapped_label``), a cell that is not a number (``non_numeric``), parts that do not add up to
a printed total (``inconsistent_total``), a document whose tables are gone (``layout_changed``)...
Only the latest reading of each document counts: the latest parse of the snapshot the URL serves
now (a page that returned to an earlier body serves that body again). Older readings are history.

Each distinct unmapped label of a source is one operator finding (family ``parsing``, subject
``<source>|<label>``) naming the documents and pages that print it; it resolves when no current
reading has it any more (a re-parse with an extended taxonomy maps it, or the report changed).
:func:`sync_parsing_findings` keeps them in step; ``monitor.store.record_parse``, the one writer
of parses (fetch, ingest and reparse alike), calls it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.models import FetchRun, FindingRow, Parse, ParseProblem, Snapshot
from scrapers.vocabulary import ProblemKind, values

FAMILY = "parsing"
# What the summary and `monitor problems` list first: the problems a person must act on.
KIND_ORDER = values(
    ProblemKind.UNMAPPED_LABEL,
    ProblemKind.LAYOUT_CHANGED,
    ProblemKind.NON_NUMERIC,
    ProblemKind.INCONSISTENT_TOTAL,
    ProblemKind.PARSE_ERROR,
    ProblemKind.EMPTY,
    ProblemKind.INVALID_RECORD,
)
# A parser's detail names the table first ("Table 2: cause label 'X' is ..."), then the label
# as a Python repr, which literal_eval reads back exactly.
_LABEL = re.compile(r"""(?:cause label|row) ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
_TABLE = re.compile(r"^[^:]{1,80}: ")


@dataclass(frozen=True)
class CurrentProblem:
    source: str
    kind: str
    detail: str
    url: str
    page: int | None
    sha256: str
    parser_version: str
    report_id: int | None

    @property
    def label(self) -> str | None:
        """The label printed in the document that the problem is about, if it names one."""
        match = _LABEL.search(self.detail)
        if match is None:
            return None
        try:
            return ast.literal_eval(match.group(1))
        except (SyntaxError, ValueError):
            return None

    @property
    def what(self) -> str:
        """What groups problems together: an unmapped label, or the detail without the table
        name (a non-numeric cell's detail names its row and column)."""
        if self.kind == "unmapped_label" and self.label is not None:
            return self.label
        return _TABLE.sub("", self.detail)


@dataclass
class ProblemGroup:
    """One kind of problem with one label in one document, and how often its reading has it."""

    source: str
    kind: str
    what: str
    label: str | None
    detail: str
    url: str
    sha256: str
    parser_version: str
    report_id: int | None
    pages: list[int] = field(default_factory=list)
    count: int = 0
    finding: int | None = None  # the operator finding that stands for it (unmapped labels)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "label": self.label,
            "detail": self.detail,
            "url": self.url,
            "report_id": self.report_id,
            "pages": self.pages,
            "count": self.count,
            "sha256": self.sha256,
            "parser_version": self.parser_version,
            "finding": self.finding,
        }


def current_snapshot_ids(session: Session, source_id: str | None = None) -> dict[str, int]:
    """URL -> the snapshot it serves now: the latest fetch run's, unless a later snapshot was
    stored (an ingest, or a body being parsed before its run row is written).

    The latest run of each URL that has a snapshot is one lookup of ``fetch_runs(url,
    started_at)`` per URL, not a pass over every run ever made (bench/daily_run.py)."""
    snaps = select(Snapshot.url, Snapshot.id, Snapshot.fetched_at)
    urls = select(Snapshot.url).distinct()
    newest = select(FetchRun.started_at).where(FetchRun.snapshot_id.is_not(None))
    if source_id is not None:
        snaps = snaps.where(Snapshot.source_id == source_id)
        urls = urls.where(Snapshot.source_id == source_id)
        newest = newest.where(FetchRun.source_id == source_id)
    latest: dict[str, tuple] = {}
    for url, sid, at in session.execute(snaps):
        if url not in latest or (at, sid) > latest[url]:
            latest[url] = (at, sid)
    wanted = urls.subquery()
    newest = (
        newest.where(FetchRun.url == wanted.c.url)
        .order_by(FetchRun.started_at.desc(), FetchRun.id.desc())
        .limit(1)
    )
    ran = {
        url: (at, sid)
        for url, at, sid in session.execute(
            select(
                wanted.c.url,
                newest.scalar_subquery(),
                newest.with_only_columns(FetchRun.snapshot_id).scalar_subquery(),
            )
        )
        if at is not None
    }
    current = {}
    for url, (at, sid) in latest.items():
        run_at = ran.get(url)
        current[url] = run_at[1] if run_at is not None and run_at[0] >= at else sid
    return current


def current_problems(session: Session, source_id: str | None = None) -> list[CurrentProblem]:
    """The problems of the latest parse of every document's current snapshot."""
    snapshot_ids = list(current_snapshot_ids(session, source_id).values())
    if not snapshot_ids:
        return []
    latest_parse = (
        select(func.max(Parse.id))
        .where(Parse.snapshot_id.in_(snapshot_ids))
        .group_by(Parse.snapshot_id)
    )
    rows = session.execute(
        select(
            Parse.source_id,
            ParseProblem.kind,
            ParseProblem.detail,
            Snapshot.url,
            ParseProblem.page,
            Snapshot.sha256,
            Parse.parser_version,
            ParseProblem.report_id,
        )
        .join(Parse, ParseProblem.parse_id == Parse.id)
        .join(Snapshot, Parse.snapshot_id == Snapshot.id)
        .where(Parse.id.in_(latest_parse))
        .order_by(Parse.source_id, Snapshot.url, ParseProblem.id)
    )
    return [CurrentProblem(*row) for row in rows]


def _rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def group_problems(problems: Iterable[CurrentProblem]) -> list[ProblemGroup]:
    """Grouped by (source, kind, label or detail, document), most pressing kinds first."""
    groups: dict[tuple, ProblemGroup] = {}
    for p in problems:
        key = (p.source, p.kind, p.what, p.url)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ProblemGroup(
                p.source,
                p.kind,
                p.what,
                p.label,
                p.detail,
                p.url,
                p.sha256,
                p.parser_version,
                p.report_id,
            )
        group.count += 1
        if p.page is not None and p.page not in group.pages:
            group.pages.append(p.page)
    return sorted(groups.values(), key=lambda g: (_rank(g.kind), g.source, g.what, g.url))


def subject(source_id: str, label: str) -> str:
    return f"{source_id}|{label}"


def _unmapped(problems: Iterable[CurrentProblem]) -> dict[str, tuple[str, dict[str, Any]]]:
    """subject -> (summary, evidence) of every distinct unmapped label in the problems."""
    by_label: dict[tuple[str, str], list[CurrentProblem]] = {}
    for p in problems:
        if p.kind == "unmapped_label":
            by_label.setdefault((p.source, p.label or p.what), []).append(p)
    out = {}
    for (source_id, label), found in sorted(by_label.items()):
        # the parser version stays out: a re-parse that still cannot map it changes nothing
        documents = sorted(
            {(p.url, p.page, p.sha256, p.report_id) for p in found}, key=lambda d: (d[0], d[1] or 0)
        )
        first = documents[0]
        where = f"{first[0]}" + (f" page {first[1]}" if first[1] is not None else "")
        more = f" and {len(documents) - 1} more place(s)" if len(documents) > 1 else ""
        summary = (
            f"{source_id}: {_TABLE.sub('', found[0].detail)}; printed in {where}{more}. "
            "Add the wording to the taxonomy, then `monitor reparse "
            f"{source_id}`"
        )
        evidence = {
            "source": source_id,
            "label": label,
            "detail": found[0].detail,
            "documents": [
                {"url": url, "page": page, "snapshot_sha256": sha, "report_id": report_id}
                for url, page, sha, report_id in documents
            ],
        }
        out[subject(source_id, label)] = (summary, evidence)
    return out


def sync_parsing_findings(
    session: Session, source_id: str, now: datetime, *, new_unmapped: bool = True
):
    """Make the source's ``parsing`` operator findings the distinct unmapped labels of its
    current readings. Cheap when there is nothing to do: unless the parse just stored has an
    unmapped label (``new_unmapped``) or the source has unresolved parsing findings, it returns
    None without reading the problems."""
    from monitor.operator_findings import OPERATOR, sync_operator_family
    from monitor.poll_plan import plan_of

    plan = plan_of(session)
    if plan is not None:
        if not new_unmapped and plan.parsing_findings_none(source_id):
            return None  # none was open as the cycle began, and none was opened since
        plan.parsing_reported(source_id)
    if not new_unmapped:
        unresolved = session.scalar(
            select(func.count())
            .select_from(FindingRow)
            .where(
                FindingRow.obligation_id == OPERATOR,
                FindingRow.family == FAMILY,
                FindingRow.state != "resolved",
                FindingRow.subject.startswith(f"{source_id}|", autoescape=True),
            )
        )
        if not unresolved:
            return None
    current = _unmapped(current_problems(session, source_id))
    return sync_operator_family(session, FAMILY, current, now, subject_prefix=f"{source_id}|")


def attach_findings(session: Session, groups: list[ProblemGroup]) -> list[ProblemGroup]:
    """Fill in the operator finding that stands for each unmapped label."""
    from monitor.operator_findings import OPERATOR

    subjects = {
        subject(g.source, g.label or g.what): g for g in groups if g.kind == "unmapped_label"
    }
    if subjects:
        rows = session.execute(
            select(FindingRow.subject, FindingRow.id).where(
                FindingRow.obligation_id == OPERATOR,
                FindingRow.family == FAMILY,
                FindingRow.subject.in_(list(subjects)),
            )
        )
        ids = dict(rows.all())
        for g in groups:
            if g.kind == "unmapped_label":
                g.finding = ids.get(subject(g.source, g.label or g.what))
    return groups


def problem_groups(session: Session, source_id: str | None = None) -> list[ProblemGroup]:
    return attach_findings(session, group_problems(current_problems(session, source_id)))


def problems_headline(groups: list[ProblemGroup]) -> str:
    if not groups:
        return "none in the latest reading of any document"
    kinds: dict[str, int] = {}
    for g in groups:
        kinds[g.kind] = kinds.get(g.kind, 0) + 1
    return (
        ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        + f" in {len({g.url for g in groups})} document(s)"
    )


def problem_lines(groups: list[ProblemGroup], limit: int | None = None) -> list[str]:
    """The lines people read: one per (kind, label, document), with the count and pages."""
    lines = []
    shown = groups if limit is None else groups[:limit]
    for g in shown:
        pages = f" page {', '.join(map(str, g.pages))}" if g.pages else ""
        what = repr(g.what) if g.kind == "unmapped_label" else g.what
        finding = f"  (finding #{g.finding})" if g.finding else ""
        times = f" x{g.count}" if g.count > 1 else ""
        lines.append(f"{g.kind:<18} {what[:110]}{times}{finding}")
        lines.append(f"{'':<18} in {g.url}{pages}")
    if limit is not None and len(groups) > limit:
        lines.append(f"... and {len(groups) - limit} more (`monitor problems` lists them all)")
    return lines
