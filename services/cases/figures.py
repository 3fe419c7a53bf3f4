"""The SQL that counts cases, shared by every figure shown (supervision, per village, the public
list): what counts as open, overdue and done, and how long 受理 to 办结 took — one definition each."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func
from sqlalchemy import case as sql_case

from services.cases.lifecycle import DONE, OPEN, OPEN_CLOCK, Case


def is_open():
    return Case.status.in_(OPEN)


def is_overdue(today: date):
    """The clock runs and the deadline has passed."""
    return and_(Case.status.in_(OPEN_CLOCK), Case.due_on < today)


def is_done():
    return Case.status.in_(DONE)


def count_where(condition):
    return func.coalesce(func.sum(sql_case((condition, 1), else_=0)), 0)


def average_days():
    """Working days from 受理 to 办结 on the case's own clock (补正 pauses it), of cases done."""
    return func.avg(sql_case((is_done(), Case.workdays_used)))


def late_where():
    """Done, later than promised."""
    return and_(is_done(), Case.workdays_used > Case.promised_days)
