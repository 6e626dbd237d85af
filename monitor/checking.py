"""`monitor check`: is everything the monitor runs on loadable and self-consistent?

Errors (exit 1): a rule file that does not validate, a rule whose own cases fail, two rules with
one id, a source module that cannot be loaded. Warnings: a rule that watches a source not
implemented yet (it evaluates to `unknown` and takes manual evidence until then), a deadline
computed from a citation whose enactment date or text was not verified.
"""

from __future__ import annotations

from typing import Any


def check_all(rules_dir=None) -> dict[str, Any]:
    from rules.cases import run_case
    from rules.obligations import BUNDLED_DIR, ObligationError, load_obligation_file
    from scrapers.registry import load_source, source_ids

    errors: list[str] = []
    warnings: list[str] = []
    directory = rules_dir or BUNDLED_DIR
    obligations = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        errors.append(f"no rule files in {directory.name}/")
    for path in files:
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
                warnings.append(f"{ob.id}: source {source_id} is not implemented yet; the "
                                "obligation evaluates to unknown until it is (record manual "
                                f"evidence with `monitor evidence {ob.id} ...`)")
        anchors = {seg.due.citation for seg in ob.cadence.segments}
        if ob.cadence.due is not None:
            anchors.add(ob.cadence.due.citation)
        for cid in sorted(a for a in anchors if a):
            citation = ob.citation(cid)
            unverified = [what for what, ok in (("enactment date", citation.enactment_verified),
                                                ("text", citation.text_verified)) if not ok]
            if unverified:
                warnings.append(f"{ob.id}: deadlines rest on citation {cid} whose "
                                f"{' and '.join(unverified)} {'is' if len(unverified) == 1 else 'are'}"
                                " not verified against the public law")

    return {"ok": not errors, "errors": errors, "warnings": warnings,
            "obligations": [ob.id for ob in obligations], "cases_passed": cases_passed,
            "sources": sources}
