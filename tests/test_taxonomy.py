"""The cause taxonomy: data that maps every printed label to one canonical category; an unknown
label is kept as "unmapped" with a problem, never dropped and never counted as zero."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from scrapers.counts import read_tables
from scrapers.tables import Row, Table
from scrapers.taxonomy import UNMAPPED, TaxonomyError, build, load

CANONICAL = {"criminal_history", "gang_affiliation", "prosecution", "health_safety",
             "parentage_fraud", "other"}


def _data() -> dict:
    return yaml.safe_load(resources.files("scrapers").joinpath("data/causes.yaml").read_text("utf-8"))


def test_the_categories_are_the_canonical_six():
    assert set(load().categories) == CANONICAL


def test_every_listed_label_maps_to_its_own_category():
    taxonomy = load()
    for category, spec in _data()["categories"].items():
        for label in spec["labels"]:
            assert taxonomy.classify(label) == category, label


@pytest.mark.parametrize("label,category", [
    # labels from DOMAIN.md and the policy brief, as printed
    ("criminal history", "criminal_history"),
    ("parent has a criminal history (U.S. or home country)", "criminal_history"),
    ("Criminal History (U.S. or Home Country)", "criminal_history"),
    ("Criminal history \u2013 U.S. or home country", "criminal_history"),
    ("Criminal History\u00b9", "criminal_history"),
    ("cartel/gang affiliation", "gang_affiliation"),
    ("Parent Cartel/Gang Affiliation", "gang_affiliation"),
    ("Gang affiliation*", "gang_affiliation"),
    ("Other", "other"),
    ("Not the Parent/Fraud", "parentage_fraud"),
    ("Parent\u2019s illness or hospitalization", "health_safety"),
])
def test_label_variants_map_to_one_category(label, category):
    assert load().classify(label) == category


@pytest.mark.parametrize("label", ["Pending review", "Parent\u2019s immigration history", "",
                                   "criminal", "history"])
def test_unknown_labels_are_not_guessed(label):
    assert load().classify(label) is None


def test_labels_that_leave_the_source_of_information_open():
    taxonomy = load()
    assert taxonomy.origin_is_ambiguous("Criminal history (U.S. or home country)")
    assert taxonomy.origin_is_ambiguous("parent has a criminal history (U.S. or home country)")
    assert not taxonomy.origin_is_ambiguous("Criminal history")
    assert not taxonomy.origin_is_ambiguous("Cartel/gang affiliation")


def test_a_label_under_two_categories_is_refused():
    with pytest.raises(TaxonomyError, match="listed under"):
        build({"categories": {"a": {"labels": ["Other"]}, "b": {"labels": ["other"]}}})
    with pytest.raises(TaxonomyError, match="lists no labels"):
        build({"categories": {"a": {"labels": []}}})
    with pytest.raises(TaxonomyError):
        build({"nothing": 1})


def test_an_unmapped_label_is_kept_with_its_count_and_a_problem():
    table = Table("Separations by Reason", "Reason", ["Separations"], [
        Row("Criminal history", ["4"], 3), Row("Pending review", ["2"], 3),
        Row("Pending review", ["1"], 3), Row("Total", ["7"], 3)], page=3, number="2")
    reading = read_tables([table], 0, (None, None), load())
    causes = [(c.category, c.label, c.value) for c in reading.counts if c.dimension == "cause"]
    assert causes == [("criminal_history", "Criminal history", 4),
                      (UNMAPPED, "Pending review", 2), (UNMAPPED, "Pending review", 1)]
    unmapped = [p for p in reading.problems if p.kind == "unmapped_label"]
    assert len(unmapped) == 1 and "'Pending review'" in unmapped[0].detail and unmapped[0].page == 3
    assert not [p for p in reading.problems if p.kind == "inconsistent_total"]
