"""Loading rule files: every problem is an ObligationError naming the file and the field."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from rulekit import data

from rules.obligations import (
    BUNDLED_DIR,
    ObligationError,
    load_obligation_file,
    load_obligations,
    parse_obligation,
)


def _write(tmp_path, name: str, content) -> object:
    path = tmp_path / name
    path.write_text(
        content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8"
    )
    return path


def _error(tmp_path, content, name="test_monthly.yaml") -> ObligationError:
    with pytest.raises(ObligationError) as info:
        load_obligation_file(_write(tmp_path, name, content))
    return info.value


def test_a_valid_file_loads(tmp_path):
    ob = load_obligation_file(_write(tmp_path, "test_monthly.yaml", data()))
    assert ob.id == "test_monthly" and ob.cadence.segments[0].due.days == 14


@pytest.mark.parametrize(
    "changes,field,words",
    [
        ({"severity": "urgent"}, "severity", "high"),
        ({"grace_days": -1}, "grace_days", "greater than or equal"),
        ({"dueday": 3}, "dueday", "Extra inputs"),  # a misspelt key is an error, not ignored
        ({"checks": ["timeliness", "telepathy"]}, "checks[1]", "unknown check 'telepathy'"),
        ({"effective_from": "someday"}, "effective_from", "date"),
        (
            {
                "cadence": {
                    "segments": [
                        {
                            "citation": "act",
                            "first_period": "2019-12",
                            "due": {
                                "rule": "monthly_after_enactment",
                                "citation": "nope",
                                "days": 14,
                            },
                        }
                    ]
                }
            },
            "cadence.segments[0].due.citation",
            "no citation with id 'nope'",
        ),
        (
            {
                "cadence": {
                    "segments": [
                        {
                            "citation": "act",
                            "first_period": "2019-12",
                            "due": {"rule": "monthly_after_enactment", "citation": "act"},
                        }
                    ]
                }
            },
            "cadence.segments[0].due.days",
            "required",
        ),
        (
            {
                "cadence": {
                    "segments": [
                        {
                            "citation": "act",
                            "first_period": "2019-13",
                            "due": {"rule": "after_period_end", "days": 3},
                        }
                    ]
                }
            },
            "cadence.segments[0].first_period",
            "not a valid period",
        ),
        (
            {
                "cadence": {
                    "segments": [
                        {
                            "citation": "act",
                            "first_period": "2019-10",
                            "due": {
                                "rule": "monthly_after_enactment",
                                "citation": "act",
                                "days": 14,
                            },
                        }
                    ]
                }
            },
            "cadence.segments[0].first_period",
            "covers 2019-12",
        ),
        ({"checks": ["timeliness", "cross_agency_totals"]}, "cross_agency", "required"),
        ({"checks": ["content"]}, "content", "at least one requirement"),
        ({"sources": []}, "sources", "names the source"),
        (
            {
                "citations": [
                    {"id": "act", "law": "x", "enactment_verified": True, "text_verified": True}
                ]
            },
            "citations[0].verification_note",
            "required",
        ),
        (
            {"cases": [{"name": "x", "as_of": date(2020, 1, 1), "expect": [{"kind": "tardy"}]}]},
            "cases[0].expect[0].kind",
            "missing",
        ),
        # the vocabulary (scrapers/vocabulary.py): a misspelt measure, dimension or statement key
        (
            {
                "content": {
                    "counts": [
                        {
                            "measure": "separation",
                            "dimension": "cause",
                            "citation": "act",
                            "why": "w",
                        }
                    ]
                }
            },
            "content.counts[0].measure",
            "'separations'",
        ),
        (
            {
                "content": {
                    "counts": [
                        {
                            "measure": "separations",
                            "dimension": "causes",
                            "citation": "act",
                            "why": "w",
                        }
                    ]
                }
            },
            "content.counts[0].dimension",
            "'cause'",
        ),
        (
            {"content": {"statements": [{"key": "foreign_basis", "citation": "act", "why": "w"}]}},
            "content.statements[0].key",
            "'foreign_government_basis'",
        ),
        (
            {"cross_agency": {"compare_source": "x", "measure": "seperations"}},
            "cross_agency.measure",
            "'separations'",
        ),
        (
            {
                "cases": [
                    {
                        "name": "x",
                        "as_of": date(2020, 1, 1),
                        "reports": [
                            {
                                "url": "u",
                                "first_seen": "2020-01-01T00:00:00Z",
                                "counts": [
                                    {"dimension": "age", "category": "c", "label": "l", "value": 1}
                                ],
                            }
                        ],
                    }
                ]
            },
            "cases[0].reports[0].counts[0].dimension",
            "'age_group'",
        ),
        (
            {
                "cases": [
                    {
                        "name": "x",
                        "as_of": date(2020, 1, 1),
                        "reports": [{"url": "u", "first_seen": "2020-01-01T00:00:00"}],
                    }
                ]
            },
            "cases[0].reports[0].first_seen",
            "timezone",
        ),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path, changes, field, words):
    err = _error(tmp_path, data(**changes))
    assert err.file == "test_monthly.yaml"
    assert err.field == field, str(err)
    assert words in err.message
    assert str(err).startswith(f"test_monthly.yaml: {field}: ")
    assert "\n" not in str(err)


def test_the_id_must_be_the_file_name(tmp_path):
    err = _error(tmp_path, data(), name="other_name.yaml")
    assert err.field == "id" and "other_name" in err.message


def test_yaml_syntax_errors_name_the_line(tmp_path):
    err = _error(tmp_path, "id: x\ncadence: [unclosed\n")
    assert err.field == "(yaml)" and "line" in err.message


def test_a_file_that_is_not_a_mapping(tmp_path):
    assert _error(tmp_path, "- just\n- a list\n").field == "(file)"


def test_an_empty_directory_is_an_error(tmp_path):
    with pytest.raises(ObligationError, match="no \\*.yaml"):
        load_obligations(tmp_path)


def test_parse_obligation_refuses_non_mappings():
    with pytest.raises(ObligationError):
        parse_obligation(["not", "a", "mapping"])


def test_bundled_rules_carry_citations_with_verification_notes():
    obligations = load_obligations()
    assert len(obligations) == len(list(BUNDLED_DIR.glob("*.yaml"))) == 5
    for ob in obligations:
        for citation in ob.citations:
            assert citation.verification_note.strip()
        due_citations = {s.due.citation for s in ob.cadence.segments}
        if ob.cadence.due is not None:
            due_citations.add(ob.cadence.due.citation)
        for cid in due_citations - {None}:
            assert ob.citation(cid).enacted is not None


def test_enactment_dates_match_the_public_laws():
    """The enactment dates the lead engineer and GovInfo records agree on (see
    docs/domain.md#the-reporting-obligations)."""
    expected = {
        "P.L. 116-94": date(2019, 12, 20),
        "P.L. 116-93": date(2019, 12, 20),
        "P.L. 116-260": date(2020, 12, 27),
        "P.L. 117-103": date(2022, 3, 15),
        "P.L. 117-328": date(2022, 12, 29),
        "P.L. 116-26": date(2019, 7, 1),
    }
    seen = {}
    for ob in load_obligations():
        for c in ob.citations:
            if c.public_law in expected:
                seen[c.public_law] = c.enacted
    assert seen == expected


def test_the_bundled_rules_read_as_the_pure_python_parser_reads_them():
    """The loader parses with libyaml where PyYAML has it (eight times faster): every bundled
    file gives the data the pure-Python safe loader gives."""
    from rules.obligations import _LOADER

    for path in sorted(BUNDLED_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=_LOADER) == yaml.load(text, Loader=yaml.SafeLoader), path


def test_a_draft_is_skipped_and_a_broken_file_beside_it_still_named(tmp_path):
    """Each file is parsed once: whether it is a draft is asked of the data it is loaded from."""
    _write(tmp_path, "test_monthly.yaml", data())
    _write(tmp_path, "zz_draft.yaml", {**data(), "id": "zz_draft", "draft": True})
    assert [ob.id for ob in load_obligations(tmp_path)] == ["test_monthly"]
    _write(tmp_path, "aa_broken.yaml", "id: aa_broken\ncadence: [unclosed\n")
    with pytest.raises(ObligationError) as info:
        load_obligations(tmp_path)
    assert info.value.file == "aa_broken.yaml" and info.value.field == "(yaml)"
