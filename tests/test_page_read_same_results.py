"""The quicker page reading says exactly what the plain versions said.

`scrapers/read/listings.py` joins a plain href ("/a/b.html", "b/c.html") onto the page's URL by
concatenation instead of ``urljoin`` and canonicalises it the same way, finds a link's holder by
walking up its parents and its heading by the links each heading holds; `scrapers/read/htmltext.py`
writes a page's text with libxslt instead of a walk in Python and counts visible letters
without testing every text node's ancestors; `scrapers/fetch/response_check.py` looks for a
fingerprint's words in the page's bytes. Here the plain versions (urljoin and urlsplit for every
link, every ancestor listed, the heading by XPath, the recursive walk, ``str.lower``) are the
reference, over every saved document, the benchmark's listing pages, and generated pages and
URLs made of what trips URL joining up: relative, root-relative, protocol-relative and absolute
links, dot segments, empty segments, queries, fragments, ``;params``, ports, upper-case hosts,
whitespace and control characters, entities, non-ASCII letters, nested markup."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.fetch import response_check
from scrapers.read import htmltext, listings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BENCH = Path(__file__).resolve().parent.parent / "bench"


# --- the reference: the reading as it was before it was made quicker ------------------------


def reference_canonical(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = (
        parts.port
        if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443))
        else None
    )
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def reference_followable(href: str) -> str | None:
    if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
        return None
    try:  # a malformed URL is no link to follow (it used to stop the whole reading)
        if urlsplit(href).scheme not in ("http", "https", "file"):
            return None
        return reference_canonical(href)
    except ValueError:
        return None


def reference_absolute_hrefs(root, base_url: str) -> None:
    xhtml = "http://www.w3.org/1999/xhtml"
    base_href = None
    for base in root.xpath("//base[@href]|//x:base[@href]", namespaces={"x": xhtml}):
        base_href = base.get("href")
        base.drop_tree()
    for el in root.iter("a", f"{{{xhtml}}}a"):
        href = el.get("href")
        if href is None:
            continue
        try:
            if base_href:
                href = urljoin(base_href, href.strip())
            joined = urljoin(base_url, href.strip())
        except ValueError:
            continue
        try:
            el.set("href", joined)
        except ValueError:
            continue


def reference_anchors(root, base_url: str) -> list[tuple[str, str, str, str, str]]:
    """(url, text, context, heading, path) of every followable link: every href joined by
    urljoin, every link's ancestors listed, its heading found by XPath."""
    if root is None:
        return []
    reference_absolute_hrefs(root, base_url)
    found = []
    for el in root.iter("a"):
        url = reference_followable((el.get("href") or "").strip())
        if url is None:
            continue
        squash = listings._squash
        text = squash(el.text_content()) or squash(el.get("title") or el.get("aria-label") or "")
        ancestors = list(el.iterancestors())
        holder = next((p for p in ancestors if p.tag in listings._CONTEXT_TAGS), el.getparent())
        context = squash(holder.text_content()) if holder is not None else ""
        h = el.xpath("preceding::*[self::h1 or self::h2 or self::h3 or self::h4][1]")
        found.append(
            (url, text, context, squash(h[0].text_content()) if h else "", urlsplit(url).path)
        )
    return found


def reference_visible_text(root) -> str:
    out: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "noscript", "template"):
            if el.tail:
                out.append(el.tail)
            return
        if el.text and tag:
            out.append(el.text)
        for child in el:
            walk(child)
        if tag in htmltext.BLOCKS:
            out.append("\n")
        elif tag in ("td", "th"):
            out.append("  ")
        if el.tail:
            out.append(el.tail)

    walk(root)
    lines = (htmltext._SPACES.sub(" ", line).strip() for line in "".join(out).splitlines())
    return "\n".join(line for line in lines if line)


def reference_visible_letters(root) -> int:
    hidden = " or ".join(f"ancestor::{t}" for t in ("script", "style", "noscript", "template"))
    nodes = root.xpath(f"descendant::text()[not({hidden})]")
    return len("".join("".join(nodes).split()))


def reference_may_hold(raw: str, words: tuple[str, ...]) -> bool:
    lower = "" if response_check._FOLDS_TO_ASCII.search(raw) else raw.lower()
    if not lower and raw:
        return True
    return any(w in lower for w in words)


# --- comparing ------------------------------------------------------------------------------


def new_anchors(root, base_url: str) -> list[tuple[str, str, str, str, str]]:
    return [(a.url, a.text, a.context, a.heading, a.path) for a in listings.anchors(root, base_url)]


