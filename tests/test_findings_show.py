"""`monitor findings`: an unknown obligation is evaluate's one-line error (`operator` is known);
`monitor findings show ID` tells one finding's whole story: every evidence field, transitions,
audit entries; nothing truncated."""

from __future__ import annotations

import json

from findings_kit import at
from test_findings_cli import _evaluate, _seed

from monitor.db import make_engine, session_scope
from monitor.operator_findings import raise_operator_finding

LONG = (
    "cause label 'Administratively closed pending further review by the field office' is "
    "not in the taxonomy: it names no cause. " * 3
).strip()


def test_an_unknown_obligation_is_the_same_one_line_error_as_evaluate(
    cli_db, db_url, archive, monkeypatch, registries
):
    _seed(db_url, archive, monkeypatch, registries)
    rc, out, evaluate_err = cli_db("evaluate", "--obligation", "nope")
    assert (rc, out) == (1, "")
    assert evaluate_err == "error: no obligation nope; known: test_monthly\n"
    rc, out, err = cli_db("findings", "--obligation", "nope")
    assert (rc, out) == (1, "")
    assert err == "error: no obligation nope; known: test_monthly, operator\n"
    assert cli_db("findings", "--obligation", "operator") == (0, "no findings\n", "")


def test_show_prints_one_finding_whole(cli_db, db_url, archive, monkeypatch, registries):
    _seed(db_url, archive, monkeypatch, registries)
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        row = raise_operator_finding(
            session,
            family="parsing",
            subject="src|Administratively closed",
            summary=LONG,
            evidence={
                "label": "Administratively closed",
                "documents": [
                    {"url": "https://e.gov/r1.pdf", "page": 3, "snapshot_sha256": "ab" * 32},
                    {"url": "https://e.gov/r2.pdf", "page": 7, "snapshot_sha256": "cd" * 32},
                ],
                "empty": [],
            },
            now=at(2020, 4, 1),
        )
        finding = row.id
    engine.dispose()
    assert cli_db("ack", str(finding), "--by", "ana", "--note", "taxonomy change in review")[0] == 0

    rc, out, err = cli_db("findings", "show", str(finding))
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Finding #{finding}: review (acknowledged, severity medium)"
    assert f"  {LONG}" in lines  # the summary whole
    for line in (
        "  label: Administratively closed",
        "  documents[0].url: https://e.gov/r1.pdf",
        "  documents[1].page: 7",
        f"  documents[1].snapshot_sha256: {'cd' * 32}",
        "  empty: []",
    ):
        assert line in lines
    transitions = lines[lines.index("Transitions") + 1 : lines.index("Audit") - 1]
    assert [t.split()[1] for t in transitions] == ["opened", "acknowledged"]
    assert transitions[1].endswith("by ana  note: taxonomy change in review")
    audit = lines[lines.index("Audit") + 1 :]
    assert len(audit) == 1 and "  ana  acknowledge  note: taxonomy change in review" in audit[0]

    rc, out, _err = cli_db("findings", "show", str(finding), "--json")
    story = json.loads(out)
    listed = {f["id"]: f for f in json.loads(cli_db("findings", "--json")[1])}
    assert {k: v for k, v in story.items() if k not in ("transitions", "audit")} == listed[finding]
    assert story["evidence"]["documents"][1]["page"] == 7
    assert [
        (t["change"], t["from_state"], t["to_state"], t["actor"]) for t in story["transitions"]
    ] == [("opened", None, "open", None), ("acknowledged", "open", "acknowledged", "ana")]
    assert [(a["actor"], a["action"], a["target"], a["note"]) for a in story["audit"]] == [
        ("ana", "acknowledge", f"finding:{finding}", "taxonomy change in review")
    ]


def test_show_of_an_engine_finding_and_of_an_unknown_id(
    cli_db, db_url, archive, monkeypatch, registries
):
    _seed(db_url, archive, monkeypatch, registries)
    rows = _evaluate(cli_db, "--as-of", "2020-04-10", "--write")
    rc, out, _err = cli_db("findings", "show", str(rows[0]["id"]), "--json")
    story = json.loads(out)
    assert story["evidence"] == rows[0]["evidence"] and story["audit"] == []
    assert [t["change"] for t in story["transitions"]] == ["opened"]
    rc, out, _err = cli_db("findings", "show", str(rows[0]["id"]))
    assert "\nAudit\n  (no decisions by people)\n" in out
    assert f"  citation.id: {rows[0]['evidence']['citation']['id']}" in out.splitlines()
    rc, out, err = cli_db("findings", "show", "99999")
    assert (rc, out, err) == (1, "", "error: no finding with id 99999 (see `monitor findings`)\n")
