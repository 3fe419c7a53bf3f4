"""the address each department system's case events are delivered to (webhooks)

webhooks (services/exchange/webhooks.py): one per system, registered by the department through
the signed API or by the administrator; deliveries are the outbox's rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 11:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=12), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('registered_by', sa.String(length=60), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
    sa.UniqueConstraint('system', name=op.f('uq_webhooks_system'))
    )


def downgrade():
    op.drop_table('webhooks')
