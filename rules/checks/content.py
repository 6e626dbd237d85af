"""Does each published report contain what the law asks for?

Judged on a report's latest reading. Required tables (counts by measure and dimension) can only
be judged on a reading whose outcome is ``ok``; a required statement is satisfied by any reading
that found it ``stated`` (statements are read from the text even when the tables were not found),
and otherwise needs an ``ok`` reading to be called absent. What cannot be judged is ``unknown``
(for the operator), never ``incomplete``.

Silence next to an ambiguous label is the case Congress cared about: a cause table that says
"criminal history (U.S. or home country)" without saying whether a foreign government supplied
the information. The label and its page are quoted in the evidence.
"""

from __future__ import annotations

from typing import Iterator

from rules.evaluation import Evaluation
from rules.facts import ReadFact, StatementFact
from rules.findings import Finding
from rules.obligations import Content, Obligation, StatementRequirement
from scrapers.interpret.taxonomy import load as load_taxonomy


def _ambiguous_label(read: ReadFact, req: StatementRequirement) -> dict | None:
    if req.ambiguous_labels != "taxonomy":
        return None
    taxonomy = load_taxonomy()
    for count in read.counts:
        if taxonomy.origin_is_ambiguous(count.label):
            return {
                "quote": count.label,
                "page": count.page,
                "table": f"{count.measure} by {count.dimension}",
            }
    return None


def _statement(read: ReadFact, key: str) -> StatementFact | None:
    found = [s for s in read.statements if s.key == key]
    if not found:
        return None
    for status in ("stated", "ambiguous", "not_stated", "not_required"):
        for s in found:
            if s.status == status:
                return s
    return found[0]


def judge(read: ReadFact, content: Content, effective_from) -> tuple[str, list[dict]]:
    """('ok' | 'incomplete' | 'unknown', the items behind it). Pure, cached per reading."""
    gaps: list[dict] = []
    unjudged: list[dict] = []
    present = {(c.measure, c.dimension) for c in read.counts}
    for req in content.counts:
        item = {
            "requirement": f"{req.measure} by {req.dimension}",
            "why": req.why,
            "citation": req.citation,
        }
        if not read.readable:
            unjudged.append({**item, "problem": f"the reading was {read.outcome}"})
        elif (req.measure, req.dimension) not in present:
            gaps.append({**item, "problem": "no such table in the report"})
    for req in content.statements:
        stmt = _statement(read, req.key)
        item = {"requirement": f"statement {req.key}", "why": req.why, "citation": req.citation}
        if stmt is not None and stmt.status in req.accept:
            continue
        if not read.readable:
            unjudged.append({**item, "problem": f"the reading was {read.outcome}"})
            continue
        label = _ambiguous_label(read, req)
        if stmt is None or stmt.status == "not_stated":
            problem = "the report does not make the statement"
            if label:
                problem += (
                    f"; its {label['table']} table says {label['quote']!r}, which does "
                    "not tell whether a foreign government supplied the information"
                )
            gaps.append(
                {
                    **item,
                    "problem": problem,
                    "status": stmt.status if stmt else None,
                    **(label or {}),
                }
            )
        elif stmt.status == "ambiguous":
            quote = {"quote": stmt.quote, "page": stmt.page} if stmt.quote else (label or {})
            gaps.append(
                {
                    **item,
                    "status": "ambiguous",
                    "problem": "the report's wording is ambiguous about it",
                    **quote,
                }
            )
        else:  # not_required, while the rule says it is required
            gaps.append(
                {
                    **item,
                    "status": stmt.status,
                    "quote": stmt.quote,
                    "page": stmt.page,
                    "problem": f"the reading judged it {stmt.status}, but the rule requires "
                    f"it for data periods ending on or after {effective_from}",
                }
            )
    if gaps:
        return "incomplete", gaps
    if unjudged:
        return "unknown", unjudged
    return "ok", []


def _verdicts(ev: Evaluation, source_id: str, ob: Obligation) -> list[tuple]:
    """(report, reading, status, items) for every report of the source whose latest reading
    falls short of ``ob``'s content rule. Shared by obligations with the same rule."""
    key = ("content", source_id, ob.content.model_dump_json(), ob.effective_from)
    found = ev.memo.get(key)
    if found is None:
        found = []
        for report in ev.reports(source_id):
            if report.period is None:
                continue
            read = ev.latest_read(report)
            if read is None:
                continue  # listed but not read yet: nothing to judge
            status, items = judge(read, ob.content, ob.effective_from)
            if status != "ok":
                found.append((report, read, status, items))
        ev.memo[key] = found
    return found


def content(ob: Obligation, ev: Evaluation) -> Iterator[Finding]:
    for source_id in ob.sources:
        for report, read, status, items in _verdicts(ev, source_id, ob):
            period = report.period
            if not ob.applies_to(period):
                continue
            evidence = ev.base_evidence(ob, items[0]["citation"])
            evidence["period"] = period.evidence()
            evidence["reports"] = [ev.report_ref(report, read)]
            evidence["items"] = items
            quoted = next((i for i in items if i.get("quote")), None)
            if quoted:
                evidence["quote"] = quoted["quote"]
                evidence["page"] = quoted.get("page")
            what = "; ".join(f"{i['requirement']}: {i['problem']}" for i in items)
            label = "incomplete" if status == "incomplete" else "cannot be judged"
            yield Finding(
                obligation=ob.id,
                kind=status,
                family="content",
                severity=ob.severity_for(status),
                summary=f"{ob.title}, report for {period.label}: {label} ({what})",
                period_start=period.start,
                period_end=period.end,
                subject=report.url,
                evidence=evidence,
            )
