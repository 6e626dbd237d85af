"""Congress's own record of reports it required and received: what the two Congress.gov API
sources (``scrapers/sources/congress_requirements.py``, ``congress_communications.py``) yield,
and the pure readers they share.

Two kinds of record, both plain data:

- :class:`CongressRequirement`: a House requirement (``/v3/house-requirement/N``), a reporting
  mandate as the House Clerk keeps it: its number, the agency and official that must submit,
  how often ("Monthly."), what the report is about, the legal authority it rests on, and how
  many communications the House matched to it.
- :class:`CongressCommunication`: an executive communication received by the House or the
  Senate (``/v3/house-communication/117/ec/1234``): when it was received, from which agency, its
  abstract ("A letter from the Secretary ... transmitting ... pursuant to ..."), the requirement
  numbers the House matched it to, and the period its text names ("for May 2021"). A mention
  of a communication in a requirement's ``matching-communications`` list is a communication too
  (``detail=False``): its identity and the requirement number, nothing else.

The readers turn the API's prose into what the rules compare: public-law citations (with a
section where the text ties one to the law), the agency a letter comes from, and the period a
"transmitting" clause names (read by :func:`scrapers.interpret.linkperiod.named_period`, so a text that
could be read two ways names none). No clock, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapers.interpret.dates import normalise_space
from scrapers.interpret.linkperiod import named_period

API_HOST = "api.congress.gov"
# The API's largest page (README: "can be adjusted up to 250 results").
PAGE_LIMIT = 250

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
# "Public Law 116-94", "Pub. L. 116-94", "P.L. 116-94", "PL 116-94", "Public Law No. 116-94"
_PUBLIC_LAW = re.compile(
    r"\b(?:Public\s+Law|Pub\.?\s*L\.?|P\.?\s*L\.?)\s*(?:No\.?\s*)?"
    r"(\d{2,3})\s*-\s*(\d{1,3})\b",
    re.I,
)
# A section that belongs to the law before it, in the same clause: "116-94, Div. A, sec. 235",
# "116-94, section 235", "114-287, section 13(c)(1)" (the number only: 13).
_SECTION_AFTER = re.compile(
    r"\s*,?\s*(?:(?:Div(?:ision|\.)?|Title)\s+[A-Z0-9]+\s*,\s*)*"
    r"(?:sec(?:tion|s?\.)?|\u00a7+)\s*(\d+[a-z]?)",
    re.I,
)
# "section 235 of Public Law 116-94"
_SECTION_BEFORE = re.compile(
    r"(?:sec(?:tion|\.)?|\u00a7+)\s*(\d+[a-z]?)(?:\([^)]*\))*\s+of\s+"
    r"(?:(?:Division|Div\.|Title)\s+[A-Z0-9]+\s+of\s+)?(?:the\s+)?$",
    re.I,
)
_MONTH_WORD = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
    r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MONTH_YEAR = rf"{_MONTH_WORD}\s*,?\s*(?:\d{{1,2}},?\s*)?\d{{4}}"
_FISCAL = r"(?:fiscal\s+year|FY)\s*\d{2,4}"
# The period a transmitting clause names: "for May 2021", "for the month of April 2022",
# "covering October 2021 through May 2022", "for fiscal year 2021".
_PERIOD_PHRASE = re.compile(
    rf"\b(?:for|covering|on|of)\s+(?:the\s+)?(?:(?:month|period|reporting\s+period)\s+(?:of\s+)?)?"
    rf"((?:{_MONTH_YEAR})(?:\s*(?:-|to|through|thru)\s*(?:{_MONTH_YEAR}))?|{_FISCAL})",
    re.I,
)
# "A letter from the Secretary, Department of Health and Human Services, transmitting ..."
_FROM_AGENCY = re.compile(r"\bfrom\s+(?:the\s+)?(.+?),?\s+transmitting\b", re.I)


def clean(value: Any) -> str | None:
    """A text field of the API as one line, or None when absent or empty."""
    if not isinstance(value, str):
        return None
    text = normalise_space(_DASHES.sub("-", value))
    return text or None


def api_date(value: Any) -> date | None:
    """``2021-11-05`` or ``2022-06-30T03:50:22Z`` as a date; None when it is neither."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def public_laws(text: str | None) -> list[str]:
    """Citations of public laws in ``text``, each ``116-94`` or ``116-94 sec. 235`` (when the
    text ties a section to that law), in order of first mention, each once."""
    if not text:
        return []
    text = normalise_space(_DASHES.sub("-", text))
    out: list[str] = []
    for m in _PUBLIC_LAW.finditer(text):
        law = f"{int(m.group(1))}-{int(m.group(2))}"
        after = _SECTION_AFTER.match(text, m.end())
        before = _SECTION_BEFORE.search(text[max(0, m.start() - 80) : m.start()])
        section = after.group(1) if after else before.group(1) if before else None
        cited = f"{law} sec. {section}" if section else law
        if cited not in out:
            out.append(cited)
    return [c for c in out if " sec. " in c or not any(o.startswith(c + " sec. ") for o in out)]


