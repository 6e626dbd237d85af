"""`monitor check` warns about every citation a rule names anywhere (segments, due rules,
content requirements) whose enactment date or text is unverified, and about due days no
citation fixes: the FUAR's assumed deadline must not escape."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitor.checking import check_all, citation_references, citation_warnings
from rules.obligations import BUNDLED_DIR, load_obligation_file

FUAR = BUNDLED_DIR / "dhs_family_unit_actions_monthly.yaml"


def test_the_fuar_rule_s_assumed_deadline_is_warned_about():
    warnings = check_all()["warnings"]
    fuar = [w for w in warnings if w.startswith("dhs_family_unit_actions_monthly: ")]
    assert fuar == [
        "dhs_family_unit_actions_monthly: deadlines (cadence.segments[0]) rest on citation "
        "pl116_93 whose text is not verified against the public law",
        "dhs_family_unit_actions_monthly: deadlines (cadence.segments[1]) rest on citation "
        "pl116_260 whose enactment date and text are not verified against the public law",
        "dhs_family_unit_actions_monthly: no citation fixes the due day of cadence.segments[0] "
        "(after_period_end), cadence.segments[1] (after_period_end), so their deadlines rest on "
        "an assumption: ASSUMPTION: a month's report is due on the last day of the following "
        "month.",
    ]


def test_every_unverified_citation_named_anywhere_is_warned_about():
    for path in sorted(BUNDLED_DIR.glob("*.yaml")):
        ob = load_obligation_file(path)
        warnings = citation_warnings(ob)
        for where, cid in citation_references(ob):
            c = ob.citation(cid)
            if (c.enacted is not None and not c.enactment_verified) or not c.text_verified:
                assert any(
                    f"rest on citation {cid} " in w and where.removesuffix(".due") in w
                    for w in warnings
                ), (path.name, where, cid)
    refs = set(citation_references(load_obligation_file(FUAR)))
    assert ("content.counts[0]", "dhs_landing_page") in refs  # content is walked too


def _fuar_with(tmp_path: Path, edit) -> list[str]:
    data = yaml.safe_load(FUAR.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / FUAR.name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return citation_warnings(load_obligation_file(path))


def test_verified_citations_and_cited_due_days_raise_no_warning(tmp_path):
    def verify_all(data):
        for c in data["citations"]:
            c["enactment_verified"] = c["text_verified"] = True

    assert [w for w in _fuar_with(tmp_path, verify_all) if "rest on citation" in w] == []

    def cite_the_due_day(data):
        verify_all(data)
        for seg in data["cadence"]["segments"]:
            seg["due"]["days"] = 30
            del seg["due"]["months"], seg["due"]["day"]
            seg["due"]["citation"] = seg["citation"]

    assert _fuar_with(tmp_path, cite_the_due_day) == []

    def unverify_the_landing_page(data):
        verify_all(data)
        data["citations"][3]["text_verified"] = False

    assert [
        w for w in _fuar_with(tmp_path, unverify_the_landing_page) if "rest on citation" in w
    ] == [
        "dhs_family_unit_actions_monthly: requirements (content.counts[0]) rest on citation "
        "dhs_landing_page whose text is not verified against the public law"
    ]
