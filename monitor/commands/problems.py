"""monitor problems: what the latest reading of each document could not read."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "problems",
        help="Parse problems of each document's latest reading, grouped.",
        description="Lists the problems stored with the latest parse of every document the "
        "monitor holds (the snapshot each URL serves now): unmapped cause labels, "
        "non-numeric cells, totals that do not add up, layouts that changed. One "
        "entry per kind, label and document, with the pages and how often; an "
        "unmapped label names the operator finding that stands for it. Exit 0 "
        "whether or not there are problems; 1 for an unknown source.",
    )
    p.add_argument("--source", metavar="ID", help="Only this source's documents.")
    p.add_argument(
        "--json",
        action="store_true",
        help="A list of objects: source, kind, label, detail, url, report_id, pages, "
        "count, sha256, parser_version, finding.",
    )
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from monitor.parse_problems import problem_groups, problem_lines, problems_headline

    if args.source:
        ctx.sources.get(args.source)  # an unknown source is a one-line error
    with ctx.session() as session:
        groups = problem_groups(session, args.source)
    if args.json:
        from monitor.output import print_json

        print_json([g.to_json() for g in groups])
        return 0
    print(f"Parse problems: {problems_headline(groups)}")
    for line in problem_lines(groups):
        print(f"  {line}")
    return 0
