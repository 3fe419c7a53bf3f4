"""Handling cases (窗口、部门): the queue, opening a case (audit-logged), the actions staff may
take now, the notices that print, and handing over the result (送达). The office front end —
and any other a county adds — parses input and calls these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from extensions import db
from services import audit, inputs
from services.cases.lifecycle import (
    DELIVERY_METHODS,
    HANDLING,
    NOTHING_SEALED,
    OPEN_WHERE,
    STATUS_NAMES,
    TRANSITIONS,
    Case,
    CaseEvent,
    act,
    check_method,
    check_tracking_number,
    check_transition,
    recompute_open_deadlines,
    remaining_workdays,
)
from services.cases.materials import RESULT, check_kept, discard, file_for, store_files
from services.clock import today as china_today
from services.errors import DomainError, IllegalTransition, NotFound
from services.inputs import InvalidInput
from services.logistics import ADDRESS_FIELDS, check_address, ship
from services.people.actors import (
    Actor,
    may_act,
    may_see,
    person_of,
    visible_cases,
    waiting_for,
)
from services.registry import registry
from services.workdays import CalendarYear, load_calendar, store_arrangement

NOTICES = {"accept": "受理通知书", "supplement": "补正材料通知书", "reject": "不予受理通知书"}
DELIVERY = DELIVERY_METHODS
QUEUE_PAGE = 50  # rows a page: a screen or two, and each row's working days are counted


@dataclass(frozen=True)
class QueuePage:
    rows: list  # (case, working days left)
    page: int
    total: int

    @property
    def more(self) -> bool:
        return self.page * QUEUE_PAGE < self.total


def queue(actor: Actor, status: str = "open", item_code: str = "", today: date | None = None,
          page: int = 1) -> QueuePage:
    """One page of (case, working days left) for what this actor may see, nearest deadline first
    (the deadline orders the SQL too: the overdue are on the first page however many are open);
    on a page, cases with no deadline running (not yet accepted, 补正 paused) after the others."""
    query = visible_cases(actor)
    # The statuses written into the SQL, not sent as parameters: only then may SQLite (and a
    # PostgreSQL generic plan) use the index of open cases (ix_cases_open_queue, OPEN_WHERE).
    if status in STATUS_NAMES:
        query = query.where(Case.status == bindparam("status", status, literal_execute=True))
    else:  # what is open and waiting for this unit (a township's cases at the county are the county's)
        query = waiting_for(actor, query.where(text(OPEN_WHERE)))
    if item_code:
        query = query.where(Case.item_code == inputs.text_of(item_code)[:40])
    total = db.session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True)) or 0
    page = max(1, min(page, -(-total // QUEUE_PAGE) or 1))  # past the end: the last page
    # Neither the events nor anything sealed is shown here: never loaded, never opened (a row's
    # three sealed values cost more to open than the rest of it to read).
    query = query.order_by(Case.due_on.asc().nulls_last(), Case.submitted_at, Case.id).options(
        lazyload(Case.events), *NOTHING_SEALED)
    cases = list(db.session.scalars(query.limit(QUEUE_PAGE).offset((page - 1) * QUEUE_PAGE)))
    calendar, now = load_calendar(), today or china_today()
    rows = [(c, remaining_workdays(c, now, calendar)) for c in cases]
    rows.sort(key=lambda r: (r[1] is None, r[1] if r[1] is not None else 0, r[0].submitted_at))
    return QueuePage(rows, page, total)


def case_for(actor: Actor, case_id=None, number=None) -> Case:
    """The case, if this actor may see it; the same answer whether it exists or not."""
    case = None
    if inputs.is_row_id(case_id):
        case = db.session.get(Case, case_id)
    elif inputs.is_key(number, 20):
        case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None or not may_see(actor, case):
        raise NotFound("没有找到这个办件，或不在您的办理范围内")
    return case


def open_case(actor: Actor, case_id, ip: str = "", reveal: bool = False) -> Case:
    """A case as staff read it: every read of personal data is in the audit log."""
    case = case_for(actor, case_id)
    audit.record(actor.kind, actor.id, actor.name, "reveal_id" if reveal else "view_case",
                 f"case:{case.number}", ip=ip)
    return case


def file_for_actor(actor: Actor, key: str, ip: str = ""):
    """An uploaded file, if this actor may see it: the applicant their own (drafts too); anyone
    else only files of a case they may see, and that read is audit-logged."""
    upload = file_for(key)
    if upload is not None and actor.kind in ("citizen", "kiosk"):
        if upload.case_id is not None:  # a case's file: whoever may see the case (an organisation's people)
            case = db.session.get(Case, upload.case_id)
            if may_see(actor, case):
                check_kept(upload)  # before the read is logged: a deleted file is read by nobody
                if upload.owner_id != person_of(actor):  # a colleague's upload (an ID card scan): logged
                    audit.record(actor.kind, actor.id, actor.name, "view_file", f"case:{case.number}",
                                 {"file": upload.key}, ip=ip)
                return upload
        elif upload.owner_id == person_of(actor) and _drafted_for(upload, actor):
            return upload
    elif upload is not None and actor.kind == "agent" and upload.case_id is None:
        from services.cases.drafts import Draft
        from services.people.consent import covers_item

        draft = db.session.get(Draft, upload.draft_id) if upload.draft_id is not None else None
        if draft is not None and upload.owner_id == person_of(actor) and upload.actor_kind == "agent" and \
                upload.actor_id == actor.id and covers_item(actor, draft.item_code):
            return upload  # a draft's file the agent uploaded themself, of an item the consent covers
    elif upload is not None and upload.case_id is not None:
        case = case_for(actor, upload.case_id)
        check_kept(upload)
        audit.record(actor.kind, actor.id, actor.name, "view_file", f"case:{case.number}", {"file": upload.key}, ip=ip)
        return upload
    raise NotFound("没有找到这个文件")


def _drafted_for(upload, actor: Actor) -> bool:
    """A draft's file, while acting for whom the draft is: oneself, or the same organisation."""
    from services.cases.drafts import Draft

    draft = db.session.get(Draft, upload.draft_id) if upload.draft_id is not None else None
    return draft is None or draft.organisation_id == actor.organisation_id


