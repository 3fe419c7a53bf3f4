"""办件公示: the public list of the county's cases submitted in the last 90 days (China dates). A row holds nothing that
identifies a person beyond the masked family name; withdrawn cases and items the catalog marks
confidential never appear. Paged by case id (newest first), so a page costs the same at page 1
or page 500 and whatever the number of cases."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache

from sqlalchemy import Select, bindparam, func, select

from extensions import db
from services import hot_reads
from services.cases.lifecycle import OPEN_CLOCK, Case, CaseEvent, on_time, status_name
from services.catalog import Catalog
from services.clock import CHINA
from services.clock import today as china_today
from services.memo import LRU
from services.people.identity import mask_name
from services.places import Township

DAYS = 90
PAGE_SIZE = 20


@dataclass(frozen=True)
class Filters:
    township_id: int | None = None
    department: str = ""
    item_code: str = ""


@dataclass(frozen=True)
class Row:
    number: str
    item_name: str
    applicant: str  # masked: 张*, 欧阳**; an organisation's name in full (it is not a person)
    township: str
    status: str
    accepted_on: date | None
    completed_on: date | None
    timeliness: str  # 按时办结, 超时办结, 已超期, 办理中 …
    late: bool
    organisation: bool = False  # applied for by an organisation (申请单位)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    newer: int | None  # the cursor of the page before (after=…), None on the first page
    older: int | None  # the cursor of the page after (before=…), None on the last page


def listed_items(catalog: Catalog) -> list:
    """Items whose cases are listed: applied for (a case), not confidential."""
    return [i for i in catalog.items if i.kind == "apply" and not i.confidential]


def departments(catalog: Catalog) -> list[str]:
    return sorted({i.department for i in listed_items(catalog)})


def _timeliness(row, today: date) -> tuple[str, bool]:
    done = on_time(row.status, row.workdays_used, row.promised_days)
    if done is not None:
        return ("按时办结", False) if done else ("超时办结", True)
    if row.status in OPEN_CLOCK:
        return ("已超期", True) if row.due_on and row.due_on < today else ("办理中，未超期", False)
    return ("计时暂停", False) if row.status == "supplement" else ("", False)  # the status says the rest


COLUMNS = (Case.id, Case.number, Case.item_name, Case.applicant_name, Case.organisation_name, Case.status, Case.decision,
           Case.accepted_on, Case.completed_on, Case.workdays_used, Case.promised_days, Case.due_on,
           Township.name.label("township"))


# `+ 0` keeps the planner on the submitted_at index: for a bare min(id) it walked the primary
# key up past every older case (0.7 s at 1,000,000 cases; this way 57 ms, 17 ms at 300,000).
_FIRST = select(func.min(Case.id + 0)).where(Case.submitted_at >= bindparam("since"))
# ... so it is worked out once per change anywhere and per day, not for every page: a new case
# is an event (latest_change), and a case gone (purged) leaves a lower bound, still right.
_firsts = LRU(8)


def _first_id(since: datetime, change: int | None) -> int | None:
    key = (since, change)
    first = _firsts.get(key) if change is not None else None
    if first is None:
        first = db.session.scalar(_FIRST, {"since": since})
        if change is not None and first is not None:
            _firsts.put(key, first)
    return first


@cache
def _page_query(item_filtered: bool, by_township: bool, direction: str) -> Select:
    """A page's statement, of the few shapes there are, built once each: building one costs more
    than running it. Only items listed (not confidential, still in the catalog); within the 90
    days' ids, so that no cursor walks further back. Unfiltered, the item test is made row by row
    (`|| ''` keeps the planner off the item index) so that the walk follows the primary key with no sort."""
    item = Case.item_code if item_filtered else Case.item_code + ""
    # The 90 days' test is made row by row too (coalesce hides the submitted_at index): else
    # PostgreSQL, misled by the ids' and the dates' ranges being one and the same, ANDed three
    # bitmaps of a whole township's cases and sorted them (19 ms at 300,000 cases; this way 0.5).
    submitted = func.coalesce(Case.submitted_at, Case.submitted_at)
    query = (select(*COLUMNS).outerjoin(Township, Township.id == Case.township_id)
             .where(Case.id >= bindparam("first"), submitted >= bindparam("since"),
                    Case.status != "withdrawn", item.in_(bindparam("codes", expanding=True))))
    if by_township:
        query = query.where(Case.township_id == bindparam("township_id"))
    if direction == "after":
        query = query.where(Case.id > bindparam("cursor")).order_by(Case.id)
    else:
        if direction == "before":
            query = query.where(Case.id < bindparam("cursor"))
        query = query.order_by(Case.id.desc())
    return query.limit(PAGE_SIZE + 1)


def public_cases(catalog: Catalog, filters: Filters, before: int | None = None, after: int | None = None,
                 today: date | None = None, change: int | None = None) -> Page:
    """One page of the list: the cases older than `before`, or the page newer than `after`. What
    it shows changes with an event (latest_change, which a caller may pass as `change`) or with
    the China date, nothing else."""
    today = today or china_today()
    since = datetime.combine(today - timedelta(days=DAYS), time(), CHINA).astimezone(timezone.utc)
    first = _first_id(since, change if change is not None else latest_change())
    if first is None:
        return Page([], None, None)
    codes = [i.code for i in listed_items(catalog) if (not filters.item_code or i.code == filters.item_code)
             and (not filters.department or i.department == filters.department)]
    direction = "after" if after is not None else "before" if before is not None else "first"
    query = _page_query(bool(filters.item_code or filters.department), bool(filters.township_id), direction)
    found = list(db.session.execute(query, {"first": first, "since": since, "codes": codes,
                                            "township_id": filters.township_id,
                                            "cursor": after if direction == "after" else before}))
    if direction == "after":  # a page back: the oldest PAGE_SIZE newer than `after`, shown newest first
        more_newer, more_older = len(found) > PAGE_SIZE, True
        found = found[:PAGE_SIZE][::-1]
    else:
        more_newer, more_older = direction == "before", len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
    rows = []
    for row in found:
        timeliness, late = _timeliness(row, today)
        rows.append(Row(row.number, row.item_name, row.organisation_name or mask_name(row.applicant_name),
                        row.township or "县级",
                        status_name(row.status, row.decision), row.accepted_on, row.completed_on, timeliness, late,
                        organisation=row.organisation_name is not None))
    ids = [row.id for row in found]
    return Page(rows, newer=ids[0] if ids and more_newer else None, older=ids[-1] if ids and more_older else None)


def latest_change() -> int | None:
    """Changes with every event anywhere (every change to a case is one): a page of the list
    rendered at this value is still right. The primary key's maximum: one index step, read on
    every view by the lean path (services.hot_reads: on PostgreSQL no BEGIN and ROLLBACK around
    it, two round trips of the three a kept page cost), so it sees what is committed."""
    row = hot_reads.one_row(_LATEST, {})
    return row[0] if row else None


_LATEST = select(func.max(CaseEvent.__table__.c.id))
