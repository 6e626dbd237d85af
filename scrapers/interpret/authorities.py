"""Authorities a report cites, normalised to one spelling each.

Reports name their legal basis in prose ("section 235 of Public Law 116-94", "Senate Report
116-125", "(P.L. 116-93)", "House Report 116-450") and then quote the sections ("P.L. 116-94
states: Sec. 235. ..."). The rules match obligations on these strings, so each authority gets one
canonical form::

    P.L. 116-94 sec. 235    H.R. 6470 sec. 236    S. Rept. 116-125    H. Rept. 116-450
    Conf. Rept. 115-952     P.L. 116-93           HHS Emergency Supplemental Appropriations Act, 2019 sec. 408

A section is attached to a law only where the text ties them together: "section N of <law>",
"<law> states: Sec. N.", or "the following language included in the <act>" followed by the
quoted "Sec. N.". A bare mention of a law that is also cited with a section is dropped (the
sectioned citation is the more precise one); order is order of first mention.
"""

from __future__ import annotations

import re

from scrapers.interpret.dates import normalise_space

_PL = r"(?:Public\s+Law|Pub\.\s*L\.|P\.\s*L\.)\s*(?:No\.\s*)?(?P<c>\d{2,3})\s*-\s*(?P<n>\d{1,3})"
_HR = r"H\.\s*R\.\s*(?P<n>\d{1,5})"
_REPORT = r"\s*(?:No\.\s*)?(?P<c>\d{2,3})\s*-\s*(?P<n>\d{1,4})"
_QUOTED = r"\s+states:?\s*[\"\u201c]?\s*Sec(?:tion|\.)\s*(?P<sec>\d+)"

# Section-bearing forms come first: a span they matched is not matched again by a bare form.
_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(p, re.I), t)
    for p, t in (
        (r"\bsection\s+(?P<sec>\d+)\s+of\s+" + _PL, "P.L. {c}-{n} sec. {sec}"),
        (r"\bsection\s+(?P<sec>\d+)\s+of\s+" + _HR, "H.R. {n} sec. {sec}"),
        (r"\b" + _PL + _QUOTED, "P.L. {c}-{n} sec. {sec}"),
        (r"\b" + _HR + _QUOTED, "H.R. {n} sec. {sec}"),
        (r"\b" + _PL, "P.L. {c}-{n}"),
        (r"\b" + _HR + r"\b", "H.R. {n}"),
        (r"\b(?:Senate\s+Report|S\.\s*Rept?\.|S\.\s*Rpt\.)" + _REPORT, "S. Rept. {c}-{n}"),
        (r"\b(?:House\s+Report|H\.\s*Rept?\.|H\.\s*Rpt\.)" + _REPORT, "H. Rept. {c}-{n}"),
        (
            r"\b(?:Conference\s+Report|Conf\.\s*Rept?\.|Conf\.\s*Rpt\.|H\.\s*Conf\.\s*Rept\.)"
            + _REPORT,
            "Conf. Rept. {c}-{n}",
        ),
    )
]

# Acts cited by name only (no public-law number in the reports that cite them).
_NAMED_ACTS = [
    (
        re.compile(
            r"(?:Department\s+of\s+Health\s+and\s+Human\s+Services|HHS)\s+Emergency\s+"
            r"Supplemental\s+Appropriations\s+Act,?\s+2019",
            re.I,
        ),
        "HHS Emergency Supplemental Appropriations Act, 2019",
    ),
]
_FOLLOWING_LANGUAGE = re.compile(r"following\s+language\s+(?:included\s+)?in\s+(?:the\s+)?$", re.I)
_QUOTED_SECTION = re.compile(r"\bSec\.\s*(\d+)\.", re.I)


def find_authorities(text: str) -> list[str]:
    """Canonical citations in order of first mention, each once."""
    text = normalise_space(text)
    hits: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []  # spans already used by a more specific form

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    for pattern, template in _PATTERNS:
        for m in pattern.finditer(text):
            if free(m.start(), m.end()):
                hits.append((m.start(), template.format(**m.groupdict())))
                taken.append(m.span())
    for pattern, canonical in _NAMED_ACTS:
        for m in pattern.finditer(text):
            name = canonical
            if _FOLLOWING_LANGUAGE.search(text[max(0, m.start() - 60) : m.start()]):
                sec = _QUOTED_SECTION.search(text, m.end())
                if sec:
                    name = f"{canonical} sec. {sec.group(1)}"
            hits.append((m.start(), name))
    result: list[str] = []
    for _pos, name in sorted(hits):
        if name not in result:
            result.append(name)
    sectioned = {r.split(" sec. ")[0] for r in result if " sec. " in r}
    return [r for r in result if r not in sectioned]
