"""From a duty's sentences: who must report (agency), to whom (recipients), what (content) and
in what form (kind)."""

from __future__ import annotations

import re

from scrapers.discovery.duties import Duty
from scrapers.discovery.model import UNKNOWN
from scrapers.discovery.patterns import Patterns

I = re.IGNORECASE
_ASIDE = re.compile(
    r",\s*(?:in\s+(?:coordination|consultation|cooperation)\s+with|acting\s+through|"
    r"through|with\s+the\s+(?:assistance|concurrence)\s+of|jointly\s+with|"
    r"together\s+with)\b[^,]*,"
)
_JOINER = re.compile(r"^(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:the\s+)?$")
_CONTENT_START = re.compile(
    r"\b(?:on|regarding|concerning|about|describing|detailing|listing|identifying|stating|"
    r"showing|indicating|with\s+respect\s+"
    r"to|that\s+(?:describes?|details?|identif(?:y|ies)|includes?|lists?|states?|provides?))\s+",
    I,
)
_CONTENT_VERBS = re.compile(
    r"\bshall\s+(?:also\s+|further\s+)?(?:include|contain|state|specify|"
    r"indicate|identify|describe|detail|provide|list|address|cover)\b"
    r"(?:\s+the\s+following(?:\s+information)?)?[:\s-]*",
    I,
)
_REPORT_OBJECT = re.compile(
    r"\b(?:reports?|briefings?|notifications?|updates?|plans?|accounting|data|information|"
    r"summary|list|statement)\b\s*,?\s*(?:on|regarding|concerning|about|describing|detailing|"
    r"listing|identifying|of|with\s+respect\s+to|that\s+(?:describes?|details?|identif(?:y|ies)|"
    r"includes?|lists?|states?|provides?))(?:,?\s+with\s+respect\s+to)?\s+",
    I,
)
_BASIS = re.compile(r"\bon\s+an?\s+\w+\s+basis\b", I)
# what stands between "make", "publish" or "post" and the object: where, when, to whom
_LEADING = re.compile(
    r"^(?:\s*,?\s*(?:(?:publicly\s+)?available(?:\s+to\s+the\s+(?:public|Committees?))?|"
    r"(?:on|to)\s+(?:its|the|their|a)\s+(?:[\w']+\s+){0,2}?(?:website|web\s+site|internet\s+site)|"
    r"online|publicly|monthly|quarterly|annually|(?:each|every)\s+(?:month|quarter|year)|"
    r"on\s+an?\s+\w+\s+basis|(?:not|no)\s+later\s+than\s+[^,]{1,80}|within\s+[^,]{1,80}|"
    r"beginning\s+[^,]{1,60})\s*,?)+\s*",
    I,
)
_TRAILING_DEADLINE = re.compile(r",?\s+(?:not\s+later\s+than|no\s+later\s+than|within)\s+[^,]*$", I)
_VERB_KINDS = (
    ("briefing", r"brief"),
    ("notification", r"notif|inform"),
    ("certification", r"certif"),
    ("disclosure", r"disclos"),
    ("publication", r"publish|post"),
)
_NOUN_KINDS = (
    ("report", r"\breports?\b"),
    ("briefing", r"\bbriefings?\b"),
    ("notification", r"\bnotifications?\b"),
    ("plan", r"\bplans?\b"),
    ("certification", r"\bcertifications?\b"),
)


def _mentions(text: str, patterns: Patterns) -> list[tuple[int, int, str, str]]:
    """(start, end, code or "", words) for every agency or generic actor named in the text."""
    found = []
    for agency in patterns.agencies:
        for m in agency.pattern.finditer(text):
            found.append((m.start(), m.end(), agency.code, m.group(0)))
    for pattern in (patterns.generic_department, patterns.generic_component):
        for m in pattern.finditer(text):
            found.append((m.start(), m.end(), "", m.group(0)))
    # a longer name wins over a shorter one inside it ("Secretary of Homeland Security" over
    # "the Secretary", "Office of Inspector General" over "Office")
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    kept: list[tuple[int, int, str, str]] = []
    for f in found:
        if not any(f[0] < k[1] and k[0] < f[1] for k in kept):
            kept.append(f)
    return sorted(kept)


