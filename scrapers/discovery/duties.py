"""Sentences, and the sentences that impose a report.

A sentence imposes a report when it directs one, in any of the forms appropriations texts use:

- a modal: "the Secretary shall submit ...", "shall, on a monthly basis, transmit ...";
- a directive: "The Committee directs CBP to report", "is directed to brief", "are required by
  law to submit", "expects HHS to continue to report", "continues the requirement for the
  Department to provide"; with "that": "requests that ORR provide";
- a directive naming the report: "The Committee requests a report ...";
- a condition on funds: "... until the Secretary submits ... an expenditure plan";
- a report's required content: "The monthly Family Unit Actions Report shall also include ...".

"Encourages" and "urges" direct nothing; "will" states a plan; "submits", "submitted" describe.
A verb that is not a report by itself ("submit", "provide", "notify", "make") counts only with a
report-like object ("a report", "a briefing", "monthly data") or an oversight recipient (a
committee, Congress, the Inspector General, CRCL, the public): "shall notify the parent" and
"shall submit the fingerprints ... to the FBI" are duties, but not reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapers.discovery.patterns import Patterns

I = re.IGNORECASE
ABBREVIATIONS = {
    "u.s",
    "sec",
    "secs",
    "no",
    "nos",
    "pub",
    "p.l",
    "h.r",
    "rept",
    "res",
    "doc",
    "stat",
    "e.g",
    "i.e",
    "etc",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "inc",
    "co",
    "corp",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
    "u.s.c",
    "c.f.r",
    "seq",
    "div",
    "v",
    "vs",
    "art",
    "para",
    "subsec",
    "cl",
    "ch",
    "fed",
    "reg",
    "dept",
    "jr",
    "sr",
    "al",
    "cong",
    "sess",
    "h.rept",
    "s.rept",
    "h.res",
    "s.res",
    "approx",
    "gov",
    "no.",
    "pp",
    "p",
}
_SENTENCE_BREAK = re.compile(r"[.!?][\"')\]]*\s+(?=[\"(\[]?[A-Z0-9]|\(\w{1,5}\)\s)")
_ADVERBS = (
    r"(?:(?:also|continue\s+to|continue|promptly|immediately|jointly|annually|quarterly|"
    r"monthly|regularly|periodically|publicly|then|further|subsequently|additionally|"
    r"thereafter|directly|separately|in\s+writing)\s+)"
)
_INTERJECTION = (
    r"(?:,\s*(?:not\s+later\s+than|no\s+later\s+than|within|on|in|by|after|"
    r"beginning|starting|prior\s+to|before|upon|at\s+least|as\s+part\s+of|through|"
    r"acting|in\s+coordination|in\s+consultation)\b[^,;]{1,160},\s*)"
)
_PUBLISHED_DATA = re.compile(r"\b(?:data|statistics|numbers?|figures|counts?|totals?)\b", I)
_BACK_REFERENCE = re.compile(
    r"\b(?:such|each\s+such|the|this|these|that|said|each)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:reports?|briefings?|notifications?|updates?|submissions?)\b"
    r"(?!\s+(?:on|regarding|concerning|describing|detailing|with\s+respect\s+to)\b)",
    I,
)
_REPORT_SUBJECT = (
    r"\b(?:reports?|briefings?|notifications?|updates?|submissions?|disclosures?|plans?)\b"
)


def sentences(text: str) -> list[str]:
    """The text's sentences; a period after an abbreviation or an initial ends none."""
    out, start = [], 0
    for m in _SENTENCE_BREAK.finditer(text):
        word = (
            text[start : m.start() + 1].split()[-1].lower().strip("(\"'[")
            if text[start : m.start() + 1].split()
            else ""
        )
        word = word.rstrip(".")
        if (
            word in ABBREVIATIONS
            or (len(word) == 1 and word.isalpha())
            or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word)
        ):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


@dataclass(frozen=True)
class Duty:
    """How a sentence imposes a report. ``verb_end`` is where the words after the verb (the
    object, the recipients, the deadline) begin; ``actor`` the words naming who must act and
    ``actor_first`` whether the first agency in them is the actor (a list after "directs") or
    the last (the subject before "shall")."""

    phrase: str
    verb: str
    verb_end: int
    actor: str
    actor_first: bool
    content_only: bool = False  # "The report shall include ...": adds to a report


@dataclass(frozen=True)
class _Grammar:
    modal: re.Pattern
    trigger: re.Pattern
    infinitive: re.Pattern
    subjunctive: re.Pattern
    noun_directive: re.Pattern
    conditional: re.Pattern
    content: re.Pattern
    report_verb: re.Pattern
    publish_verb: re.Pattern


_GRAMMARS: dict[int, tuple[Patterns, _Grammar]] = {}


def _grammar(patterns: Patterns) -> _Grammar:
    """The duty grammar for these patterns, built once (keyed by identity: hashing the
    patterns would cost more than matching)."""
    cached = _GRAMMARS.get(id(patterns))
    if cached is None or cached[0] is not patterns:
        cached = _GRAMMARS[id(patterns)] = (patterns, _build_grammar(patterns))
    return cached[1]


