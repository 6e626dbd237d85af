"""monitor parse SOURCE FILE: read a saved document with a source's parser; no database."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "parse",
        help="Parse a saved document with a source's parser (no database).",
        description="Read FILE (PDF, HTML or saved text) with SOURCE's parser and validate the "
        "result, as the pipeline would, without storing anything. Exit 0 when the "
        "document yielded what a document of its kind must (counts for a report, "
        "links for a listing: outcome ok); 1 when it yielded only problems or fell "
        "short (wrong_type, parse_error, empty, layout_changed). Whatever was read "
        "is printed either way.",
    )
    p.add_argument(
        "source", help="Source id, e.g. dhs_family_unit_actions (see `monitor sources`)."
    )
    p.add_argument("file", help="The saved document.")
    p.add_argument(
        "--url",
        help="Canonical URL the document was published at: becomes the report's "
        "URL and resolves relative links (default: the file's file:// URL).",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="Print the parse as JSON: source, parser_version, reports, counts, "
        "statements, links, problems (dates ISO 8601).",
    )
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from monitor.saved import parse_file, read_saved

    registered = ctx.sources.get(args.source)
    saved = read_saved(args.file, args.url)
    result, outcome = parse_file(registered, saved)
    if args.json:
        from monitor.output import print_json

        print_json(result.to_json(registered.id))
    else:
        print_parse(result, registered.id, outcome, saved.url)
    return 0 if outcome == "ok" else 1


def print_parse(result, source_id: str, outcome: str, url: str) -> None:
    from monitor.output import print_table

    print(f"{source_id} (parser {result.parser_version}): {outcome}  {url}")
    for r in result.reports:
        period = (
            f"{r.period_start or '?'} to {r.period_end or '?'}"
            if r.period_start or r.period_end
            else "not stated"
        )
        issued = f"{r.issued} ({r.issued_precision})" if r.issued else "not printed"
        print(
            f"report: {r.title or '(untitled)'}\n  period {period}; issued {issued}; fiscal year "
            f"{r.fiscal_year or '-'}; pages {r.page_count or '-'}\n  authorities: "
            f"{', '.join(r.authorities) or '-'}"
        )
    if result.counts:
        print_table(
            [
                (
                    c.measure,
                    c.dimension,
                    c.category,
                    c.value,
                    c.label,
                    f"{c.period_start or ''}..{c.period_end or ''}",
                    c.page or "",
                )
                for c in result.counts
            ],
            ["measure", "dimension", "category", "value", "label", "period", "page"],
        )
    for s in result.statements:
        value = "" if s.value is None else f" {s.value:g}"
        print(
            f"statement {s.key}: {s.status}{value}"
            + (f" - \"{s.quote}\"" if s.quote else "")
            + (f" (page {s.page})" if s.page else "")
        )
    for link in result.links:
        print(f"link: {link.url}" + (f"  {link.title}" if link.title else ""))
    for p in result.problems:
        print(f"problem {p.kind}: {p.detail}")