def agency(
    duty: Duty, context_agency: str | None, patterns: Patterns
) -> tuple[str, str | None, tuple[str, ...]]:
    """(agency code or ``unknown``, the words naming it, every agency named with it)."""
    window = _ASIDE.sub(",", duty.actor)
    mentions = _mentions(window, patterns)
    if not mentions:
        return _resolve("", None, context_agency, patterns), None, ()
    # the group of names joined by "and", "or" or commas that holds the actor
    groups: list[list[tuple[int, int, str, str]]] = []
    for m in mentions:
        if groups and _JOINER.match(window[groups[-1][-1][1] : m[0]]):
            groups[-1].append(m)
        else:
            groups.append([m])
    group = groups[0] if duty.actor_first else groups[-1]
    codes = tuple(dict.fromkeys(_resolve(c, w, context_agency, patterns) for _s, _e, c, w in group))
    return codes[0], group[0][3], tuple(c for c in codes if c != UNKNOWN)


def _resolve(code: str, words: str | None, context_agency: str | None, patterns: Patterns) -> str:
    """A generic actor means the context's department ("the Secretary") or component
    ("the Director"); without context it stays unknown."""
    if code:
        return code
    if not context_agency:
        return UNKNOWN
    if words and patterns.generic_component.fullmatch(words):
        return context_agency
    department = next((a.department for a in patterns.agencies if a.code == context_agency), None)
    return department or context_agency


def recipients(after_verb: str, committee: str | None, patterns: Patterns) -> tuple[str, ...]:
    """Whom the words after the duty's verb send the report to, longest names first."""
    text, out = after_verb, []
    for pattern, gives in patterns.recipients:
        if pattern.search(text):
            text = pattern.sub(" ", text)
            for name in gives:
                out.append(
                    name.replace(
                        "{committee}", committee or "Committee on Appropriations (issuing chamber)"
                    )
                )
    return tuple(dict.fromkeys(out))


def content(
    sentence: str, duty: Duty, elaborations: list[str], event: str | None, patterns: Patterns
) -> str:
    """What the report must hold: the duty's object (what it is "on", "regarding", "with
    respect to"; for a notice, the event it is about), then what its elaborations list."""
    after = sentence[duty.verb_end :]
    if duty.content_only or re.match(r"disclos|publish|post|mak", duty.verb, I):
        main = _LEADING.sub("", after)
    elif re.match(r"notif|inform", duty.verb, I) and event:
        main = event
    else:
        blanked = _BASIS.sub(lambda m: " " * len(m.group(0)), _blank_recipients(after, patterns))
        m = _REPORT_OBJECT.search(blanked) or _CONTENT_START.search(blanked)
        main = _LEADING.sub("", after[m.end() :] if m else after)
    parts = [_drop_recipients(_TRAILING_DEADLINE.sub("", main.strip(" ,.:-")), patterns)]
    for extra in elaborations:
        m = _CONTENT_VERBS.search(extra)
        if m:
            parts.append(extra[m.end() :].strip(" ,:-"))
    text = " ".join(p.strip().rstrip(".") + "." for p in parts if p.strip(" ,.:-"))
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= 600 else text[:597].rstrip() + "..."


def _blank_recipients(text: str, patterns: Patterns) -> str:
    """The text with every recipient's name blanked out (offsets kept)."""
    for pattern, _gives in patterns.recipients:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _drop_recipients(text: str, patterns: Patterns) -> str:
    """ "... to the Committees", "... with the Committee" taken out of a content phrase."""
    key = id(patterns)
    if _ADDRESSED.get(key, (None,))[0] is not patterns:
        _ADDRESSED[key] = (
            patterns,
            re.compile(
                r",?\s*\b(?:to|with)\s+(?:the\s+)?(?:"
                + "|".join(
                    f"(?:{p.pattern})"
                    for p, gives in patterns.recipients
                    if gives != ("the public",)
                )
                + ")"
            ),
        )
    return _ADDRESSED[key][1].sub("", text).strip(" ,")


_ADDRESSED: dict[int, tuple[Patterns, re.Pattern]] = {}


def kind(duty: Duty, after_verb: str) -> str:
    """report, briefing, notification, certification, disclosure, publication or plan."""
    verb, head = duty.verb.lower(), after_verb[:160]
    for name, pattern in _VERB_KINDS:
        if re.match(pattern, verb):
            return name
    if verb.startswith("mak") and re.search(r"\bpublic", head, I):
        return "publication"
    found = [
        (m.start(), name)
        for name, pattern in _NOUN_KINDS
        for m in [re.search(pattern, head, I)]
        if m
    ]
    return min(found)[1] if found else "report"