def same_reading(body: bytes, base_url: str) -> None:
    """Links, the tree they leave behind (hrefs made absolute, <base> dropped), text and
    letters of every element: the same by both readings."""
    try:
        ours, theirs = htmltext.parse_html(body), htmltext.parse_html(body)
    except (ValueError, lxml.etree.ParserError):  # lxml: nothing to parse
        return
    for el_ours, el_theirs in zip(ours.iter(), theirs.iter()):
        assert htmltext.visible_text(el_ours) == reference_visible_text(el_theirs)
        letters = reference_visible_letters(el_theirs)
        assert htmltext.visible_letters(el_ours) == letters
        for enough in (1, 10, 2000):
            counted = htmltext.visible_letters(el_ours, enough)
            assert counted >= enough if letters >= enough else counted == letters
    try:
        expected = reference_anchors(theirs, base_url)
    except ValueError as exc:  # a malformed URL the plain reading raised on
        with pytest.raises(type(exc)):
            new_anchors(ours, base_url)
        return
    assert new_anchors(ours, base_url) == expected
    assert lxml.html.tostring(ours) == lxml.html.tostring(theirs)


def saved_pages() -> list[tuple[str, bytes]]:
    pages = [
        (str(p.relative_to(FIXTURES)), p.read_bytes())
        for p in sorted(FIXTURES.rglob("*"))
        if p.is_file() and p.suffix in (".html", ".htm", ".txt")
    ]
    sys.path.insert(0, str(BENCH))
    try:
        from _listing_sites import listing_page
    finally:
        sys.path.remove(str(BENCH))
    return pages + [(f"bench listing {i}", listing_page(i)) for i in (0, 7, 199)]


BASES = [
    "https://www.hhs.gov/programs/social-services/report-to-congress/index.html",
    "https://www.agency.gov/reports/",
    "https://www.agency.gov",
    "https://WWW.Agency.GOV:443/a/b/c.html?x=1#top",
    "http://www.agency.gov:8080/a//b/../c/./d.html;p?q",
    "http://127.1.0.5:8080/dir/page.html",
    "http://[::1]:8000/v6/page",
    "HTTP://host.example/Path/",
    "https://user:pw@host.example/x/",
    "file:///srv/mirror/page.html",
    "https://host.example/a/b/..",
    "ftp://host.example/dir/file",
    "https://host.example:99999/bad-port/",
    "http://[bad/x",
    "relative/only.html",
]


@pytest.mark.parametrize("name,body", saved_pages(), ids=[n for n, _b in saved_pages()])
def test_every_saved_page_reads_as_it_did(name, body):
    for base in BASES:
        same_reading(body, base)


def test_a_page_with_links_of_every_kind_reads_as_it_did():
    hrefs = [
        "/a/b.html",
        "b/c.html",
        "./b/",
        "../up/x.pdf",
        "/a/./b",
        "/a/../b",
        "a//b",
        "/a//b",
        "//other.example/p",
        "https://OTHER.example:443/P?Q#F",
        "/a/b?q=1#f",
        "/a;p/b",
        "#top",
        "?only",
        "",
        "  /padded.html \n",
        "/tab\there",
        "mailto:a@b",
        "tel:1",
        "javascript:void(0)",
        "ftp://x/y",
        ".hidden",
        "/.well-known/x",
        "caf\u00e9/r\u00e9sum\u00e9.pdf",
        "/a%20b/c",
        "/a:b/c",
        "a:b/c",
        "/x\x01y",
        "\\\\server\\share",
        "/",
        ".",
        "..",
    ]
    links = "".join(
        f"<li><a href='{h}'>Link {i} &amp; <b>more</b></a> tail</li>" for i, h in enumerate(hrefs)
    )
    body = (
        "<html><head><title>T</title></head><body><h1>Top <a href='/in-h1'>x</a></h1>"
        f"<ul>{links}</ul><h2>Second</h2><p>text <a href='p.html' title='T'></a></p>"
        "<div><a href='/div.html' aria-label=' Label '> </a></div><a href='/bare'>bare</a>"
        "<table><tr><td><a href='td.html'>cell</a></td></tr></table></body></html>"
    ).encode()
    for base in BASES:
        same_reading(body, base)
    based = body.replace(b"<title>T</title>", b"<base href='https://base.example/d/'>")
    for base in BASES:
        same_reading(based, base)


def test_a_malformed_link_is_left_out_and_the_rest_of_the_page_read():
    """An href urlsplit rejects ("http://[::1/x", a port out of range) is no link to follow:
    the page's other links are read, before and after it (it used to raise, and run_parser
    made the whole listing a parse_error: one bad link blinded the source)."""
    for bad in ("http://[::1/x", "http://e.gov:99999/x"):
        body = (
            "<html><body><a href='/plain.html'>p</a><a href='rel.html'>r</a>"
            f"<a href='{bad}'>x</a><a href='/after.html'>a</a></body></html>"
        ).encode()
        found = listings.anchors(htmltext.parse_html(body), BASES[0])
        assert [a.text for a in found] == ["p", "r", "a"]
        assert all(bad not in a.url for a in found)


