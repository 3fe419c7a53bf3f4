"""The enrolment code an administrator hands over (two-step sign-in is no longer opened by
whoever knows the first password), and a password to change at the next sign-in.

staff_users.enrolment_code_hash/_until (services/people/two_factor.py); staff_users and
agents.must_change_password (services/people/passwords.py). An administrator chose the password
of every village agent (but the demo's) and of every staff member not yet enrolled: they change
it at their next sign-in. One not yet enrolled needs an administrator's 重置两步验证 for a code.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-27 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolment_code_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('enrolment_code_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.execute(sa.text("UPDATE staff_users SET must_change_password = :yes WHERE two_factor_since IS NULL")
               .bindparams(yes=True))
    op.execute(sa.text("UPDATE agents SET must_change_password = :yes WHERE created_by <> :demo")
               .bindparams(yes=True, demo="演示数据"))


def downgrade():
    # SQLite drops a column by rebuilding the table, whose DROP must not check the foreign keys
    # of the rows referring to it (same rows, same ids afterwards): see 0014.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('enrolment_code_until')
        batch_op.drop_column('enrolment_code_hash')
    if sqlite:
        op.get_bind().connection.dbapi_connection.commit()
        op.execute("PRAGMA foreign_keys=ON")
