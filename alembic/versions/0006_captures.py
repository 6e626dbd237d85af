"""captures: one row per capture record file, counting the fetches that repeated it

A capture record file is written only when a URL serves a new body or status; later fetches of
the same body and status add to seen_count and move last_seen_at (monitor/captures.py).

Revision ID: 0006_captures
Revises: 0005_redact_stored_urls
Create Date: 2026-11-30 06:54:11.573001
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = '0006_captures'
down_revision = '0005_redact_stored_urls'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'captures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.String(length=100), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('requested_url', sa.Text(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('http_status', sa.Integer(), nullable=True),
        sa.Column('first_seen_at', monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column('seen_count', sa.Integer(), nullable=False),
        sa.Column('record', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['source_id'], ['sources.id'], name=op.f('fk_captures_source_id_sources')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_captures')),
    )
    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_captures_sha256'), ['sha256'], unique=False)
        batch_op.create_index(
            'ix_captures_url_first_seen_at', ['url', 'first_seen_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.drop_index('ix_captures_url_first_seen_at')
        batch_op.drop_index(batch_op.f('ix_captures_sha256'))

    op.drop_table('captures')
