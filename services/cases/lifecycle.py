"""Cases (办件) and their lifecycle. Every transition is an event row and a message to the
applicant, written in one transaction; the timeline shown to citizens is built from events.

    submitted --accept--> accepted --review--> reviewing --complete--> completed --deliver--> delivered
        |                    |  ^                  |
        |                    v  | resubmit         |
        +--reject--> not_accepted  supplement <----+     (the clock pauses during 补正)
        +--withdraw--> withdrawn
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, defer, mapped_column, relationship
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from services import inputs
from services.cases.numbers import next_case_number
from services.catalog import Item
from services.clock import today as china_today
from services.clock import utcnow
from services.errors import DomainError, IllegalTransition, NotFound
from services.inputs import InvalidInput
from services.outbox import enqueue
from services.people.actors import Actor, citizen
from services.people.identity import Person
from services.registry import registry
from services.sealing import Sealed, SealedJSON
from services.sms import message
from services.workdays import WorkCalendar, load_calendar

STATUS_NAMES = {
    "submitted": "已提交，等待受理", "accepted": "已受理", "reviewing": "审查中",
    "supplement": "需要补正材料", "not_accepted": "不予受理", "completed": "已办结",
    "delivered": "已送达", "withdrawn": "已撤回",
}
OPEN_CLOCK = {"accepted", "reviewing"}  # the deadline runs in these states
OPEN = ("submitted", "accepted", "reviewing", "supplement")  # not yet decided
# The same, as the open-cases index's predicate (migration 0028) and as written into queries that
# must match it word for word: "status IN ('submitted', 'accepted', 'reviewing', 'supplement')".
OPEN_WHERE = "status IN (" + ", ".join(f"'{status}'" for status in OPEN) + ")"
DONE = ("completed", "delivered")  # 办结: decided, whether or not the result went back yet
FINAL = {"not_accepted", "delivered", "withdrawn"}


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: str


TRANSITIONS = {t.name: t for t in [
    Transition("accept", "受理", frozenset({"submitted"}), "accepted"),
    Transition("reject", "不予受理", frozenset({"submitted"}), "not_accepted"),
    Transition("withdraw", "撤回", frozenset({"submitted"}), "withdrawn"),
    Transition("review", "开始审查", frozenset({"accepted"}), "reviewing"),
    Transition("forward", "报县级审批", frozenset({"accepted", "reviewing"}), "reviewing"),
    Transition("opinion", "出具并联审查意见", frozenset({"reviewing"}), "reviewing"),
    Transition("supplement", "要求补正", frozenset({"accepted", "reviewing"}), "supplement"),
    Transition("resubmit", "补正后重新提交", frozenset({"supplement"}), "accepted"),
    Transition("complete", "办结", frozenset({"accepted", "reviewing"}), "completed"),
    Transition("deliver", "送达", frozenset({"completed"}), "delivered"),
]}


class Case(db.Model):
    __tablename__ = "cases"
    # The staff queue reads open cases only, nearest deadline first (handling.queue): an index of
    # those alone stays small however many closed cases pile up (migration 0028).
    __table_args__ = (Index("ix_cases_open_queue", "township_id", "due_on", "submitted_at",
                            sqlite_where=text(OPEN_WHERE), postgresql_where=text(OPEN_WHERE)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    track_token: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    item_code: Mapped[str] = mapped_column(String(40), index=True)
    item_name: Mapped[str] = mapped_column(String(80))
    department: Mapped[str] = mapped_column(String(80), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(40))
    applicant_id_number: Mapped[str] = mapped_column(Sealed("cases.applicant_id_number"))
    applicant_phone: Mapped[str | None] = mapped_column(Sealed("cases.applicant_phone"))  # None: no phone, no SMS
    # Who submitted it: the applicant themself, or an agent, a kiosk … acting for them; an
    # agent under the resident's consent (代办), kept with the case.
    actor_kind: Mapped[str] = mapped_column(String(12), default="citizen")
    actor_id: Mapped[int | None] = mapped_column(Integer)
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"), index=True)
    # An organisation's case (法人): applied for by the person above acting for it (经办人); its
    # name and code as they were when it applied.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    organisation_name: Mapped[str | None] = mapped_column(String(100))
    organisation_uscc: Mapped[str | None] = mapped_column(String(18))
    # Of an item accepted and decided at given levels (Item.accepts/decides): where it is now —
    # "township" until forwarded, then "county"; None for items any of their staff handle.
    level: Mapped[str | None] = mapped_column(String(10), index=True)
    answers: Mapped[dict] = mapped_column(SealedJSON("cases.answers"))  # family members' ID numbers too
    status: Mapped[str] = mapped_column(String(20), index=True)
    decision: Mapped[str | None] = mapped_column(String(10))  # approved | denied
    promised_days: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    clock_started_on: Mapped[date | None] = mapped_column(Date)
    # Working days the clock has run: up to the last 补正 pause while open, in all once 办结.
    workdays_used: Mapped[int] = mapped_column(Integer, default=0)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    due_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_on: Mapped[date | None] = mapped_column(Date, index=True)  # China date of 办结 (or 不予受理, 撤回)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every event touches the case row, so the version changes with every event, even one
    # (a carrier's stage) that changes nothing else: pages cached per version never go stale.
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    events = relationship("CaseEvent", order_by="CaseEvent.id", lazy="selectin",
                          back_populates="case")
    __mapper_args__ = {"version_id_col": version}  # two staff acting at once: one wins

    @property
    def on_time(self) -> bool | None:
        return on_time(self.status, self.workdays_used, self.promised_days)

    @property
    def status_name(self) -> str:
        return status_name(self.status, self.decision)


def status_name(status: str, decision: str | None) -> str:
    if status == "completed":
        return "已办结（准予）" if decision == "approved" else "已办结（不予）"
    return STATUS_NAMES[status]


def on_time(status: str, workdays_used: int, promised_days: int) -> bool | None:
    """Whether it was done within the promised working days; None until 办结."""
    if status not in DONE:
        return None
    return workdays_used <= promised_days


class CaseEvent(db.Model):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    case = relationship("Case", back_populates="events")


def track_link(case: Case) -> str:
    return f"{registry().public_base_url}/t/{case.number}?k={case.track_token}"


def _record(case: Case, action: str, from_status: str | None, actor: Actor, note: str = "",
            data: dict | None = None, notify: bool = True) -> CaseEvent:
    data = dict(data or {})
    if actor.kind == "agent":  # the agent acts; the applicant stays the resident, under this consent
        data["mandate"] = actor.mandate_id
    if actor.organisation_role:  # a person acting for an organisation: as its 法定代表人 or 经办人
        data["organisation_role"] = actor.organisation_role
    event = CaseEvent(case=case, action=action, from_status=from_status, to_status=case.status,
                      actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name[:60],
                      note=note, data=data)
    db.session.add(event)
    db.session.flush()
    case.last_event_at = event.at  # bumps the case's version: see Case.last_event_at
    db.session.flush()
    if not notify:
        return event
    decision = {"approved": "准予", "denied": "不予"}.get(case.decision or "", "")
    due = f"{case.due_on:%Y年%-m月%-d日}" if case.due_on else ""
    # The resident hears of every step their agent takes for them, and by whom.
    by = f"（村代办员{actor.name}代办）" if actor.kind == "agent" else ""
    enqueue("sms", phone_told(case), message(f"case_{action}", case.number, item=case.item_name, number=case.number,
                                             link=track_link(case), note=note or "见详情", decision=decision, due=due,
                                             department=case.department, by=by),
            dedupe_key=f"case-event:{event.id}:sms")
    lead = registry().catalog.get(case.item_code).system
    for system in systems_of(registry().catalog, case.item_code):
        if system == actor.system:  # a department's own pushes need no echo
            continue
        key = f"case-event:{event.id}:department" + ("" if system == lead else f":{system}")
        enqueue("department", system, {"number": case.number, "action": action, "status": case.status,
                                       "note": note, "at": event.at.isoformat()}, dedupe_key=key)
    return event


def phone_told(case: Case) -> str | None:
    """Whose phone hears of a case's steps: the applicant's — of an organisation's case, the
    contact the organisation keeps (a 经办人 whose authority ended hears nothing more)."""
    if case.organisation_id is not None:
        from services.people.organisations import Organisation

        contact = db.session.get(Organisation, case.organisation_id).contact_phone
        return contact or case.applicant_phone
    return case.applicant_phone


def systems_of(catalog, item_code: str) -> list[str]:
    """The department systems told of a case's events: its item's, then those of the departments
    reviewing it in parallel (并联审批)."""
    item = catalog.get(item_code)
    parallel = sorted({i.system for i in catalog.items if i.system and i.department in item.parallel} - {item.system})
    return ([item.system] if item.system else []) + parallel


def submit_case(item: Item, applicant: Person, answers: dict, idempotency_key: str,
                township_id: int | None = None, actor: Actor | None = None,
                today: date | None = None, before_commit=None, organisation=None) -> Case:
    """Create the case once per idempotency key: a double tap or a retry returns the first. An
    organisation's case (法人) names it beside the person who applied for it (经办人)."""
    if item.kind != "apply":
        raise DomainError("这个事项不需要提交申请")
    if not applicant.is_verified:
        raise DomainError("请先完成实名认证")
    if not idempotency_key or len(idempotency_key) > 64:
        raise DomainError("页面已过期，请返回重新提交")
    existing = case_by_key(idempotency_key)
    if existing is not None:
        return existing
    now = utcnow()
    actor = actor or citizen(applicant)
    case = Case(number=next_case_number(today or china_today()),
                track_token=secrets.token_urlsafe(32), idempotency_key=idempotency_key,
                item_code=item.code, item_name=item.name, department=item.department,
                township_id=township_id, applicant_id=applicant.id,
                applicant_name=applicant.name, applicant_id_number=applicant.id_number,
                applicant_phone=applicant.phone, answers=answers, status="submitted",
                promised_days=item.promised_days, submitted_at=now, actor_kind=actor.kind,
                level=item.accepts if item.accepts == "county" or township_id else None,
                actor_id=actor.id, mandate_id=actor.mandate_id if actor.kind == "agent" else None,
                organisation_id=organisation.id if organisation else None,
                organisation_name=organisation.name if organisation else None,
                organisation_uscc=organisation.uscc if organisation else None)
    db.session.add(case)
    try:
        db.session.flush()
        _record(case, "submit", None, actor)
        if before_commit:
            before_commit(case)  # e.g. materials and the draft join the case in this transaction
        db.session.commit()
    except IntegrityError:  # the same key won a race in another request
        db.session.rollback()
        existing = case_by_key(idempotency_key)
        if existing is None:
            raise
        return existing
    return case


