"""Row labels as printed, made clean and comparable.

``clean_label`` keeps the printed wording (that is what analysts search for) and removes only
what is not wording: footnote markers (superscript digits, *, †, bracketed references) and runs
of whitespace left by line breaks. ``match_key`` is the loose form used to look a label up in a
taxonomy: lower case, punctuation gone, so "Criminal History (U.S. or Home Country)" and
"criminal history - U.S. or home country" meet.
"""

from __future__ import annotations

import re
import unicodedata

_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2071\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b"
_MARKERS = re.compile(r"(?:\s*(?:\[\d{1,2}\]|[" + _SUPERSCRIPTS + r"*\u2020\u2021\u00a7]+))+\s*$")
_INNER_SUPERSCRIPTS = re.compile("[" + _SUPERSCRIPTS + "]")


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
    text = text.replace("\u2019", "'").replace("&", " and ").replace("'s ", "s ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def slug(text: str) -> str:
    return match_key(text).replace(" ", "_")
