"""Working days (工作日) for deadlines.

The official arrangement of a year (国务院办公厅's notice: holidays and make-up working days,
调休) comes from chinese-calendar for the years it knows, or from an arrangement an
administrator loaded. For any other year the calendar still answers, as an estimate (预计):
weekends and the statutory holidays (fixed and lunar dates) are rest days, with no 调休."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import chinese_calendar
from lunardate import LunarDate
from sqlalchemy import Boolean, Date, DateTime, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.errors import DomainError

# chinese_calendar answers from its tables in ~65 µs a day; a queue of 500 cases asks thousands of
# days: each date asked once per process (the tables never change while it runs).
_official_workday = functools.lru_cache(maxsize=8192)(chinese_calendar.is_workday)
KNOWN_YEARS = range(min(chinese_calendar.constants.holidays).year,
                    max(chinese_calendar.constants.holidays).year + 1)


class CalendarYear(db.Model):
    """A year whose official arrangement an administrator loaded."""
    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))
    loaded_by: Mapped[str] = mapped_column(String(60))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarDay(db.Model):
    """One day of a loaded arrangement that differs from a plain Monday-to-Friday week."""
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(40), default="")


def statutory_holidays(year: int) -> dict[date, str]:
    """The 13 days of 《全国年节及纪念日放假办法》 (2025), without the weekend shuffles."""
    spring = LunarDate(year, 1, 1).to_solar_date()
    days = {date(year, 1, 1): "元旦", spring - timedelta(days=1): "春节"}
    days.update({spring + timedelta(days=i): "春节" for i in range(3)})
    days[_qingming(year)] = "清明节"
    days.update({date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节"})
    days[LunarDate(year, 5, 5).to_solar_date()] = "端午节"
    days[LunarDate(year, 8, 15).to_solar_date()] = "中秋节"
    days.update({date(year, 10, d): "国庆节" for d in (1, 2, 3)})
    return days


def _qingming(year: int) -> date:
    """清明 (a solar term) by the usual formula for 2001-2099: [Y*D+C] - [Y/4]."""
    if not 2001 <= year <= 2099:
        raise ValueError(f"no Qingming estimate for {year}")
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


@dataclass
class WorkCalendar:
    """Answers is_workday for any date; `loaded` holds administrator-loaded arrangements."""
    loaded_years: frozenset[int] = frozenset()
    loaded_days: dict[date, bool] | None = None

    def is_official(self, day: date) -> bool:
        return day.year in KNOWN_YEARS or day.year in self.loaded_years

    def is_workday(self, day: date) -> bool:
        if day.year in self.loaded_years:
            override = (self.loaded_days or {}).get(day)
            return override if override is not None else day.weekday() < 5
        if day.year in KNOWN_YEARS:
            return _official_workday(day)
        return day.weekday() < 5 and day not in _statutory_cached(day.year)

    def add_workdays(self, start: date, count: int) -> tuple[date, bool]:
        """The `count`-th working day after `start`; and whether any day counted is only 预计."""
        day, estimated = start, False
        while count > 0:
            day += timedelta(days=1)
            estimated = estimated or not self.is_official(day)
            if self.is_workday(day):
                count -= 1
        return day, estimated

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start`, up to and including `end` (0 when end <= start)."""
        n, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                n += 1
        return n


_statutory: dict[int, set[date]] = {}


def _statutory_cached(year: int) -> set[date]:
    if year not in _statutory:
        _statutory[year] = set(statutory_holidays(year))
    return _statutory[year]


def load_calendar() -> WorkCalendar:
    """The calendar with every arrangement administrators loaded (a few dozen rows a year)."""
    years = frozenset(db.session.scalars(select(CalendarYear.year)))
    days = dict(db.session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()) if years else {}
    return WorkCalendar(years, days)


LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:至|到|~|\.\.)\s*(\d{4}-\d{2}-\d{2}))?\s+(休|班)(?:\s+(.*))?$")


def parse_arrangement(year: int, text: str) -> dict[date, tuple[bool, str]]:
    """Lines such as `2027-10-01 至 2027-10-07 休 国庆节` and `2027-09-26 班 国庆节调休`."""
    days: dict[date, tuple[bool, str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if not match:
            raise DomainError(f"第 {number} 行看不懂：“{line}”。格式如：2027-10-01 至 2027-10-07 休 国庆节",
                              field="arrangement")
        try:
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2) or match.group(1))
        except ValueError:
            raise DomainError(f"第 {number} 行的日期不存在：“{line}”", field="arrangement")
        if first.year != year or last.year != year or last < first:
            raise DomainError(f"第 {number} 行的日期不在 {year} 年内或先后颠倒", field="arrangement")
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            if day in days:
                raise DomainError(f"第 {number} 行：{day.isoformat()} 重复出现", field="arrangement")
            days[day] = (match.group(3) == "班", (match.group(4) or "").strip()[:40])
    if not days:
        raise DomainError("没有读到任何放假或调休日期", field="arrangement")
    return days


def store_arrangement(year: int, text: str, source: str, loaded_by: str) -> int:
    """Replace the year's arrangement in one transaction. Returns the number of days stored.

    Callers recompute open deadlines afterwards (cases.lifecycle.recompute_open_deadlines)."""
    if year in KNOWN_YEARS:
        raise DomainError(f"{year} 年的官方安排已内置，无需导入", field="year")
    days = parse_arrangement(year, text)
    db.session.execute(delete(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))))
    db.session.execute(delete(CalendarYear).where(CalendarYear.year == year))
    db.session.add(CalendarYear(year=year, source=source[:200], loaded_by=loaded_by[:60],
                                loaded_at=datetime.now(timezone.utc)))
    db.session.add_all(CalendarDay(day=d, is_workday=w, name=n) for d, (w, n) in days.items())
    db.session.flush()
    return len(days)
