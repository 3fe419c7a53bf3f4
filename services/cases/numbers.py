"""Case numbers (办件编号): ZY + YYMMDD + a 5-digit daily sequence + an ISO 7064 MOD 11-2
check character (0-9 or X, as on an ID card). Readable, sortable, fits Code128."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Date, Integer
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column
from stdnum.iso7064 import mod_11_2

from extensions import db
from services.errors import DomainError

PREFIX = "ZY"
DAILY_MAX = 99_999
PATTERN = re.compile(rf"^{PREFIX}([0-9]{{11}})([0-9X])$", re.ASCII)


class CaseCounter(db.Model):
    __tablename__ = "case_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


def next_case_number(day: date) -> str:
    """One atomic upsert: two submissions in the same instant never share a number."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(CaseCounter).values(day=day, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={"last": CaseCounter.last + 1})
    seq = db.session.execute(stmt.returning(CaseCounter.last)).scalar_one()
    if seq > DAILY_MAX:
        raise DomainError("今日办件编号已用完，请联系系统管理员")
    digits = f"{day:%y%m%d}{seq:05d}"
    return f"{PREFIX}{digits}{mod_11_2.calc_check_digit(digits)}"


def normalise_case_number(raw: str, field: str | None = "case_number") -> str:
    """Accept what people type off a receipt: lower case, spaces, dashes, and the 12 characters
    after ZY alone (a keypad has no letters)."""
    from services.inputs import half_width

    number = re.sub(r"[\s\-]", "", half_width(raw if isinstance(raw, str) else "")).upper()
    if len(number) == 12 and number[:1].isdigit():
        number = PREFIX + number
    match = PATTERN.match(number)
    if not match or not mod_11_2.is_valid(match.group(1) + match.group(2)):
        raise DomainError("办件编号有误，请对照回执逐位核对（以 ZY 开头，共 14 位）", field=field)
    return number


def format_case_number(number: str) -> str:
    """ZY 261125 00001 9 — easier to read aloud on the phone."""
    return f"{number[:2]} {number[2:8]} {number[8:13]} {number[13:]}"
