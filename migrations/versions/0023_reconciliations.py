"""对账: one report per payment provider and day, with the differences found

reconciliations (services/reconciliation.py).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-26 15:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reconciliations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('bill_count', sa.Integer(), nullable=False),
    sa.Column('bill_fen', sa.Integer(), nullable=False),
    sa.Column('our_count', sa.Integer(), nullable=False),
    sa.Column('our_fen', sa.Integer(), nullable=False),
    sa.Column('differences', sa.JSON(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliations')),
    sa.UniqueConstraint('provider', 'day', name=op.f('uq_reconciliations_provider'))
    )


def downgrade():
    op.drop_table('reconciliations')
