"""督查: the figures the county plan's targets are checked against, counted from the tables the
cases and ratings live in (no second bookkeeping): the share of items fully online against the
plan's 30/50/80/100 % lines, cases by status, overdue cases by department and township, working
days from 受理 to 办结 per item against a baseline period (the plan's "效率提速 15 %"), ratings per
department and item, and the 差评 rectifications still open."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from extensions import db
from services import inputs
from services.cases.figures import average_days, count_where, is_done, is_open, is_overdue
from services.cases.lifecycle import STATUS_NAMES, Case
from services.cases.ratings import BAD, Rating, Rectification
from services.catalog import Catalog
from services.clock import CHINA
from services.clock import today as china_today
from services.inputs import InvalidInput
from services.places import Township

# 《进一步深化“互联网+政务服务”…实施方案》: 30 % by March, 50 % by June, 80 % by the end of 2018, all in 2019.
TARGETS = [("3月底", 30), ("6月底", 50), ("年底", 80), ("次年", 100)]  # of 2018, the plan's year
EFFICIENCY_TARGET = 15  # % fewer working days than the baseline
EARLIEST = date(2018, 1, 1)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start:%Y年%-m月%-d日}—{self.end:%Y年%-m月%-d日}"

    def bounds(self) -> tuple[datetime, datetime]:
        """The period's instants: from China midnight of the first day to that of the day after the last."""
        return (datetime.combine(self.start, time(), CHINA).astimezone(timezone.utc),
                datetime.combine(self.end + timedelta(days=1), time(), CHINA).astimezone(timezone.utc))


def default_periods(today: date | None = None) -> tuple[Period, Period]:
    """The last 90 days, against the same days a year before."""
    today = today or china_today()
    current = Period(today - timedelta(days=89), today)
    return current, Period(_year_before(current.start), _year_before(current.end))


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def periods(start, end, base_start, base_end, today: date | None = None) -> tuple[Period, Period]:
    """The periods a supervisor chose, each checked; a date left empty keeps the default."""
    today = today or china_today()
    current, baseline = default_periods(today)
    days = {}
    for field, raw, default in (("start", start, current.start), ("end", end, current.end),
                                ("base_start", base_start, baseline.start), ("base_end", base_end, baseline.end)):
        days[field] = inputs.calendar_date(raw, EARLIEST, today, field=field) if str(raw or "").strip() else default
    if days["start"] > days["end"]:
        raise InvalidInput("开始日期不能晚于结束日期", field="start")
    if days["base_start"] > days["base_end"]:
        raise InvalidInput("开始日期不能晚于结束日期", field="base_start")
    return Period(days["start"], days["end"]), Period(days["base_start"], days["base_end"])


@dataclass(frozen=True)
class OnlineShare:
    items: int
    online: int
    by_section: list  # (section name, items, online)

    @property
    def percent(self) -> float:
        return round(100 * self.online / self.items, 1) if self.items else 0.0


def online_share(catalog: Catalog) -> OnlineShare:
    """Items people apply for or use (便民、审批服务; 专项服务 are the portal's own pages)."""
    from services.catalog import SECTION_NAMES

    items = [i for i in catalog.items if i.section != "special"]
    by_section = [(SECTION_NAMES[s], len(rows), sum(1 for i in rows if i.fully_online))
                  for s in ("convenience", "approval") for rows in [[i for i in items if i.section == s]]]
    return OnlineShare(len(items), sum(1 for i in items if i.fully_online), by_section)


def cases_by_status(period: Period) -> list[tuple[str, str, int]]:
    """Cases submitted in the period, by where they are now."""
    start, end = period.bounds()
    counts = dict(db.session.execute(select(Case.status, func.count()).where(
        Case.submitted_at >= start, Case.submitted_at < end).group_by(Case.status)).all())
    return [(status, name, counts.get(status, 0)) for status, name in STATUS_NAMES.items()]


def overdue_by(by: str, today: date | None = None) -> list[tuple[str, int, int]]:
    """(department or township, open cases, overdue), of the cases open now; most overdue first."""
    today = today or china_today()
    if by == "department":
        key, query = Case.department, select(Case.department)
    else:
        key = Township.name
        query = select(func.coalesce(Township.name, "县级")).outerjoin(Township, Township.id == Case.township_id)
    rows = db.session.execute(query.add_columns(func.count(), count_where(is_overdue(today)))
                              .where(is_open()).group_by(key)).all()
    return sorted(((name, int(n), int(late)) for name, n, late in rows), key=lambda r: (-r[2], -r[1], r[0]))


@dataclass(frozen=True)
class Efficiency:
    name: str
    done: int
    average: float | None
    base_done: int
    base_average: float | None

    @property
    def faster_percent(self) -> float | None:
        """How much fewer working days than in the baseline, in % (the plan's 提速)."""
        if self.average is None or not self.base_average:
            return None
        return round(100 * (self.base_average - self.average) / self.base_average, 1)

    @property
    def meets_target(self) -> bool | None:
        faster = self.faster_percent
        return None if faster is None else faster >= EFFICIENCY_TARGET


def _averages(period: Period) -> dict[str | None, tuple[int, float | None]]:
    """item code -> (cases done in the period, average working days); None -> all items together."""
    where = (is_done(), Case.completed_on >= period.start, Case.completed_on <= period.end)
    rows = {code: (int(n), None if avg is None else float(avg)) for code, n, avg in db.session.execute(
        select(Case.item_code, func.count(), average_days()).where(*where).group_by(Case.item_code))}
    n, avg = db.session.execute(select(func.count(), average_days()).where(*where)).one()
    rows[None] = (int(n), None if avg is None else float(avg))
    return rows


def efficiency(catalog: Catalog, current: Period, baseline: Period) -> list[Efficiency]:
    """Per item applied for, and a last row for all of them together."""
    now, before = _averages(current), _averages(baseline)
    rows = []
    for item in [i for i in catalog.items if i.kind == "apply"] + [None]:
        code = item.code if item else None
        n, avg = now.get(code, (0, None))
        base_n, base_avg = before.get(code, (0, None))
        rows.append(Efficiency(item.display_name if item else "全部事项", n, _round(avg), base_n, _round(base_avg)))
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class RatingRow:
    name: str
    counts: dict  # level -> how many

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def bad(self) -> int:
        return sum(self.counts.get(level, 0) for level in BAD)

    @property
    def good_percent(self) -> float | None:
        """满意度: the share rated 非常满意, 满意 or 基本满意."""
        return round(100 * (self.total - self.bad) / self.total, 1) if self.total else None


def ratings_by(by: str, period: Period, catalog: Catalog | None = None) -> list[RatingRow]:
    """Ratings given in the period, per department (or per item), by level."""
    start, end = period.bounds()
    key = Case.department if by == "department" else Case.item_code
    counts: dict[str, dict] = {}
    for name, level, n in db.session.execute(
            select(key, Rating.level, func.count()).join(Case, Case.id == Rating.case_id)
            .where(Rating.created_at >= start, Rating.created_at < end).group_by(key, Rating.level)):
        counts.setdefault(name, {})[level] = int(n)
    names = {i.code: i.display_name for i in catalog.items} if catalog and by == "item" else {}
    return sorted((RatingRow(names.get(k, k), v) for k, v in counts.items()), key=lambda r: (-r.bad, -r.total, r.name))


def open_rectifications() -> list[Rectification]:
    """Every 差评 rectification not yet closed by a 回访, soonest deadline first."""
    return list(db.session.scalars(select(Rectification).where(Rectification.status != "closed")
                                   .order_by(Rectification.due_on, Rectification.id).limit(1000)))

