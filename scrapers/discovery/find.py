"""From units of text to candidates: each duty, the sentences that belong to it, and what they
say.

A duty's sentences (its *scope*) are the sentence imposing it and the ones after it that add
to the same report ("Each report shall contain ...", "(b) The report required under subsection
(a) shall identify ...", "Such reports shall be submitted quarterly"). The duty is a candidate
when its scope, or the heading it sits under ("Family Separations.--"), names one of the
monitor's topics. A duty that names its subject only by reference ("on the number of such
separations") takes the topic from the sentences just before it, which then join the quote.
A duty on another subject is not a candidate, even in a paragraph that mentions a topic
elsewhere ("concerned about family separations ... report on the cost of the border wall").
"""

from __future__ import annotations

import re

from scrapers.discovery import extract
from scrapers.discovery.deadline import read_deadline
from scrapers.discovery.duties import Duty, find_duty, refers_back, sentences
from scrapers.discovery.layout import INLINE_HEADING, SECTION, SECTION_TITLE, Unit
from scrapers.discovery.model import Candidate, Citation, DocumentContext
from scrapers.discovery.patterns import Patterns, topics_in

_ANAPHORA = re.compile(
    r"\b(?:such|these|those|this|that|the\s+same)\s+(?:[\w-]+\s+){0,2}?(?:separations?|children|"
    r"cases|individuals|families|agreements?|information|data|issues?|matters?|efforts?|"
    r"practices?|polic(?:y|ies)|programs?|system|notices?|partners?|records?|concerns?)\b",
    re.I,
)
_SUBSECTION = re.compile(r"^\(([a-z]{1,2})\)\s")
_LIST_ITEM = re.compile(r"^(?:\(\w{1,5}\)|Provided\b|[a-z])")
_REQUESTER = re.compile(
    r"^(?:\W*)(?:The\s+)?(?P<who>Committees|Committee|agreement|conferees|managers)\b"
)


def candidates(units: list[Unit], context: DocumentContext, patterns: Patterns) -> list[Candidate]:
    out: list[Candidate] = []
    for unit in units:
        out.extend(_unit_candidates(unit, context, patterns))
    return out


def _unit_candidates(unit: Unit, context: DocumentContext, patterns: Patterns) -> list[Candidate]:
    body, headings = unit.text, list(unit.headings)
    section = SECTION.match(body)
    if section:
        body = body[section.end() :]
        title = SECTION_TITLE.match(body)  # "SEC. 216. REPORT ON FAMILY SEPARATIONS."
        if title:
            body = body[title.end() :]
            headings.append(title.group("t"))
    inline = INLINE_HEADING.match(body)
    if inline:
        if not inline.group("enum"):  # "(a) In General.--" stays: the quote stays verbatim
            body = body[inline.end() :]
        if not unit.headings or unit.headings[-1] != inline.group("h").strip():
            headings.append(inline.group("h").strip())
    sents = sentences(body)
    # (index of the duty sentence, its duty, indices of its scope)
    groups: list[tuple[int, Duty, list[int]]] = []
    for i, sentence in enumerate(sents):
        duty = find_duty(sentence, patterns)
        if (
            duty
            and groups
            and (
                duty.content_only
                or refers_back(duty.actor)
                or refers_back(sentence[duty.verb_end :])
            )
        ):
            groups[-1][2].append(i)
        elif duty:
            groups.append((i, duty, [i]))
        elif (
            groups
            and groups[-1][2][-1] == i - 1
            and (refers_back(sentence) or _LIST_ITEM.match(sentence))
        ):
            groups[-1][2].append(i)
    heading = ". ".join(headings[-2:])
    out = []
    for i, duty, scope in groups:
        candidate = _candidate(unit, context, patterns, sents, i, duty, scope, heading)
        if candidate:
            out.append(candidate)
    return out


def _candidate(
    unit: Unit,
    context: DocumentContext,
    patterns: Patterns,
    sents: list[str],
    i: int,
    duty: Duty,
    scope: list[int],
    heading: str,
) -> Candidate | None:
    scope_text = " ".join(sents[j] for j in scope)
    topics = topics_in(f"{heading}. {scope_text}", patterns)
    lead: list[str] = []
    if not topics and _ANAPHORA.search(sents[i]):
        lead = [s for s in sents[max(0, i - 2) : i] if topics_in(s, patterns)][-1:]
        topics = topics_in(" ".join(lead), patterns)
    if not topics:
        return None
    sentence = sents[i]
    after = sentence[duty.verb_end :]
    elaborations = [sents[j] for j in scope[1:]]
    agency, agency_phrase, agencies = extract.agency(duty, unit.agency or context.agency, patterns)
    recipients = extract.recipients(" ".join([after] + elaborations), context.committee, patterns)
    if not recipients:
        recipients = _requester(sentence, context, patterns)
    citation = Citation(
        package_id=context.package_id,
        url=context.url,
        quote=" ".join(lead + [scope_text]),
        division=unit.division,
        title=unit.title,
        section=_section(unit, sents, i),
        heading=" -- ".join(unit.headings) or None,
        page=unit.page,
    )
    deadline = read_deadline(scope_text, patterns)
    return Candidate(
        citation=citation,
        deadline=deadline,
        topics=topics,
        agency=agency,
        agency_phrase=agency_phrase,
        agencies=agencies,
        recipients=recipients,
        content=extract.content(sentence, duty, elaborations, deadline.event, patterns),
        duty=duty.phrase,
        kind=extract.kind(duty, after),
    )


def _requester(sentence: str, context: DocumentContext, patterns: Patterns) -> tuple[str, ...]:
    """ "The Committee requests a report": the report goes to whoever asks for it."""
    m = _REQUESTER.match(sentence)
    if not m:
        return ()
    words = "the Committee" if m.group("who") == "Committee" else "the Committees"
    return extract.recipients(words, context.committee, patterns)


def _section(unit: Unit, sents: list[str], i: int) -> str | None:
    """ "sec. 216(a)": the section, and the lettered subsection the duty sentence is in."""
    if not unit.section:
        return None
    letter = None
    for sentence in sents[: i + 1]:
        m = _SUBSECTION.match(sentence)
        if m:
            letter = m.group(1)
    return f"{unit.section}({letter})" if letter else unit.section