def allowed_actions(case: Case, actor: Actor | None = None) -> list:
    """The actions offered on the case's page: legal now, at the case's level, for this actor."""
    if actor is not None and not may_act(actor, case):
        return []
    allowed = []
    for name in HANDLING:
        if actor is not None and not takes(actor, case, name):
            continue
        try:
            check_transition(case, name)
        except DomainError:
            continue
        allowed.append(TRANSITIONS[name])
    return allowed


def takes(actor: Actor, case: Case, name: str) -> bool:
    """A department reviewing in parallel — its staff or its system — gives its opinion (or asks
    for 补正); the rest is the deciding department's. An opinion is only ever a parallel department's."""
    parallel = (actor.kind == "staff" and actor.role == "reviewer" or actor.kind == "department") \
        and actor.department != case.department
    return name in ("opinion", "supplement") if parallel else name != "opinion"


def printable_notices(case: Case) -> dict[str, str]:
    done = {e.action for e in case.events}
    return {kind: title for kind, title in NOTICES.items() if kind in done}


def notice_event(case: Case, kind: str) -> CaseEvent:
    if kind not in NOTICES:
        raise NotFound("没有这种通知书")
    event = next((e for e in reversed(case.events) if e.action == kind), None)
    if event is None:
        raise NotFound("这个办件还没有这项操作，不能打印该通知书")
    return event


def default_address(case: Case) -> dict[str, str]:
    """What the 一键物流 form starts with: the county, and the applicant as recipient."""
    return {"province": "甘肃省", "city": "庆阳市", "county": "镇原县", "recipient": case.applicant_name}


