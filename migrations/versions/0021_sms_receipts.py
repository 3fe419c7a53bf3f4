"""an SMS gateway's message id on the outbox row, and its delivery receipt (状态报告)

outbox.gateway_id (Alibaba's BizId, Tencent's SerialNo) is what a receipt names
(services/outbox.record_receipt); delivery is delivered | undelivered, NULL until one arrives.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-26 13:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gateway_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('delivery', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivery_note', sa.String(length=100), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_outbox_gateway_id'), ['gateway_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_gateway_id'))
        batch_op.drop_column('delivery_note')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('delivery')
        batch_op.drop_column('gateway_id')

