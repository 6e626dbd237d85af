"""fetch runs by URL and outcome, and by cycle

Two indexes for what is still looked for through a URL's whole history, or the whole table, in
fetch_runs (bench/daily_run.py: a daily run at a million fetch runs took 1.8 times as long as
at two thousand, goal 1.2).

A document's newest failed fetch. A daily run asks of every listed document not yet placed in
a period its fetch state: its failures in a row and the error of its newest failed fetch ever
(monitor/run_lookups.py ``document_runs``). On ``fetch_runs(url, started_at)`` the newest
failure is a walk back from the URL's newest run past every run that did not fail: for a
document that never failed, every run it ever had (12,500 each in the benchmark), each read
from the table. With the outcome between the URL and the time it is one descent per failure
outcome, the first entry of each range.

Runs of a cycle. A command found left running by one that died is marked interrupted with the
number of fetch runs its cycle had stored (monitor/command_runs.py): ``cycle`` was in no index,
so that count read the whole table. An index on it makes the count one range of it.

Revision ID: 0026_fetch_run_outcomes
Revises: 0025_listing_pages
"""

from alembic import op

revision = "0026_fetch_run_outcomes"
down_revision = "0025_listing_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_fetch_runs_url_outcome_started", "fetch_runs", ["url", "outcome", "started_at"]
    )
    op.create_index("ix_fetch_runs_cycle", "fetch_runs", ["cycle"])


def downgrade() -> None:
    op.drop_index("ix_fetch_runs_cycle", table_name="fetch_runs")
    op.drop_index("ix_fetch_runs_url_outcome_started", table_name="fetch_runs")
