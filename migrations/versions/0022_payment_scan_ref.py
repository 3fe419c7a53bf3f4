"""the provider's QR content of a payment order (WeChat Pay Native's code_url), asked for once

payment_orders.scan_ref (services/payments.scan_to_pay_url): NULL until a kiosk or an agent
shows the order's QR.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-26 14:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scan_ref', sa.String(length=300), nullable=True))



def downgrade():
    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.drop_column('scan_ref')

