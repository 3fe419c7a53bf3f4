"""Demo cases (`flask seed`, never in production): the county's last 90 days in miniature, made
through the real lifecycle, so that 办件公示, the supervision page and the console have something
to show on `make run`. Dated in the past as they would have happened; every page that lists them
outside production says they are demo data."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, select
from stdnum.cn import ric

from extensions import db
from services.cases.lifecycle import Case, act, submit_case
from services.cases.ratings import rate
from services.clock import CHINA
from services.clock import today as china_today
from services.outbox import OutboxMessage
from services.people.actors import Actor, citizen
from services.people.identity import find_or_create_person, verify_real_name
from services.places import township_choices
from services.workdays import load_calendar

ITEMS = ["621027-BM-005", "621027-BM-006", "621027-BM-008", "621027-BM-009", "621027-BM-004"]
SURNAMES = "张王李赵刘陈杨马周吴胡郭何高罗"
GIVEN = ["桂兰", "建国", "秀英", "志强", "玉梅", "德明", "春花", "海军", "淑芬", "永红", "小燕", "振华"]
SPECIAL = ["欧阳娜娜", "阿卜杜·热合曼", "李䶮"]
COMMENTS = {1: "窗口让我来回跑了三趟，材料清单没有一次说清楚", 2: "等的时间太长，电话也没人接",
            4: "办得挺快", 5: "工作人员很耐心，网上就办好了"}
STAFF = Actor("staff", None, "演示窗口人员", role="admin")


def seed_demo_cases(catalog, count: int = 48, today: date | None = None) -> int:
    """Cases of the last 85 days in every state, some late, the done ones partly rated; none when
    there are cases already. Returns how many were made."""
    if db.session.scalar(select(func.count()).select_from(Case)):
        return 0
    sent_before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    today, rng, calendar = today or china_today(), random.Random(2026), load_calendar()
    townships = [tid for tid, _ in township_choices()][:8]
    # The same months a year before, done more slowly: the baseline the supervision page compares with.
    days = sorted([(today - timedelta(days=365 + rng.randint(0, 85)), True) for _ in range(count // 2)]
                  + [(today - timedelta(days=rng.randint(1, 85)), False) for _ in range(count - 2)]
                  + [(today, False)] * 2)  # two came in today, not yet accepted
    for i, (day, last_year) in enumerate(days):  # in the order they came in, as case numbers are
        name = SPECIAL[i] if i < len(SPECIAL) else rng.choice(SURNAMES) + rng.choice(GIVEN)
        person = find_or_create_person(f"1390001{i:04d}")
        body = f"622827{1940 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        verify_real_name(person, name, body + ric.calc_check_digit(body + "0"))
        item = catalog.get(rng.choice(ITEMS))
        case = submit_case(item, person, _answers(item, person, day), f"demo-case-{i}",
                           township_id=rng.choice(townships), today=day)
        _dated(case.events[-1], day)
        case.submitted_at = case.events[-1].at
        _progress(case, item, person, day, today, rng, calendar, slower=3 if last_year else 0)
    # Nobody is told of what never happened: no SMS, no push to a department goes out for these.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.id > sent_before))
    db.session.commit()
    return len(days)


def _progress(case, item, person, day, today, rng, calendar, slower: int = 0) -> None:
    """Accept on the next working day; then done in time, late, or (if recent) still open."""
    fate = "wait" if day == today else rng.choices(["wait", "reject", "withdraw", "open", "done"], [1, 1, 1, 4, 9])[0]
    if fate in ("wait", "open") and (today - day).days > 20:
        fate = "done"  # what came in long ago has mostly been done
    if fate == "withdraw":
        _dated(act(case, "withdraw", citizen(person), today=day), day)
        return
    accepted = min(calendar.add_workdays(day, 1)[0], today)
    if fate == "wait" or accepted == day == today:
        return
    if fate == "reject":
        _dated(act(case, "reject", STAFF, note="申请人不在本乡镇户籍，请到户籍所在地乡镇申请", today=accepted), accepted)
        return
    _dated(act(case, "accept", STAFF, today=accepted), accepted)
    if fate == "open":
        return
    late = rng.random() < 0.2
    spent = item.promised_days + rng.randint(1, 4) if late else rng.randint(0, max(item.promised_days - 1, 0))
    done = calendar.add_workdays(accepted, min(spent + slower, item.legal_days or spent + slower))[0]
    if item.forwarded:  # the township's 初审, then the county decides
        _dated(act(case, "forward", STAFF, note="经入户调查和民主评议，符合条件，报县民政局审批", today=accepted), accepted)
    if done > today:
        return
    _dated(act(case, "complete", STAFF, data={"decision": "approved"}, today=done), done)
    if rng.random() < 0.7:
        level = rng.choices([5, 4, 3, 2, 1], [6, 3, 1, 1, 1])[0]
        rating = rate(case, citizen(person), level, {}, COMMENTS.get(level, ""), today=done)
        rating.created_at = _moment(done)


def _answers(item, person, day) -> dict:
    """Every field of the item's form, as a person would have filled it."""
    values = {"name": person.name, "id_number": person.id_number, "phone": person.phone}
    answers = {}
    for f in item.fields:
        if f.type in values:
            answers[f.name] = values[f.type]
        elif f.options:
            answers[f.name] = f.options[0]
        else:
            answers[f.name] = {"date": day.isoformat(), "integer": str(max(f.min, 1)), "number": str(max(f.min, 1)),
                               "money": "1200", "digits": "6217000012345678"}.get(f.type, "演示数据")
    return answers


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), CHINA)


def _dated(event, day: date):
    event.at = _moment(day)
    event.case.last_event_at = event.at
    return event
