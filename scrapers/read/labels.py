"""Row labels as printed, made clean and comparable.

``clean_label`` keeps the printed wording (that is what analysts search for) and removes only
what is not wording: footnote markers (superscript digits, *, †, bracketed references) and runs
of whitespace left by line breaks. ``match_key`` is the loose form used to look a label up in a
table of wordings: lower case, punctuation gone, so "Criminal History (U.S. or Home Country)" and
"criminal history - U.S. or home country" meet. ``match_words`` is looser still, the form the
cause taxonomy searches for the words that name a category: filler words gone and plurals folded,
so "Health or Safety of the Children" reads "health safety children" -> "health safety child".
"""

from __future__ import annotations

import re
import unicodedata

_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2071\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b"
_MARKERS = re.compile(r"(?:\s*(?:\[\d{1,2}\]|[" + _SUPERSCRIPTS + r"*\u2020\u2021\u00a7]+))+\s*$")
_INNER_SUPERSCRIPTS = re.compile("[" + _SUPERSCRIPTS + "]")
_POSSESSIVE = re.compile(r"['\u2019]s\b")

# Words that connect or point but never name a cause: "danger to the child" = "danger child",
# "health or safety" = "health/safety" = "health and safety".
FILLER = frozenset(
    "a an the of or and to for with by in on is has his her their its be been due because".split()
)
# A footnote number glued to the word before it by text extraction: "History2" -> "History".
_GLUED_NUMBER = re.compile(r"\b([a-z]{4,})\d{1,2}\b")


def clean_label(text: str) -> str:
    """The printed label without footnote markers or stray whitespace."""
    text = unicodedata.normalize("NFC", text or "")
    text = _MARKERS.sub("", text)
    text = _INNER_SUPERSCRIPTS.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip(":").strip()


def match_key(text: str) -> str:
    """Lookup form: lower case, '&' as 'and', every run of non-alphanumerics one space."""
    text = clean_label(text).lower()
    text = _POSSESSIVE.sub("s", text.replace("&", " and "))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def fold_word(word: str) -> str:
    """One word as the taxonomy compares it: a plural or possessive "s" dropped from words
    longer than three letters ("convictions" -> "conviction", "parents" -> "parent"); "ss"
    endings kept ("illness")."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def match_words(text: str) -> str:
    """Word form: ``match_key`` without filler words, glued footnote numbers or plural "s"."""
    key = _GLUED_NUMBER.sub(r"\1", match_key(text))
    return " ".join(fold_word(w) for w in key.split() if w not in FILLER)


def slug(text: str) -> str:
    return match_key(text).replace(" ", "_")
