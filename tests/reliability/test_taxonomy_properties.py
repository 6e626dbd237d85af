"""Properties of the cause taxonomy over generated labels, extending tests/test_taxonomy.py
(whose property covers case, spacing, punctuation and footnote markers): the taxonomy answers
every text without raising and only with a canonical category or "unmapped"; inserting words
that name nothing never moves a label to another category; and two labels that name different
causes, printed as one, are never counted as either (a row for two causes is not guessed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.read.labels import FILLER
from scrapers.interpret.taxonomy import load
from test_taxonomy import CANONICAL, NOT_MAPPED, VARIANTS, _data

TAXONOMY = load()
SETTINGS = settings(max_examples=200, deadline=None)
LABELS = (
    [label for label, _c in VARIANTS]
    + [label for label, _h in NOT_MAPPED if label]
    + [label for spec in _data()["categories"].values() for label in spec["labels"]]
)
# Labels found by the words that name a category (not an exact wording), and those categories.
NAMED = [label for label in LABELS if TAXONOMY.match(label).how == "names"]
HOWS = {"wording", "names", "ambiguous", "excluded", "none"}


@SETTINGS
@given(st.one_of(st.text(max_size=200), st.sampled_from(LABELS)))
def test_every_text_gets_a_canonical_category_or_none_and_a_reason(text):
    found = TAXONOMY.match(text)
    assert found.how in HOWS
    assert (found.category is not None) == (found.how in ("wording", "names"))
    assert found.category is None or found.category in CANONICAL
    assert TAXONOMY.category_of(text) == found.category
    reason = TAXONOMY.why_unmapped(text)
    assert reason and (found.category is None or found.category in reason)


@SETTINGS
@given(st.sampled_from(LABELS), st.data())
def test_words_that_name_nothing_never_move_a_label_to_another_category(label, data):
    words = label.split()
    where = data.draw(st.integers(0, len(words)))
    filler = data.draw(st.lists(st.sampled_from(sorted(FILLER)), min_size=1, max_size=3))
    padded = " ".join(words[:where] + filler + words[where:])
    before, after = TAXONOMY.category_of(label), TAXONOMY.category_of(padded)
    assert after in (before, None), (label, padded)  # a listed wording may lose its exact match


@SETTINGS
@given(
    st.sampled_from(NAMED),
    st.sampled_from(NAMED),
    st.sampled_from([" or ", " and ", " / ", "; ", ", "]),
)
def test_two_causes_printed_as_one_label_are_never_one_of_them(first, second, joint):
    a, b = TAXONOMY.category_of(first), TAXONOMY.category_of(second)
    if a == b:
        return
    both = first + joint + second
    assert TAXONOMY.category_of(both) is None, (both, TAXONOMY.match(both))


def test_the_generated_labels_reach_every_category():
    assert len(NAMED) >= 20
    assert {TAXONOMY.category_of(label) for label in NAMED} == CANONICAL
