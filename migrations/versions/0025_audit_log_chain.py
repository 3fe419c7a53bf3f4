"""The audit log made append-only and tamper-evident: the chain's columns (services/audit.py),
and triggers that refuse deleting a row or changing what it says (sealing an unsealed row,
which only fills the chain's columns, is the one change allowed).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-26 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

CONTENT = ("at", "actor_kind", "actor_id", "actor_name", "action", "target", "detail", "ip")

POSTGRES = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit_log is append-only: rows cannot be deleted';
  END IF;
  IF OLD.seq IS NOT NULL OR NEW.seq IS NULL OR (%s) THEN
    RAISE EXCEPTION 'audit_log is append-only: a row cannot be changed';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: it cannot be truncated';
END $$;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate();
""" % " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in CONTENT)

SQLITE = ["""
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END
""", """
CREATE TRIGGER audit_log_no_change BEFORE UPDATE ON audit_log
WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR %s
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: a row cannot be changed'); END
""" % " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)]


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_seq'), ['seq'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log; DROP FUNCTION audit_log_append_only(); "
                   "DROP TRIGGER audit_log_no_truncate ON audit_log; DROP FUNCTION audit_log_no_truncate()")
    else:
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.execute("DROP TRIGGER audit_log_no_change")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_log_seq'), type_='unique')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