def load_year(actor: Actor, year: int, arrangement: str, source: str, ip: str = "") -> tuple[int, int]:
    """An administrator loads a year's official holiday arrangement: stored, every running
    deadline recomputed, audit-logged — all or nothing. Returns (days stored, deadlines moved)."""
    try:
        days = store_arrangement(year, arrangement, source, actor.name)
        moved = recompute_open_deadlines(load_calendar())
        audit.record(actor.kind, actor.id, actor.name, "load_calendar", f"year:{year}",
                     {"days": days, "deadlines_moved": moved}, ip=ip, commit=False)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return days, moved


def loaded_years():
    return list(db.session.scalars(select(CalendarYear).order_by(CalendarYear.year)))


@dataclass(frozen=True)
class Handover:
    """How a result goes back: at the window, by post (a carrier order or a slip number), or
    as an electronic file."""
    method: str
    tracking_number: str = ""
    address: dict | None = None
    result: tuple[str, bytes] | None = None


def handle(actor: Actor, case: Case, name: str, note: str = "", decision: str = "",
           materials: list | None = None, handover: Handover | None = None, ip: str = "") -> CaseEvent:
    """One staff action on a case, with everything it needs checked, then audit-logged. A result
    file or a carrier's shipment joins the transition's transaction: all of it, or none."""
    if name not in HANDLING:
        raise NotFound("没有这个操作")
    if not may_act(actor, case):
        where = {"county": "县级部门", "township": "乡镇"}.get(case.level or "", "其他单位")
        raise IllegalTransition(f"这个办件现在由{where}办理，您可以查看，不能操作")
    if not takes(actor, case, name):
        raise IllegalTransition("并联审查部门只能出具审查意见或要求补正，决定由牵头部门作出")
    check_transition(case, name)  # before anything is stored or a carrier is called
    data: dict = {"materials": materials or []} if name == "supplement" else {"decision": decision}
    stored: list = []
    try:
        if name == "deliver":
            # Two clerks at once: the second waits here (PostgreSQL) and then finds it delivered,
            # before it orders a second carrier pick-up.
            db.session.refresh(case, with_for_update=True)
            check_transition(case, name)
            note, data, stored = _handover(actor, case, inputs.text(note, 500, field="note", multiline=True),
                                           handover or Handover(""))
        event = act(case, name, actor, note=note, data=data)
    except (DomainError, IntegrityError) as exc:
        db.session.rollback()
        discard(registry().storage, stored)
        if isinstance(exc, IntegrityError):  # SQLite: the other clerk's shipment got there first
            raise IllegalTransition("这个办件刚被其他人处理过，请刷新页面后再操作")
        raise
    audit.record(actor.kind, actor.id, actor.name, "case_action", f"case:{case.number}", {"action": name}, ip=ip)
    return event


def _handover(actor: Actor, case: Case, note: str, handover: Handover) -> tuple[str, dict, list]:
    """The note and data of a 送达, and any file stored for it (not yet committed)."""
    method = check_method(case, handover.method)
    if method == "post":
        if handover.tracking_number:  # posted by hand at the window: the number from the slip
            tracking = check_tracking_number(handover.tracking_number)
            return f"已邮寄，快递单号 {tracking}", {"method": method, "tracking_number": tracking}, []
        carrier = registry().carrier  # 一键物流: the carrier collects it
        shipment = ship(carrier, case, check_address(handover.address or {}))
        return (f"已交{carrier.name}邮寄，单号 {shipment.tracking_number}",
                {"method": method, "tracking_number": shipment.tracking_number}, [])
    if method == "electronic":
        if not handover.result:
            raise InvalidInput("请上传电子结果文件（PDF 或图片）", field="result")
        stored = store_files(registry().storage, [handover.result], case.applicant_id, RESULT, actor,
                             case_id=case.id, commit=False)
        return "电子结果已发放，可在“我的办件”查看", {"method": method, "file": stored[0].key}, stored
    return note or "请持身份证到窗口领取", {"method": method}, []


__all__ = ["ADDRESS_FIELDS", "DELIVERY", "Handover", "NOTICES", "allowed_actions", "case_for", "default_address",
           "file_for_actor", "handle", "notice_event", "open_case", "printable_notices", "queue"]