def case_by_key(idempotency_key: str) -> Case | None:
    return db.session.scalar(select(Case).where(Case.idempotency_key == idempotency_key))


# Loader options for pages that show none of a case's sealed values (personal data): they are
# neither loaded nor opened, and reading one raises.
NOTHING_SEALED = tuple(defer(column, raiseload=True)
                       for column in (Case.applicant_id_number, Case.applicant_phone, Case.answers))


def get_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("没有找到这个办件")
    return case


def _transition(case: Case, name: str, actor: Actor, note: str = "", data: dict | None = None,
                today: date | None = None, calendar: WorkCalendar | None = None) -> CaseEvent:
    transition = TRANSITIONS[name]
    if case.status not in transition.sources:
        raise IllegalTransition(f"该办件当前状态为“{case.status_name}”，不能{transition.label}")
    today = today or china_today()
    calendar = calendar or load_calendar()
    before = case.status
    if name == "accept":
        case.accepted_on = today
        _start_clock(case, today, calendar)
    elif name == "supplement":
        case.workdays_used += calendar.workdays_between(case.clock_started_on, today)
        case.due_on = None
        if case.level == "county" and registry().catalog.get(case.item_code).forwarded:
            case.level = "township"  # back to the township, which collects what is missing and forwards again
    elif name == "forward":
        case.level = "county"
    elif name == "resubmit":
        _start_clock(case, today, calendar)
    elif name in ("complete", "reject", "withdraw"):
        case.completed_at, case.completed_on = utcnow(), today
        if name == "complete":
            case.decision = data["decision"]
            case.workdays_used += calendar.workdays_between(case.clock_started_on, today)
    elif name == "deliver":
        case.delivered_at = utcnow()
    case.status = transition.target
    return _record(case, name, before, actor, note, data)


