"""where a case of a levelled item is: the township that accepted it, or the county that decides

cases.level (services/cases/lifecycle.py): "township" until the township forwards it (报县级审批),
then "county"; NULL for items any of their staff handle, and for every case made before this
revision (they go on as before).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_level'), ['level'], unique=False)


def downgrade():
    # SQLite drops a column by rebuilding the table: see 0015.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_level'))
        batch_op.drop_column('level')
    if sqlite:
        op.get_bind().connection.dbapi_connection.commit()
        op.execute("PRAGMA foreign_keys=ON")
