"""The project holds its own domain notes, docs/domain.md, and cites only them.

No tracked file outside docs/ names a domain-notes file that is not in the repository, the
shared directory of domain material or this machine's work paths. Every section of
docs/domain.md cited by its anchor anywhere in the repository (code comments, rule files, data
files, tests, docs) is a heading there, so a citation never points at a section that was renamed
or removed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTES = REPO / "docs" / "domain.md"

# Built from parts so that this file does not match itself.
SHARED = "shared" + "/"
WORK = "/" + "work/"
_OUTSIDE = re.compile(
    "|".join(
        (
            r"\bDOMAIN" + r"\.md\b",  # the domain notes that were never in the repository
            r"(?<![\w-])" + SHARED,  # the shared directory, however it is reached
            r"(?<![\w.-])" + WORK,  # this machine's paths
        )
    )
)
_CITATION = re.compile(r"\bdomain\.md#([\w-]+)")
_LOCAL_LINK = re.compile(r"\]\(#([\w-]+)\)")
_SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".monitor", "build", "dist"}


def tracked_files() -> list[Path]:
    """The files git tracks; outside a git checkout, every file but caches and build output."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        names = [n for n in out.stdout.decode("utf-8").split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = [
            str(p.relative_to(REPO))
            for p in REPO.rglob("*")
            if p.is_file()
            and not any(
                part in _SKIP_DIRS or part.endswith(".egg-info")
                for part in p.relative_to(REPO).parts
            )
        ]
    assert names, "no files found"
    return [REPO / n for n in names if (REPO / n).is_file()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary (PDF, image)
    return data.decode("utf-8", errors="replace")


def outside_references(text: str) -> list[str]:
    """The lines of ``text`` that cite notes or paths outside the repository."""
    return [line.strip() for line in text.splitlines() if _OUTSIDE.search(line)]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and not fenced:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def test_the_checks_catch_what_they_are_for():
    assert outside_references("# see " + "DOMAIN" + ".md: the statuses")
    assert outside_references("provenance: ../" + SHARED + "corpus/10_fuar.md")
    assert outside_references("read " + WORK + "x")
    assert not outside_references("# see docs/domain.md (a section)")
    assert not outside_references("https://example.org" + WORK + "x, shared_state, over" + SHARED)
    assert slug("`hhs_separated_children_monthly`") == "hhs_separated_children_monthly"
    assert slug("Foreign-government basis statuses") == "foreign-government-basis-statuses"
    assert slug("Operator `review` findings") == "operator-review-findings"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}


def test_no_file_outside_docs_cites_notes_or_paths_outside_the_repository():
    offenders = {}
    for path in tracked_files():
        rel = path.relative_to(REPO)
        if rel.parts[0] == "docs":
            continue
        text = _text(path)
        lines = outside_references(text) if text is not None else []
        if lines:
            offenders[str(rel)] = lines
    assert offenders == {}, "cite docs/domain.md (with a section anchor) instead"


def test_every_cited_section_of_the_domain_notes_exists():
    headings = anchors(NOTES.read_text("utf-8"))
    cited: dict[str, set[str]] = {}
    for path in tracked_files():
        text = _text(path)
        if text is None:
            continue
        found = set(_CITATION.findall(text))
        if path == NOTES:
            found |= set(_LOCAL_LINK.findall(text))
        if found:
            cited[str(path.relative_to(REPO))] = found
    assert cited, "nothing cites docs/domain.md"
    broken = {f: sorted(a - headings) for f, a in cited.items() if a - headings}
    assert broken == {}, f"no such heading in docs/domain.md; headings: {sorted(headings)}"
