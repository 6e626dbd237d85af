"""Every rule file's own cases pass, and every rule and every kind of check has cases."""

from __future__ import annotations

import pytest

from rules.cases import run_case
from rules.checks import CHECKS
from rules.obligations import BUNDLED_DIR, is_draft, load_obligations

OBLIGATIONS = load_obligations()
CASES = [(ob, case) for ob in OBLIGATIONS for case in ob.cases]

# How to recognise, among a case's findings, one produced by each kind of check. A new check
# must be added here, and the test below then demands a rule case that exercises it.
PRODUCED_BY = {
    "timeliness": lambda f: f.family == "timeliness",
    "content": lambda f: f.family == "content",
    "revised": lambda f: f.kind == "revised",
    "removed": lambda f: f.kind == "removed",
    "inconsistent_totals": lambda f: f.kind == "anomaly" and not f.subject.startswith("compare:"),
    "cross_agency_totals": lambda f: f.kind == "anomaly" and f.subject.startswith("compare:"),
    "manual_review": lambda f: f.family == "review",
    "not_public": lambda f: f.kind == "not_public",
}


@pytest.mark.parametrize("ob,case", CASES, ids=[f"{ob.id}: {case.name}" for ob, case in CASES])
def test_rule_case(ob, case):
    result = run_case(ob, case)
    assert result.ok, result.describe()


def test_the_five_obligations_are_defined():
    """Every rule file is loaded, under its file name; the five obligations of the statutes
    are among them (more may come: a new rule file needs no edit here)."""
    assert {ob.id for ob in OBLIGATIONS} == {
        p.stem for p in BUNDLED_DIR.glob("*.yaml") if not is_draft(p)
    }
    assert {ob.id for ob in OBLIGATIONS} >= {
        "hhs_separated_children_monthly",
        "dhs_family_unit_actions_monthly",
        "dhs_separation_foreign_basis",
        "dhs_hart_disclosure",
        "dhs_separation_oig_crcl_24h",
    }


@pytest.mark.parametrize("ob", OBLIGATIONS, ids=lambda ob: ob.id)
def test_every_rule_has_a_passing_and_a_failing_case(ob):
    assert any(case.expect for case in ob.cases), "no case expects a finding"
    assert any(not case.expect for case in ob.cases), "no case expects a clean result"


def test_every_kind_of_check_is_exercised_by_a_rule_case():
    assert set(PRODUCED_BY) == set(CHECKS), "describe the new check in PRODUCED_BY"
    exercised = set()
    for ob, case in CASES:
        findings = run_case(ob, case).findings
        for name in ob.checks:
            if any(PRODUCED_BY[name](f) for f in findings):
                exercised.add(name)
    assert exercised == set(CHECKS)


def test_a_case_that_expects_the_wrong_thing_fails():
    """The case runner is strict: a wrong expectation is reported, an unexpected finding too."""
    ob = next(o for o in OBLIGATIONS if o.id == "hhs_separated_children_monthly")
    case = next(c for c in ob.cases if c.name.startswith("a month with no report"))
    wrong = case.model_copy(update={"expect": ()})
    result = run_case(ob, wrong)
    assert not result.ok and result.unexpected == ["missing 2020-01"]
