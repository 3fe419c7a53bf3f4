"""The department side of the closed loop: a department system pulls its new cases and pushes
status and results back. A pushed result becomes an event on the case and notifies the
applicant exactly as a staff action does. Each push carries a request id: a retry is answered
with the first answer and changes nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.audit import record
from services.cases.handling import case_for, takes
from services.cases.lifecycle import (
    HANDLING,
    TRANSITIONS,
    Case,
    act,
    check_transition,
    record_receipt,
)
from services.cases.materials import RESULT, discard, store_files
from services.clock import aware, utcnow
from services.errors import DomainError, IllegalTransition
from services.people.actors import (
    department,
    may_act,
    system_departments_of,
    visible_cases,
)
from services.registry import registry


class ExchangeRequest(db.Model):
    __tablename__ = "exchange_requests"
    __table_args__ = (UniqueConstraint("system", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(12))
    request_id: Mapped[str] = mapped_column(String(64))
    answer: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def system_departments() -> dict[str, str]:
    """Each department system and the department its first catalog item names: how the console shows it."""
    return {i.system: i.department for i in reversed(registry().catalog.items) if i.system}


def system_actor(system: str, case: Case | None = None):
    """A department system as an actor, speaking for its department: on a case, the one that
    decides it or, of a department reviewing it in parallel, that one (its opinion is that
    department's); otherwise the first of its departments."""
    names = system_departments_of(system)
    if case is not None:
        item = registry().catalog.get(case.item_code)
        named = [d for d in (item.department, *item.parallel) if d in names]
        if named:
            return department(named[0], system)
    return department(min(names) if names else system, system)


def new_cases(system: str, after: int, limit: int = 50) -> tuple[list[dict], int]:
    """Cases of this department's items with an id above `after`, oldest first."""
    rows = list(db.session.scalars(visible_cases(system_actor(system)).where(Case.id > after)
                                   .order_by(Case.id).limit(max(1, min(limit, 200)))))
    record("department", None, f"{system} 业务系统", "exchange_pull", f"system:{system}", {"count": len(rows)})
    cases = [{
        "id": c.id, "number": c.number, "item_code": c.item_code, "item_name": c.item_name,
        "status": c.status, "submitted_at": aware(c.submitted_at).isoformat(), "township_id": c.township_id,
        "applicant": {"name": c.applicant_name, "id_number": c.applicant_id_number, "phone": c.applicant_phone},
        "organisation": {"name": c.organisation_name, "uscc": c.organisation_uscc} if c.organisation_id else None,
        "answers": c.answers,
    } for c in rows]
    return cases, (rows[-1].id if rows else after)


ACKNOWLEDGE = "acknowledge"  # 签收, beside the transitions of HANDLING


def push_event(system: str, number: str, request_id: str, action: str, note: str = "",
               data: dict | None = None, result: tuple[str, bytes] | None = None) -> dict:
    """A department's status or result, through exactly the rules a clerk's action goes through
    (cases.lifecycle.act); a retry with the same request id gets the first answer and changes nothing."""
    seen = _answered(system, request_id)
    if seen is not None:
        return seen
    case = case_for(system_actor(system), number=number)  # the same rule as everywhere: may this actor see it
    actor = system_actor(system, case)
    if action == ACKNOWLEDGE:  # 签收: the department has it; nothing else changes
        event = record_receipt(case, actor)
        return _answer(system, request_id, {"number": case.number, "status": case.status, "event_id": event.id,
                                            "label": "部门系统已接收"})
    if not may_act(actor, case):
        raise IllegalTransition("这个办件还在乡镇办理，县级部门系统现在不能操作")
    if action not in HANDLING:
        raise DomainError(f"不支持的操作：{action}", field="action")
    if not takes(actor, case, action):
        raise IllegalTransition("并联审查的部门只能出具审查意见或要求补正；审查意见只由并联审查的部门出具")
    data, stored = dict(data or {}), []
    # The event, its result file and the request id are one transaction: a retry finds all or none.
    try:
        if action == "deliver" and data.get("method") == "electronic" and result is not None:
            check_transition(case, action)
            stored = store_files(registry().storage, [result], case.applicant_id, RESULT, actor, case_id=case.id,
                                 commit=False)
            data["file"] = stored[0].key
        event = act(case, action, actor, note=note or _DELIVERED.get(data.get("method"), ""), data=data,
                    commit=False)
    except DomainError as exc:
        db.session.rollback()
        discard(registry().storage, stored)
        won = _answered(system, request_id) if isinstance(exc, IllegalTransition) else None
        if won is None:  # unless this very request, sent twice at once, went through first
            raise
        return won
    return _answer(system, request_id, {"number": case.number, "status": case.status, "event_id": event.id,
                                        "label": TRANSITIONS[action].label})


def _answer(system: str, request_id: str, answer: dict) -> dict:
    """Commit the change with its request id, so that a retry gets this answer and changes nothing."""
    db.session.add(ExchangeRequest(system=system, request_id=request_id, answer=answer))
    try:
        db.session.commit()
    except IntegrityError:  # the same request id raced in and won: its answer stands, ours is undone
        db.session.rollback()
        won = _answered(system, request_id)
        if won is None:
            raise
        return won
    return answer


_DELIVERED = {"electronic": "电子结果已发放，可在“我的办件”查看", "window": "请持身份证到窗口领取"}


def _answered(system: str, request_id: str) -> dict | None:
    return db.session.scalar(select(ExchangeRequest.answer).where(ExchangeRequest.system == system,
                                                                  ExchangeRequest.request_id == request_id))