def _start_clock(case: Case, today: date, calendar: WorkCalendar) -> None:
    case.clock_started_on = today
    left = max(case.promised_days - case.workdays_used, 0)
    case.due_on, case.due_estimated = calendar.add_workdays(today, left)


# What staff and department systems may do; withdraw and resubmit are the applicant's side.
HANDLING = ("accept", "reject", "review", "forward", "opinion", "supplement", "complete", "deliver")
DELIVERY_METHODS = {"window": "窗口领取", "post": "邮寄", "electronic": "电子结果"}


def check_transition(case: Case, name: str) -> None:
    if name not in TRANSITIONS:
        raise InvalidInput("未知的操作", field="action")
    if case.status not in TRANSITIONS[name].sources:
        raise IllegalTransition(f"该办件当前状态为“{case.status_name}”，不能{TRANSITIONS[name].label}")
    _check_level(case, name)


def _check_level(case: Case, name: str) -> None:
    """Forwarded only from the township, of items decided at the county; decided only at the
    level that decides."""
    item = registry().catalog.get(case.item_code)
    if case.level is None and item.accepts:  # made before levels existed: it goes on as it began
        item = item.model_copy(update={"accepts": None, "decides": None})
    if name == "forward" and not (item.forwarded and case.level == "township"):
        raise IllegalTransition("这个办件已在县级审批" if case.level == "county" else "这个事项不需要报县级审批")
    if name == "complete" and item.decides and case.level != item.decides:
        raise IllegalTransition(f"这个事项由{item.department}审批：请先报县级审批")
    if name == "opinion" and not item.parallel:
        raise IllegalTransition("这个事项不需要并联审查")
    if name == "complete" and item.parallel:
        from services.cases.parallel import check_complete

        check_complete(case, item)


