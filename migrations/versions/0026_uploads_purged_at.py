"""when an uploaded material was deleted at the end of its retention period (保存期限)

uploads.purged_at (services/retention.py): NULL while the file is kept. The row stays, with its
name, size and hash, so the case still says what was handed in and when it was deleted.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-27 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
