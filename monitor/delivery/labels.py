"""What people read a finding's kind as, the same in Slack and in the weekly digest.

A kind names what the monitor claims (missing, late...). ``review`` is two things: an operator
finding (the monitor's own operation needs a person: an unmapped cause label, a refused
channel...) and an obligation's finding proposing documents a person must confirm or reject
(the HART disclosure: `monitor evidence OBLIGATION --from-report ID` / `--reject-report ID`).
Its label says which, and so what the person must do.
"""

from __future__ import annotations

OPERATOR = "operator"  # obligation id of operator findings (monitor/operator_findings.py)

KIND_LABEL = {
    "missing": "Missing report",
    "late": "Late report",
    "incomplete": "Incomplete report",
    "unknown": "Cannot tell (unknown)",
    "revised": "Figures revised",
    "removed": "Report removed",
    "anomaly": "Anomaly in the figures",
    "review": "Monitor needs a person",
    "not_public": "Sent to Congress, not public",
}
KIND_EMOJI = {
    "missing": ":red_circle:",
    "late": ":large_orange_circle:",
    "incomplete": ":large_yellow_circle:",
    "unknown": ":grey_question:",
    "revised": ":pencil2:",
    "removed": ":wastebasket:",
    "anomaly": ":warning:",
    "review": ":wrench:",
    "not_public": ":lock:",
}
# an obligation's `review` finding (rules/checks/timeliness.py): documents proposed for it
CANDIDATE_REVIEW = "Needs a person to confirm or reject a candidate document"
CANDIDATE_EMOJI = ":mag:"


def _candidates(kind: str | None, obligation_id: str | None) -> bool:
    return kind == "review" and obligation_id is not None and obligation_id != OPERATOR


def finding_label(kind: str | None, obligation_id: str | None = None) -> str:
    """The label of a finding of ``kind`` about ``obligation_id`` (None: not known, as for a
    kind a finding had before)."""
    if _candidates(kind, obligation_id):
        return CANDIDATE_REVIEW
    return KIND_LABEL.get(kind or "", kind or "")


def finding_emoji(kind: str | None, obligation_id: str | None = None) -> str:
    """The emoji Slack's header puts before the label."""
    if _candidates(kind, obligation_id):
        return CANDIDATE_EMOJI
    return KIND_EMOJI.get(kind or "", "")