def named_text_period(text: str | None) -> tuple[date, date, str] | None:
    """(first day, last day, the words) of the period a communication's text says it covers;
    None when it names none, or names two different ones (never guess)."""
    if not text:
        return None
    found: dict[tuple[date, date], str] = {}
    for m in _PERIOD_PHRASE.finditer(_DASHES.sub("-", text)):
        words = m.group(1)
        if re.fullmatch(_FISCAL, words, re.I) and (
            re.search(r"\bAct,?\s*$", text[max(0, m.start() - 40) : m.start()], re.I)
            or re.match(r"\s*Appropriations?\s+Act", text[m.end() :], re.I)
        ):
            continue  # "the ... Act for fiscal year 2020": the act's name, not a period
        period = named_period(words)
        if period is not None:
            found.setdefault(period, words)
    if len(found) != 1:
        return None
    (start, end), words = next(iter(found.items()))
    return start, end, words


def sender_agency(abstract: str | None) -> str | None:
    """The agency a letter comes from, read from "A letter from the Secretary, Department of
    ..., transmitting": what follows the official's title, else the whole sender ("the
    Secretary of Health and Human Services")."""
    if not abstract:
        return None
    m = _FROM_AGENCY.search(abstract)
    if not m:
        return None
    sender = m.group(1).strip(" ,")
    # "the Secretary, Department of ...": the office after the official's title
    return sender.rsplit(",", 1)[-1].strip() or sender


def with_params(url: str, **params: Any) -> str:
    """``url`` with these query parameters set (others kept, in order). An ``api_key`` the API
    echoes in its links is dropped: the key travels in a header, never in a URL."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in params and k.lower() != "api_key"
    ]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def json_url(url: str) -> str:
    """An API URL as this monitor requests it: JSON (the API's default is XML)."""
    return with_params(url, format="json")


@dataclass
class CongressRequirement:
    number: int
    url: str | None = None
    update_date: date | None = None
    parent_agency: str | None = None
    submitting_agency: str | None = None
    submitting_official: str | None = None
    frequency: str | None = None
    nature: str | None = None
    legal_authority: str | None = None
    active: bool | None = None
    matching_count: int | None = None
    matching_url: str | None = None
    laws: list[str] = field(default_factory=list)  # public_laws(legal_authority)

    kind = "requirement"

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind}
        out.update(
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}
        )
        return out


@dataclass
class CongressCommunication:
    chamber: str  # House | Senate
    congress: int
    type_code: str  # EC, PM, PT, ML, POM
    number: int
    url: str | None = None
    detail: bool = False  # read from the communication itself, not a mention in a list
    received_on: date | None = None
    congressional_record_date: date | None = None
    agency: str | None = None
    abstract: str | None = None
    legal_authority: str | None = None
    report_nature: str | None = None
    requirement_numbers: list[int] = field(default_factory=list)
    laws: list[str] = field(default_factory=list)  # public_laws(legal authority + abstract)
    period_start: date | None = None
    period_end: date | None = None
    period_text: str | None = None
    committees: list[str] = field(default_factory=list)

    kind = "communication"

    @property
    def key(self) -> str:
        """One communication, however it was reached: ``house/117/ec/1234``."""
        return f"{self.chamber.lower()}/{self.congress}/{self.type_code.lower()}/{self.number}"

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "key": self.key}
        out.update(
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}
        )
        return out


def communication_type(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("code")
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


def read_answer(body: bytes | None) -> tuple[dict | None, tuple[str, str] | None]:
    """The API's JSON object, or (None, (problem kind, detail)) when the body is not one: empty
    (``empty``), not JSON at all (an HTML error page: ``layout_changed``), malformed or cut off
    JSON (``parse_error``), or the API's own error answer (``{"error": {"code": ..., "message":
    ...}}``: ``layout_changed``, naming the code)."""
    from scrapers.sniff import is_pdf

    text = (body or b"").strip()
    if not text:
        return None, ("empty", "the API answered with an empty body")
    if is_pdf(text):
        return None, ("wrong_type", "a PDF where the API answers JSON")
    if text[:1] not in (b"{", b"["):
        return None, (
            "layout_changed",
            "not a JSON answer (an HTML or text page where the API answers JSON)",
        )
    import json

    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, ("parse_error", f"malformed JSON: {exc}"[:300])
    if not isinstance(data, dict):
        return None, ("layout_changed", "a Congress.gov answer is a JSON object")
    error = data.get("error")
    if error is not None and not any(k in data for k in ("request", "pagination")):
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        return None, (
            "layout_changed",
            f"the API answered an error: {code or 'no code'}: {clean(str(message)) or ''}"[:300],
        )
    return data, None


def next_page(data: dict) -> str | None:
    """The next page of a list (``pagination.next``), as JSON; None on the last page."""
    pagination = data.get("pagination")
    nxt = pagination.get("next") if isinstance(pagination, dict) else None
    return json_url(nxt) if isinstance(nxt, str) and nxt.startswith("http") else None