def _build_grammar(patterns: Patterns) -> _Grammar:
    verbs = f"(?:{patterns.report_verbs}|{patterns.publish_verbs}|{patterns.transfer_verbs})"
    return _Grammar(
        modal=re.compile(
            rf"\b(?:shall|must)(?:\s*{_INTERJECTION}|\s+){_ADVERBS}*(?P<verb>{verbs})\b", I
        ),
        trigger=re.compile(
            r"\b(?:(?:is|are|shall\s+be|will\s+be)\s+(?:(?:hereby|also|further|again|likewise)\s+)*"
            r"(?:directed|required|requested|expected|instructed|mandated)"
            r"|directs|requires|requests|expects|instructs|mandates"
            r"|(?<=conferees\s)(?:also\s+|further\s+)?(?:direct|require|request|expect|instruct)"
            r"|(?<=managers\s)(?:also\s+|further\s+)?(?:direct|require|request|expect|instruct)"
            r"|(?<=Committees\s)(?:also\s+|further\s+)?(?:direct|require|request|expect|instruct)"
            r"|continues\s+to\s+(?:direct|require|expect)"
            r"|continues\s+(?:the|its)\s+(?:requirement|direction|directive|expectation)s?)\b",
            I,
        ),
        infinitive=re.compile(rf"\bto\s+{_ADVERBS}*(?:continue\s+)?(?P<verb>{verbs})\b", I),
        subjunctive=re.compile(
            rf"\b(?:directs|requires|requests|expects)\s+that\s+(?P<actor>[^.;]"
            rf"{{0,160}}?)\s+(?:(?:will|shall|should)\s+)?{_ADVERBS}*"
            rf"(?P<verb>{verbs})\b",
            I,
        ),
        noun_directive=re.compile(
            r"\b(?:directs|requires|requests|expects|continues)\s+(?:(?:a|an|the|its|quarterly|"
            r"monthly|annual|semiannual|written|detailed|updated|new|further|one-time|"
            r"comprehensive|public|regular|periodic)\s+)*(?P<verb>reports?|briefings?|"
            r"notifications?|updates?|plans?)\b",
            I,
        ),
        conditional=re.compile(
            r"\b(?:until|unless|before|prior\s+to)\s+(?P<actor>(?:the\s+)?[A-Z][\w.'-]*"
            r"(?:\s+(?:of|for|and|[A-Z][\w.'-]*))*?)\s+(?P<verb>submits|provides|certifies|"
            r"reports|briefs|notifies|transmits)\b"
        ),
        content=re.compile(
            rf"^(?:\([A-Za-z0-9]{{1,5}}\)\s*)*(?P<subject>[^.;]{{0,150}}?{_REPORT_SUBJECT}[^.;]{{0,80}}?)\s+shall\s+"
            r"(?:also\s+|further\s+)?(?P<verb>include|contain|state|specify|indicate|identify|"
            r"describe|detail|provide|list|address|cover|set\s+forth|be\s+(?:submitted|provided|"
            r"made|delivered|transmitted|posted|published|updated))\b",
            I,
        ),
        report_verb=re.compile(rf"^{patterns.report_verbs}$", I),
        publish_verb=re.compile(rf"^{patterns.publish_verbs}$", I),
    )


def _is_report(
    sentence: str, verb: str, verb_end: int, patterns: Patterns, grammar: _Grammar
) -> bool:
    """A report verb is a report; another verb needs a report-like object or an oversight
    recipient after it ("make" also needs "available" or "public")."""
    if grammar.report_verb.match(verb):
        return True
    after = sentence[verb_end:]
    if grammar.publish_verb.match(verb) and _PUBLISHED_DATA.search(after):
        return True
    if verb.lower().startswith("mak") and not re.match(
        r"\s+(?:[\w'-]+\s+){0,10}?(?:publicly\s+)?(?:available|public)\b", after, I
    ):
        return False
    if patterns.report_nouns.search(after):
        return True
    return any(pattern.search(after) for pattern, _gives in patterns.recipients)


def find_duty(sentence: str, patterns: Patterns) -> Duty | None:
    """How the sentence imposes a report, or None."""
    if patterns.negations.search(sentence):
        return None
    g = _grammar(patterns)
    body = sentence
    for m in g.modal.finditer(body):
        if _is_report(body, m.group("verb"), m.end("verb"), patterns, g):
            return Duty(
                " ".join(body[m.start() : m.end()].split()),
                m.group("verb"),
                m.end("verb"),
                body[: m.start()],
                False,
            )
    for t in g.trigger.finditer(body):
        for m in g.infinitive.finditer(body, t.end()):
            if _is_report(body, m.group("verb"), m.end("verb"), patterns, g):
                passive = t.group(0).lower().startswith(("is ", "are ", "shall ", "will "))
                actor = body[: t.start()] if passive else body[t.end() : m.start()]
                phrase = f"{' '.join(t.group(0).split())} ... {' '.join(m.group(0).split())}"
                return Duty(phrase, m.group("verb"), m.end("verb"), actor, not passive)
    for m in g.subjunctive.finditer(body):
        if _is_report(body, m.group("verb"), m.end("verb"), patterns, g):
            return Duty(
                " ".join(body[m.start() : m.end()].split()),
                m.group("verb"),
                m.end("verb"),
                m.group("actor"),
                True,
            )
    m = g.noun_directive.search(body)
    if m:
        return Duty(" ".join(m.group(0).split()), m.group("verb"), m.end(), "", True)
    m = g.conditional.search(body)
    if m and _is_report(body, m.group("verb"), m.end("verb"), patterns, g):
        return Duty(" ".join(m.group(0).split()), m.group("verb"), m.end(), m.group("actor"), True)
    m = g.content.match(body)
    if m:
        return Duty(
            " ".join(body[: m.end()].split()),
            m.group("verb"),
            m.end(),
            m.group("subject"),
            False,
            content_only=True,
        )
    return None


def refers_back(sentence: str) -> bool:
    """The sentence adds to a report already named ("such report", "each report")."""
    return bool(_BACK_REFERENCE.search(sentence))
