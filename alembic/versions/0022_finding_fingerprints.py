"""findings.fingerprint: what the engine last said of a finding, as one hash

An evaluation used to load every finding with its evidence to compare it with what the engine
says now (at 40,000 stored reports, 13,000 findings and most of the daily evaluation's memory).
It now loads (key, state, fingerprint) and reads whole rows only where something changed
(monitor/findings_sync.py, monitor/stored_findings.py). Existing rows start without one: the
first evaluation after this upgrade compares them whole, as before, and records it.

Revision ID: 0022_finding_fingerprints
Revises: 0021_fetch_run_lookups
"""

from alembic import op
import sqlalchemy as sa


revision = "0022_finding_fingerprints"
down_revision = "0021_fetch_run_lookups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("fingerprint")