SEGMENT = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            "X",
            "1",
            "-",
            "_",
            "~",
            ".",
            "..",
            "/",
            "//",
            "./",
            "../",
            "/.",
            "/..",
            "?",
            "#",
            ";",
            ":",
            "@",
            "=",
            "&",
            "'",
            "%20",
            "%",
            " ",
            "\t",
            "\n",
            "\u00e9",
            "\u2013",
            "\\",
            "\x01",
            "[",
            "]",
        ]
    ),
    max_size=8,
).map("".join)
START = st.sampled_from(
    ["", "/", "//", "./", "../", "http://", "HTTPS://h.example", "mailto:", "#", " ", "?", "."]
)
HREF = st.builds(
    lambda a, b, c: a + b + c, START, SEGMENT, st.sampled_from(["", ".html", ".pdf", "/"])
)
BASE = st.one_of(
    st.sampled_from(BASES),
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}{path}",
        st.sampled_from(["http", "https", "HTTP", "file", "ftp"]),
        st.sampled_from(
            ["h.example", "H.Example:80", "h.example:8443", "[::1]", "", "h.example:x"]
        ),
        st.builds(
            lambda a, b: a + b, st.sampled_from(["", "/", "/d/", "/d/f.html", "//x/"]), SEGMENT
        ),
    ),
)
WRAP = st.sampled_from(
    [
        "<li>{}</li>",
        "<p>before {} after</p>",
        "<h2>{}</h2>",
        "<h3><span>{}</span></h3>",
        "<div>{}</div>",
        "<td>{}</td>",
        "<dl><dt>{}</dt></dl>",
        "<li><div><h4>Head</h4>{}</div></li>",
        "<script>{}</script>",
        "<noscript>{}</noscript>",
        "<template>{}</template>",
        "{}",
    ]
)


@st.composite
def link_pages(draw):
    parts = []
    for i in range(draw(st.integers(0, 8))):
        href = draw(HREF).replace("'", "&#39;")
        text = draw(st.sampled_from(["", " ", "June 2022", "caf&eacute; &#8211; x", "<b>b</b> i"]))
        link = f"<a href='{href}'>{text}</a>{draw(st.sampled_from(['', ' tail', '  ']))}"
        parts.append(draw(WRAP).format(link))
    base = draw(st.sampled_from(["", "<base href='/b/'>", "<base href='https://x.example/'>"]))
    return f"<html><head>{base}</head><body>{''.join(parts)}</body></html>".encode()


@settings(max_examples=400, deadline=None)
@given(link_pages(), BASE)
def test_generated_pages_read_as_they_did(body, base):
    same_reading(body, base)


@settings(max_examples=400, deadline=None)
@given(BASE, HREF)
def test_a_plain_href_joins_as_urljoin_joins_it(base, href):
    """The concatenation of :func:`listings._plain_url` against urljoin + canonical: wherever
    it answers, it answers as they do."""
    el = lxml.html.fromstring("<a>x</a>")
    url, path = listings._plain_url(el, href.strip(), base)
    if url is None:
        return
    joined = urljoin(base, href.strip())
    assert el.get("href") == joined
    assert url == reference_followable(joined.strip())
    assert path == urlsplit(url).path


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("abcKkIiSs -.#/") + ["\u0130", "\u0131", "\u017f", "\u212a", "\u00c9", "\u2013"]
        ),
        max_size=40,
    ),
    st.lists(st.sampled_from(["ki", "is", "s-", "\u00e9", "cloudflare", "k"]), min_size=1),
)
def test_a_page_may_hold_a_word_as_it_did(raw, words):
    page = response_check.PageHead([], raw)
    assert page.may_hold(tuple(words)) == reference_may_hold(raw, tuple(words))


SPACY = st.text(
    alphabet=st.sampled_from(
        list("ab1-. \t\n\r\x0b\x0c\x1c\x1d\x85")
        + ["\u00a0", "\u2028", "\u3000", "\u0663", "\u2013"]
    ),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(SPACY)
def test_lines_and_spaces_are_squeezed_as_they_were(text):
    import re

    from scrapers.interpret.dates import normalise_space

    lines = (htmltext._SPACES.sub(" ", line).strip() for line in text.splitlines())
    assert htmltext._lines(text) == "\n".join(line for line in lines if line)
    joined = re.sub(r"(\d)-\s+(\d)", r"\1-\2", text)
    assert normalise_space(text) == re.sub(r"\s+", " ", joined).strip()
