"""`monitor check`: is everything the monitor runs on loadable and self-consistent?

Errors (exit 1): a rule file that does not validate, a rule whose own cases fail, two rules with
one id, a source module that cannot be loaded. Warnings: a rule that watches a source not
implemented yet (it evaluates to `unknown` and takes manual evidence until then); every citation
the rule names anywhere (a segment, a due rule, a content requirement...) whose enactment date
or text was not verified, with what rests on it; a due day that no citation fixes (an assumption).
"""

from __future__ import annotations

from typing import Any, Iterator


def check_all(rules_dir=None, verified: dict | None = None, congress=None) -> dict[str, Any]:
    """``verified``: (obligation id, citation id) -> where an official text was found to carry
    the citation's words (``monitor.candidates.verifications``); such a text is verified.
    ``congress``: Congress's record as stored (``rules.congress.CongressRecord``), whose House
    requirements citing a law an obligation cites, claimed by none, are listed."""
    from rules.cases import run_case
    from rules.obligations import BUNDLED_DIR, ObligationError, is_draft, load_obligation_file
    from scrapers.registry import load_source, source_ids

    errors: list[str] = []
    warnings: list[str] = []
    directory = rules_dir or BUNDLED_DIR
    obligations = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        errors.append(f"no rule files in {directory.name}/")
    drafts = [path for path in files if is_draft(path)]
    for path in drafts:
        warnings.append(
            f"rule file {path.name} is a draft (written by `monitor adopt`): not "
            "evaluated until its TODOs are completed and `draft: true` is removed"
        )
    for path in files:
        if path in drafts:
            continue
        try:
            obligations.append(load_obligation_file(path))
        except ObligationError as exc:
            errors.append(f"rule file {exc}")

    cases_passed = 0
    for ob in obligations:
        for case in ob.cases:
            result = run_case(ob, case)
            if result.ok:
                cases_passed += 1
            else:
                errors.append(result.describe())

    sources = []
    for source_id in source_ids():
        try:
            load_source(source_id)
            sources.append(source_id)
        except Exception as exc:  # noqa: BLE001 - any failure to load is reported, not raised
            errors.append(f"source {source_id}: {type(exc).__name__}: {exc}")

    for ob in obligations:
        for source_id in sorted(ob.watched_sources()):
            if source_id not in sources:
                warnings.append(
                    f"{ob.id}: source {source_id} is not implemented yet; the "
                    "obligation evaluates to unknown until it is (record manual "
                    f"evidence with `monitor evidence {ob.id} ...`)"
                )
        warnings.extend(citation_warnings(ob, verified))

    unclaimed = []
    if congress is not None:
        from rules.congress import unclaimed_requirements

        unclaimed = unclaimed_requirements(obligations, congress)
        for req in unclaimed:
            agency = req["agency"] or "agency not given"
            frequency = req["frequency"] or "frequency not given"
            citing = ", ".join(req["obligations_citing_the_law"])
            warnings.append(
                f"Congress.gov House requirement {req['number']} ({req['legal_authority']}; "
                f"{agency}; {frequency}) cites a law that {citing} cite(s), and no rule claims "
                "it: name it in that rule's congress_requirements if it is the same mandate"
            )
    return {
        "ok": not errors,
        "errors": errors,
        "warnings": warnings,
        "obligations": [ob.id for ob in obligations],
        "cases_passed": cases_passed,
        "sources": sources,
        "unclaimed_congress_requirements": unclaimed,
    }


def citation_references(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, citation id) for every ``citation`` field anywhere in a rule (its own test cases
    and the list of citations excepted), so a field added later is covered too."""
    from pydantic import BaseModel

    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            if not path and name in ("cases", "citations"):
                continue
            value = getattr(node, name)
            where = f"{path}.{name}" if path else name
            if name == "citation" and isinstance(value, str):
                yield path or name, value
            else:
                yield from citation_references(value, where)
    elif isinstance(node, (tuple, list)):
        for i, item in enumerate(node):
            yield from citation_references(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from citation_references(item, f"{path}.{key}")


def citation_warnings(ob, verified: dict | None = None) -> list[str]:
    """A warning per citation the rule names whose enactment date (when it has one) or text is
    not verified, saying what rests on it; and one for due days that no citation fixes. A text
    found in an official text (``verified``) counts as verified."""
    verified = verified or {}
    out = []
    named: dict[str, list[str]] = {}
    for where, cid in citation_references(ob):
        if where.endswith("].due"):  # a segment and its due rule are one place
            where = where.removesuffix(".due")
        if where not in named.setdefault(cid, []):
            named[cid].append(where)
    for cid, places in named.items():
        citation = ob.citation(cid)
        unverified = [
            what
            for what, ok, applies in (
                ("enactment date", citation.enactment_verified, citation.enacted is not None),
                ("text", citation.text_verified or (ob.id, cid) in verified, True),
            )
            if applies and not ok
        ]
        if not unverified:
            continue
        deadlines = [p for p in places if p.startswith("cadence")]
        others = [p for p in places if p not in deadlines]
        uses = " and ".join(
            f"{label} ({', '.join(group)})"
            for label, group in (("deadlines", deadlines), ("requirements", others))
            if group
        )
        out.append(
            f"{ob.id}: {uses} rest on citation {cid} whose {' and '.join(unverified)} "
            f"{'is' if len(unverified) == 1 else 'are'} not verified against the public law"
        )
    dues = [(f"cadence.segments[{i}]", seg.due) for i, seg in enumerate(ob.cadence.segments)]
    if ob.cadence.due is not None:
        dues.append(("cadence.due", ob.cadence.due))
    assumed: dict[str, list[str]] = {}
    for where, due in dues:
        if due.citation is None:
            texts = [
                a.text.strip()
                for a in ob.assumptions
                if where.startswith(a.field) or a.field.startswith(where.split("[")[0])
            ]
            basis = (
                (": " + texts[0].split(". ")[0].rstrip(".") + ".")
                if texts
                else " that the rule does not state"
            )
            assumed.setdefault(basis, []).append(f"{where} ({due.rule})")
    for basis, places in assumed.items():
        out.append(
            f"{ob.id}: no citation fixes the due day of {', '.join(places)}, so "
            f"{'its' if len(places) == 1 else 'their'} deadlines rest on an "
            f"assumption{basis}"
        )
    return out
