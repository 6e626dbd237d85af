"""The cause taxonomy: data that maps every printed label to one canonical category, by an exact
wording first and otherwise by the words that name a category; a label that names two
categories, or none, is kept as "unmapped" with a problem, never guessed, never dropped and never
counted as zero."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.interpret.counts import read_tables
from scrapers.read.labels import match_words
from scrapers.read.tables import Row, Table
from scrapers.interpret.taxonomy import UNMAPPED, TaxonomyError, build, load

CANONICAL = {
    "criminal_history",
    "gang_affiliation",
    "prosecution",
    "health_safety",
    "parentage_fraud",
    "other",
}
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _data() -> dict:
    return yaml.safe_load(
        resources.files("scrapers").joinpath("data/causes.yaml").read_text("utf-8")
    )


def test_the_categories_are_the_canonical_six():
    assert set(load().categories) == CANONICAL


def test_every_listed_label_maps_to_its_own_category():
    taxonomy = load()
    for category, spec in _data()["categories"].items():
        for label in spec["labels"]:
            found = taxonomy.match(label)
            assert (found.category, found.how) == (category, "wording"), label


def test_the_names_never_contradict_a_listed_wording():
    """Without its exact wordings, a category's names find each listed label again (or leave it
    open); they never send a listed wording to another category."""
    data = _data()
    for n, spec in enumerate(data["categories"].values()):
        spec["labels"] = [f"placeholder wording {n}"]
    names_only = build(data)
    for category, spec in _data()["categories"].items():
        for label in spec["labels"]:
            assert names_only.category_of(label) in (category, None), label


# Wordings an agency may print from one report to the next, and the category each must get.
VARIANTS = [
    # criminal history: prefix/suffix "Parent", the subject named, slash for "or", footnotes
    ("Criminal History - Parent", "criminal_history"),
    ("Parent Criminal History (U.S./Home Country)", "criminal_history"),
    ("Criminal history of the parent", "criminal_history"),
    ("CRIMINAL HISTORY (US OR HOME COUNTRY)", "criminal_history"),
    ("Parental criminal history\u00b9", "criminal_history"),
    ("Criminal History2", "criminal_history"),  # a superscript extracted as a glued digit
    ("Prior criminal convictions", "criminal_history"),
    ("Criminal background (parent)", "criminal_history"),
    ("Parent is a criminal alien", "criminal_history"),
    ("Criminal Hist.", "criminal_history"),
    ("Criminal Records", "criminal_history"),
    # gang or cartel affiliation
    ("Gang Affiliation - Parent", "gang_affiliation"),
    ("Suspected gang/cartel member", "gang_affiliation"),
    ("Cartel / Gang Affiliation*", "gang_affiliation"),
    ("MS-13 affiliation", "gang_affiliation"),
    ("Gang membership (parent)", "gang_affiliation"),
    ("Affiliation with a cartel", "gang_affiliation"),
    # prosecution
    ("Prosecution - Parent", "prosecution"),
    ("Parent referred to prosecution", "prosecution"),
    ("Parent prosecuted", "prosecution"),
    ("Referral for Prosecution (Criminal)", "prosecution"),
    ("Parent transferred to USMS custody", "prosecution"),
    ("Referred to DOJ", "prosecution"),
    ("Criminal Prosecution of Parent", "prosecution"),
    # health and safety: "Medical" for illness, hospitalization alone, welfare for safety
    ("Medical", "health_safety"),
    ("Medical - Parent", "health_safety"),
    ("Hospitalization", "health_safety"),
    ("Parent hospitalization", "health_safety"),
    ("Illness of parent", "health_safety"),
    ("Parent illness/hospitalization", "health_safety"),
    ("Health/Welfare", "health_safety"),
    ("Health or Safety of the Child", "health_safety"),
    ("Health & safety concerns", "health_safety"),
    ("Child welfare concern", "health_safety"),
    ("Danger to Child (Safety)", "health_safety"),
    ("Parent unfit or a danger to the child", "health_safety"),
    ("Communicable disease", "health_safety"),
    ("Threat to the welfare of the child", "health_safety"),
    # not the parent / fraud
    ("Not the Parent (Fraud)", "parentage_fraud"),
    ("Fraudulent claim of parentage (Fraud)", "parentage_fraud"),
    ("Fraudulent Family Unit", "parentage_fraud"),
    ("Parentage could not be confirmed", "parentage_fraud"),
    ("Not the biological parent", "parentage_fraud"),
    ("Non-parent adult", "parentage_fraud"),
    ("Relationship could not be verified", "parentage_fraud"),
    ("Not a parent or legal guardian", "parentage_fraud"),
    ("Failed DNA test", "parentage_fraud"),
    # other
    ("Other reasons", "other"),
    ("All other", "other"),
    ("Other (see note)", "other"),
    ("Miscellaneous", "other"),
    ("OTHER\u2020", "other"),
]


@pytest.mark.parametrize("label,category", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_label_variants_map_to_one_category(label, category):
    assert load().category_of(label) == category


def test_the_variant_table_is_broad():
    assert len(VARIANTS) >= 40 and {c for _l, c in VARIANTS} == CANONICAL


# Labels that name two causes, a cause and what excludes it, or no cause: never guessed.
NOT_MAPPED = [
    ("Other criminal or gang activity", "ambiguous"),
    ("Parent hospitalized after prosecution referral", "ambiguous"),
    ("Criminal history and gang affiliation", "ambiguous"),
    ("Danger to child (criminal history)", "ambiguous"),
    ("Other health concern", "ambiguous"),
    ("Criminal history - referred to USAO", "ambiguous"),
    ("Danger to the community", "excluded"),
    ("Public safety threat", "excluded"),
    ("No criminal history", "excluded"),
    ("Prosecution declined", "excluded"),
    ("Criminal history check pending", "excluded"),
    ("Adult other than a parent", "excluded"),
    ("Unknown", "none"),
    ("Administrative", "none"),
    ("Pending review", "none"),
    ("Parent\u2019s immigration history", "none"),
    ("Immigration violation", "none"),
    ("Not accompanied by parent", "none"),
    ("Deceased parent", "none"),
    ("", "none"),
    ("criminal", "none"),
    ("history", "none"),
]


@pytest.mark.parametrize("label,how", NOT_MAPPED, ids=[n[0] or "(blank)" for n in NOT_MAPPED])
def test_labels_that_name_two_causes_or_none_are_not_guessed(label, how):
    found = load().match(label)
    assert found.category is None and load().category_of(label) is None
    assert found.how == how


_MARKERS = st.sampled_from(
    ["", "*", "**", "\u00b9", "\u00b2", "\u2020", "\u2021", " [3]", "\u00a7"]
)
_GAPS = st.sampled_from([" ", "  ", "\t", "\n", " - ", " / ", ", ", " \u2013 ", "/", "; "])
_LABELS = (
    [label for label, _c in VARIANTS]
    + [label for label, _h in NOT_MAPPED if label]
    + [label for spec in _data()["categories"].values() for label in spec["labels"]]
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_LABELS), st.data())
def test_case_spacing_punctuation_and_footnotes_never_change_a_category(label, data):
    taxonomy = load()
    words = label.split()
    gaps = data.draw(st.lists(_GAPS, min_size=len(words) - 1, max_size=len(words) - 1))
    text = words[0] + "".join(g + w for g, w in zip(gaps, words[1:]))
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    text = "".join(c.upper() if f else c.lower() for c, f in zip(text, flips))
    text = (
        data.draw(st.sampled_from(["", " ", "\n"]))
        + text
        + data.draw(_MARKERS)
        + data.draw(st.sampled_from(["", ":", " "]))
    )
    assert taxonomy.category_of(text) == taxonomy.category_of(label), (label, text)
    assert taxonomy.origin_is_ambiguous(text) == taxonomy.origin_is_ambiguous(label)


def test_the_golden_fixtures_keep_their_categories():
    seen = 0
    for path in sorted(FIXTURES.glob("*/*.expected.json")):
        for count in json.loads(path.read_text("utf-8"))["counts"]:
            if count["dimension"] == "cause":
                seen += 1
                assert (load().category_of(count["label"]) or UNMAPPED) == count["category"], (
                    path.name,
                    count["label"],
                )
    assert seen > 40


def test_labels_that_leave_the_source_of_information_open():
    taxonomy = load()
    for label in (
        "Criminal history (U.S. or home country)",
        "parent has a criminal history (U.S. or home country)",
        "Criminal history (country of origin)",
        "Criminal record abroad",
        "Interpol Red Notice",
        "Criminal history - foreign conviction",
        "Criminal history (outside the U.S.)",
    ):
        assert taxonomy.origin_is_ambiguous(label), label
    for label in (
        "Criminal history",
        "Cartel/gang affiliation",
        "Other",
        "Country music",
        "Based on information obtained from a foreign government",
    ):
        assert not taxonomy.origin_is_ambiguous(label), label


def test_the_foreign_basis_rule_takes_its_ambiguous_words_from_the_taxonomy():
    """One list: the rule file refers to the taxonomy; a list of its own is a load error."""
    from pydantic import ValidationError

    from rules.obligations import StatementRequirement, load_obligations

    [rule] = [ob for ob in load_obligations() if ob.id == "dhs_separation_foreign_basis"]
    statement = rule.content.statements[0]
    assert statement.ambiguous_labels == "taxonomy"
    with pytest.raises(ValidationError, match="ambiguous_labels"):
        StatementRequirement(
            key="foreign_government_basis", citation="c", why="w", ambiguous_labels=["home country"]
        )


def test_a_broken_taxonomy_file_is_refused():
    with pytest.raises(TaxonomyError, match="listed under"):
        build({"categories": {"a": {"labels": ["Other"]}, "b": {"labels": ["other"]}}})
    with pytest.raises(TaxonomyError, match="lists no labels"):
        build({"categories": {"a": {"labels": []}}})
    with pytest.raises(TaxonomyError):
        build({"nothing": 1})
    with pytest.raises(TaxonomyError, match="unknown field.*exclude"):
        build({"categories": {"a": {"labels": ["x"], "exclude": ["y"]}}})
    with pytest.raises(TaxonomyError, match="not a valid regular expression"):
        build({"categories": {"a": {"labels": ["x"], "patterns": ["(unclosed"]}}})
    with pytest.raises(TaxonomyError, match="no words"):
        build({"categories": {"a": {"labels": ["x"], "names": ["of the"]}}})


def test_a_name_is_a_phrase_of_whole_words_and_prefixes():
    taxonomy = build(
        {
            "categories": {
                "illness": {"labels": ["ill"], "names": ["hospital*", "health safety"]},
                "rest": {"labels": ["rest"], "names": ["other"], "excludes": ["other than"]},
            }
        }
    )
    assert taxonomy.category_of("Hospitalized parent") == "illness"
    assert taxonomy.category_of("Health and/or Safety") == "illness"
    assert (
        taxonomy.category_of("Safety and health") is None
    )  # the words of a phrase keep their order
    assert taxonomy.category_of("Mother") is None  # whole words only
    assert taxonomy.category_of("Others") == "rest"
    assert taxonomy.category_of("Someone other than a parent") is None
    assert match_words("Health or Safety of the Parents\u00b9") == "health safety parent"


def test_an_unmapped_label_is_kept_with_its_count_and_a_problem():
    table = Table(
        "Separations by Reason",
        "Reason",
        ["Separations"],
        [
            Row("Criminal history", ["4"], 3),
            Row("Pending review", ["2"], 3),
            Row("Pending review", ["1"], 3),
            Row("Total", ["7"], 3),
        ],
        page=3,
        number="2",
    )
    reading = read_tables([table], 0, (None, None), load())
    causes = [(c.category, c.label, c.value) for c in reading.counts if c.dimension == "cause"]
    assert causes == [
        ("criminal_history", "Criminal history", 4),
        (UNMAPPED, "Pending review", 2),
        (UNMAPPED, "Pending review", 1),
    ]
    unmapped = [p for p in reading.problems if p.kind == "unmapped_label"]
    assert len(unmapped) == 1 and "'Pending review'" in unmapped[0].detail and unmapped[0].page == 3
    assert "is not in the taxonomy" in unmapped[0].detail
    assert not [p for p in reading.problems if p.kind == "inconsistent_total"]


def test_a_label_naming_two_causes_is_unmapped_and_the_problem_says_why():
    table = Table(
        "Separations by Reason",
        "Reason",
        ["Separations"],
        [Row("Other criminal or gang activity", ["3"], 4), Row("Gang affiliation", ["2"], 4)],
        page=4,
        number="3",
    )
    reading = read_tables([table], 0, (None, None), load())
    causes = [(c.category, c.value) for c in reading.counts if c.dimension == "cause"]
    assert causes == [(UNMAPPED, 3), ("gang_affiliation", 2)]
    [problem] = [p for p in reading.problems if p.kind == "unmapped_label"]
    assert "names more than one cause (gang_affiliation, other)" in problem.detail
