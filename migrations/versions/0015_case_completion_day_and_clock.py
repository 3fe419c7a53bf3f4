"""the day a case was closed, and its clock's working days at 办结

cases.completed_on is the China date of 办结 (or 不予受理, 撤回); cases.workdays_used now holds,
once a case is done, every working day its clock ran, so that "within the promised time" and the
average 受理 to 办结 are read from the case row (办件公示, supervision). Existing rows are filled in
with the working-day calendar as it stands (statutory days and the arrangements loaded).
cases.submitted_at gets an index for the public list's 90 days.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 08:40:00

"""
from datetime import timedelta, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

CHINA = timezone(timedelta(hours=8))


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_completed_on'), ['completed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_submitted_at'), ['submitted_at'], unique=False)
    _fill_in()


def _fill_in():
    from services.workdays import WorkCalendar

    bind = op.get_bind()
    calendar_days = sa.table('calendar_days', sa.column('day', sa.Date()), sa.column('is_workday', sa.Boolean()))
    years = frozenset(y for (y,) in bind.execute(sa.text("SELECT year FROM calendar_years")))
    days = dict(bind.execute(sa.select(calendar_days.c.day, calendar_days.c.is_workday)).all()) if years else {}
    calendar = WorkCalendar(years, days)
    cases = sa.table('cases', sa.column('id'), sa.column('status'), sa.column('completed_at', sa.DateTime(timezone=True)),
                     sa.column('clock_started_on', sa.Date()), sa.column('workdays_used', sa.Integer()),
                     sa.column('completed_on', sa.Date()))
    rows = bind.execute(sa.select(cases.c.id, cases.c.status, cases.c.completed_at, cases.c.clock_started_on,
                                  cases.c.workdays_used).where(cases.c.completed_at.is_not(None))).all()
    for case_id, status, completed_at, started, used in rows:
        if completed_at.tzinfo is None:  # SQLite hands back naive UTC
            completed_at = completed_at.replace(tzinfo=timezone.utc)
        day = completed_at.astimezone(CHINA).date()
        values = {"completed_on": day}
        if status in ("completed", "delivered") and started is not None:
            values["workdays_used"] = used + calendar.workdays_between(started, day)
        bind.execute(cases.update().where(cases.c.id == case_id).values(**values))


def downgrade():
    # SQLite drops a column by rebuilding the table, whose DROP must not check the foreign keys
    # of events and uploads (same rows, same ids afterwards): see 0014.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_cases_completed_on'))
        batch_op.drop_column('completed_on')
    if sqlite:
        op.get_bind().connection.dbapi_connection.commit()
        op.execute("PRAGMA foreign_keys=ON")
