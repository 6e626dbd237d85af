"""The labelled paragraphs (labelled.yaml): every positive is found with the cadence, days and
hours it sets and the topics it names; no must-not negative yields a candidate. The judgement
calls (must_not: false) and the held-out paragraphs are measured by bench/discovery.py, not
asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scrapers.discovery import CADENCES, TOPICS, DocumentContext, discover

HERE = Path(__file__).resolve().parent
ITEMS = yaml.safe_load((HERE / "labelled.yaml").read_text(encoding="utf-8"))["items"]
HELD_OUT = yaml.safe_load((HERE / "heldout.yaml").read_text(encoding="utf-8"))["items"]
POSITIVES = [i for i in ITEMS if i["expect"] == "positive"]
MUST_NOT = [i for i in ITEMS if i["expect"] == "negative" and i["must_not"]]
DEADLINE_FIELDS = ("cadence", "days", "hours", "months")


def _found(item: dict):
    context = DocumentContext(
        package_id=f"labelled:{item['id']}", agency=(item.get("context") or {}).get("agency")
    )
    return discover(item["text"], context)


def test_the_set_is_large_enough_and_well_formed():
    assert len(POSITIVES) >= 30
    assert sum(1 for i in ITEMS if i["expect"] == "negative") >= 30
    ids = [i["id"] for i in ITEMS + HELD_OUT]
    assert len(ids) == len(set(ids))
    for item in ITEMS + HELD_OUT:
        assert item["expect"] in ("positive", "negative"), item["id"]
        assert isinstance(item["constructed"], bool), item["id"]
        if not item["constructed"]:
            assert item.get("source"), f"{item['id']}: real text names its origin"
        if item["expect"] == "positive":
            assert item["cadence"] in CADENCES, item["id"]
            assert item["topics"] and set(item["topics"]) <= set(TOPICS), item["id"]
        else:
            assert isinstance(item["must_not"], bool) and item.get("why"), item["id"]
    # real statute and report text, not only our own
    assert sum(1 for i in POSITIVES if not i["constructed"]) >= 3
    assert sum(1 for i in ITEMS if i["expect"] == "negative" and not i["constructed"]) >= 15


@pytest.mark.parametrize("item", POSITIVES, ids=[i["id"] for i in POSITIVES])
def test_every_positive_is_found_with_its_deadline_and_topics(item):
    found = _found(item)
    assert found, "no candidate"
    want = {k: item.get(k) for k in DEADLINE_FIELDS if k != "cadence"}
    want["cadence"] = item["cadence"]
    got = [{k: c.to_json()[k] for k in DEADLINE_FIELDS} for c in found]
    matching = [
        c
        for c, g in zip(found, got)
        if all(g[k] == v for k, v in want.items() if k == "cadence" or v is not None)
    ]
    assert matching, f"deadline read as {got}, expected {want}"
    assert any(set(item["topics"]) <= set(c.topics) for c in matching), (
        f"topics {[c.topics for c in matching]}, expected at least {item['topics']}"
    )
    if "starts" in item:
        assert any(c.deadline.starts == str(item["starts"]) for c in matching)


@pytest.mark.parametrize("item", MUST_NOT, ids=[i["id"] for i in MUST_NOT])
def test_no_must_not_negative_is_a_candidate(item):
    assert [c.citation.quote for c in _found(item)] == []