def act(case: Case, name: str, actor: Actor, note: str = "", data: dict | None = None,
        today: date | None = None, commit: bool = True) -> CaseEvent:
    """Apply one transition, after the same checks whoever asks (a clerk, a department system,
    the applicant), and commit — with whatever the caller added to the same transaction (a
    result file, a shipment, a department's request id). The version column refuses a stale
    concurrent change; nothing of the transaction is kept then."""
    check_transition(case, name)
    note = inputs.text(note, 500, field="note", multiline=True)
    sent = data if isinstance(data, dict) else {}
    data = _checked(case, name, note, sent)
    if name == "opinion":  # of the actor's department, once
        from services.cases.parallel import check_opinion, opinion_note

        data = check_opinion(case, registry().catalog.get(case.item_code), actor.department, note, sent)
        note = opinion_note(data, note)
    if name == "supplement" and not note:
        from services.cases.supplements import default_note

        note = default_note(registry().catalog.get(case.item_code), data["materials"])
    try:
        event = _transition(case, name, actor, note, data, today)
        if commit:
            db.session.commit()
    except StaleDataError:  # raised at flush or commit, whichever writes the row
        db.session.rollback()
        raise IllegalTransition("这个办件刚被其他人处理过，请刷新页面后再操作")
    return event


def _checked(case: Case, name: str, note: str, data: dict) -> dict:
    """The data a transition carries, checked; nothing else a caller sent is kept."""
    if name == "reject" and not note:
        raise InvalidInput("请写明不予受理的原因", field="note")
    if name == "supplement":
        from services.cases.supplements import check_request

        return {"materials": check_request(registry().catalog.get(case.item_code), data.get("materials"))}
    if name == "complete":
        decision = data.get("decision")
        if decision not in ("approved", "denied"):
            raise InvalidInput("请选择准予或不予", field="decision")
        if decision == "denied" and not note:
            raise InvalidInput("不予办理须写明理由", field="note")
        return {"decision": decision}
    if name == "deliver":
        return check_handover(case, data)
    return {}


