"""monitor candidates: reporting requirements found in official texts, waiting for review."""

from __future__ import annotations

STATUSES = ("new", "adopted", "rejected", "verifies")


def register(sub) -> None:
    p = sub.add_parser(
        "candidates",
        help="List reporting requirements found in official texts.",
        description="Requirement discovery reads every appropriations text the monitor takes in "
        "(source govinfo_appropriations) and keeps each paragraph that imposes "
        "reporting on the monitor's topics as a candidate, with its quote. A person "
        "adopts it (`monitor adopt ID`: a draft rule file) or rejects it (`monitor "
        "reject ID --reason TEXT`). A candidate whose words are an existing rule's "
        "citation verifies that citation instead (status `verifies`).",
    )
    p.add_argument("--status", choices=STATUSES, help="Only candidates in this status.")
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from monitor.candidates import list_candidates, to_json

    with ctx.session() as session:
        rows = [to_json(r) for r in list_candidates(session, args.status)]
    if args.json:
        from monitor.output import print_json

        print_json(rows)
        return 0
    if not rows:
        print("no candidates" + (f" in status {args.status}" if args.status else ""))
        return 0
    for r in rows:
        when = (
            r["cadence"]
            + (f", {r['days']} days" if r["days"] is not None else "")
            + (f", {r['hours']} hours" if r["hours"] is not None else "")
        )
        print(f"{r['id']}  {r['status']:<9} {r['package']}  {r['section'] or '(no section)'}")
        print(
            f"    {r['agency']} -> {', '.join(r['recipients']) or '(recipients not named)'}; "
            f"{when}; topics: {', '.join(r['topics'])}"
        )
        if r["deadline_phrase"]:
            print(f"    deadline: {r['deadline_phrase']}")
        if r["obligation_id"]:
            print(
                f"    {r['status']}: {r['obligation_id']}"
                + (f" citation {r['citation_id']}" if r["citation_id"] else "")
            )
        quote = r["quote"] if len(r["quote"]) <= 300 else r["quote"][:297] + "..."
        print(f"    \"{quote}\"")
    return 0
