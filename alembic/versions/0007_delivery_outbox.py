"""delivery outbox: messages written with the finding transitions, deliveries per channel,
every attempt

Revision ID: 0007_delivery_outbox
Revises: 0006_captures
Create Date: 2026-11-30 06:15:37.864079
"""

from alembic import op
import sqlalchemy as sa
import monitor.models.base


revision = "0007_delivery_outbox"
down_revision = "0006_captures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('change', sa.String(length=20), nullable=False),
        sa.Column('obligation_id', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('severity', sa.String(length=10), nullable=False),
        sa.Column('group_key', sa.Text(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('routed_at', monitor.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['parent_id'], ['outbox.id'], name=op.f('fk_outbox_parent_id_outbox')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_routed_at'), ['routed_at'], unique=False)

    op.create_table(
        'deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('channel', sa.Text(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=100), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column('claimed_at', monitor.models.base.UTCDateTime(), nullable=True),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('needs_check', sa.Boolean(), nullable=False),
        sa.Column('created_at', monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column('sent_at', monitor.models.base.UTCDateTime(), nullable=True),
        sa.Column('remote_id', sa.Text(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['outbox_id'], ['outbox.id'], name=op.f('fk_deliveries_outbox_id_outbox')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_deliveries_idempotency_key')),
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_outbox_id'), ['outbox_id'], unique=False)
        batch_op.create_index(
            'ix_deliveries_state_next', ['state', 'next_attempt_at'], unique=False
        )

    op.create_table(
        'delivery_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('at', monitor.models.base.UTCDateTime(), nullable=False),
        sa.Column('channel', sa.Text(), nullable=False),
        sa.Column('result', sa.String(length=20), nullable=False),
        sa.Column('remote_id', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['delivery_id'],
            ['deliveries.id'],
            name=op.f('fk_delivery_attempts_delivery_id_deliveries'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts')),
    )
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_delivery_attempts_delivery_id'), ['delivery_id'], unique=False
        )

    op.create_table(
        'outbox_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.Column('finding_id', sa.Integer(), nullable=False),
        sa.Column('transition_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['finding_id'], ['findings.id'], name=op.f('fk_outbox_items_finding_id_findings')
        ),
        sa.ForeignKeyConstraint(
            ['outbox_id'], ['outbox.id'], name=op.f('fk_outbox_items_outbox_id_outbox')
        ),
        sa.ForeignKeyConstraint(
            ['transition_id'],
            ['finding_transitions.id'],
            name=op.f('fk_outbox_items_transition_id_finding_transitions'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_items')),
    )
    with op.batch_alter_table('outbox_items', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_outbox_items_finding_id'), ['finding_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_outbox_items_outbox_id'), ['outbox_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_items_outbox_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_items_finding_id'))

    op.drop_table('outbox_items')
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempts_delivery_id'))

    op.drop_table('delivery_attempts')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_state_next')
        batch_op.drop_index(batch_op.f('ix_deliveries_outbox_id'))

    op.drop_table('deliveries')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_routed_at'))

    op.drop_table('outbox')