def check_handover(case: Case, data: dict) -> dict:
    """How the result went back: a method the item allows, with what that method needs — a
    tracking number for post, the result file (already on the case) for electronic."""
    method = check_method(case, data.get("method"))
    if method == "post":
        return {"method": method, "tracking_number": check_tracking_number(data.get("tracking_number"))}
    if method == "electronic":
        from services.cases.materials import RESULT, Upload

        key = data.get("file")
        upload = (db.session.scalar(select(Upload).where(Upload.key == key, Upload.case_id == case.id,
                                                         Upload.material_key == RESULT))
                  if isinstance(key, str) and len(key) <= 64 else None)
        if upload is None:
            raise InvalidInput("请上传电子结果文件（PDF 或图片）", field="result")
        return {"method": method, "file": upload.key}
    return {"method": method}


def check_method(case: Case, method) -> str:
    if method not in DELIVERY_METHODS:
        raise InvalidInput("请选择送达方式", field="method")
    if method not in registry().catalog.get(case.item_code).delivery:
        raise InvalidInput(f"这个事项不能{DELIVERY_METHODS[method]}", field="method")
    return method


def check_tracking_number(raw) -> str:
    value = inputs.text_of(raw, "tracking_number").strip().upper()
    if not (value.isascii() and value.isalnum() and 8 <= len(value) <= 30):
        raise InvalidInput("请填写快递单号（8–30 位字母或数字）", field="tracking_number")
    return value


def remaining_workdays(case: Case, today: date, calendar: WorkCalendar) -> int | None:
    """Working days left before the deadline; negative when overdue; None when no clock runs."""
    if case.status not in OPEN_CLOCK or case.clock_started_on is None:
        return None
    used = case.workdays_used + calendar.workdays_between(case.clock_started_on, today)
    return case.promised_days - used


def recompute_open_deadlines(calendar: WorkCalendar | None = None) -> int:
    """After an administrator loads a year's arrangement: move every running deadline."""
    calendar = calendar or load_calendar()
    changed = 0
    for case in db.session.scalars(select(Case).where(Case.status.in_(OPEN_CLOCK))):
        before = (case.due_on, case.due_estimated)
        _start_clock(case, case.clock_started_on, calendar)
        changed += (case.due_on, case.due_estimated) != before
    return changed


def record_receipt(case: Case, actor: Actor) -> CaseEvent:
    """A department system acknowledges it has the case (签收): on the timeline once, status unchanged,
    nobody messaged; not committed (the caller's request id joins the transaction)."""
    earlier = next((e for e in case.events if e.action == "acknowledge" and e.actor_name == actor.name[:60]), None)
    return earlier or _record(case, "acknowledge", case.status, actor, f"{actor.name}已接收", notify=False)


def record_logistics(case_id: int, actor: Actor, note: str, notify: bool) -> CaseEvent:
    """A carrier's progress on a posted result: on the timeline, status unchanged."""
    case = get_case(case_id)
    return _record(case, "logistics", case.status, actor, note, notify=notify)
