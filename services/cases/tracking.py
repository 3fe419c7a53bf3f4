"""Progress (办事进度): the timeline built from a case's events, and the lookups that find a
case for someone who is not signed in: the receipt's QR token, or number + last 4 digits."""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from extensions import db
from services import attempts, hot_reads, inputs
from services.cases.lifecycle import NOTHING_SEALED, Case, CaseEvent
from services.cases.numbers import normalise_case_number
from services.errors import DomainError, NotFound, TooManyTries
from services.people.actors import KINDS, Actor, visible_cases
from services.people.identity import mask_name
from services.places import Township

ACTION_TEXT = {
    "submit": "提交申请", "accept": "已受理", "reject": "不予受理", "withdraw": "申请人撤回",
    "review": "开始审查", "forward": "乡镇初审完成，报县级审批", "opinion": "并联审查意见", "acknowledge": "部门业务系统已接收", "supplement": "需要补正材料", "resubmit": "补正材料已提交",
    "complete": "办结", "deliver": "结果已送达", "logistics": "邮寄进度",
}


@dataclass(frozen=True)
class Step:
    at: datetime
    title: str
    who: str
    note: str


def timeline(case: Case, public: bool) -> list[Step]:
    """Newest last. In public views people are masked: 张* for the applicant, roles for staff."""
    steps = []
    for event in case.events:
        title = ACTION_TEXT[event.action]
        if event.action == "complete":
            title = "办结：准予" if case.decision == "approved" else "办结：不予"
        if event.actor_kind == "citizen" and (event.data or {}).get("organisation_role"):
            role = event.data["organisation_role"]  # for an organisation: its 法定代表人 or 经办人
            who = f"{role} {mask_name(event.actor_name)}" if public else f"{role} {event.actor_name}"
        elif event.actor_kind == "citizen":
            who = f"申请人 {mask_name(event.actor_name)}" if public else f"申请人 {event.actor_name}"
        elif event.actor_kind == "agent":  # 代办: the resident's agent, named to the resident and staff
            who = KINDS["agent"] if public else f"代办员 {event.actor_name}"
        else:
            who = KINDS.get(event.actor_kind, "") if public else event.actor_name
        steps.append(Step(event.at, title, who, event.note))
    return steps


_cases = Case.__table__.c
# Built once: constructing a statement costs more than running it; read by services.hot_reads,
# since this runs on every scan of a receipt.
_VERSION = select(_cases.id, _cases.version, _cases.track_token).where(_cases.number == bindparam("number"))


def version_by_token(number: str, token: str) -> tuple[int, int]:
    """(case id, version) for the QR link, in one indexed query of three columns. The version
    changes with every event, so a page rendered for it stays right until the next one."""
    if not inputs.is_key(number, 20):
        raise NotFound("没有找到这个办件，请核对回执上的二维码或编号")
    row = hot_reads.one_row(_VERSION, {"number": number})  # every scan of a receipt: the lean path
    if row is None or not hmac.compare_digest(row[2].encode(), (token or "").encode()):
        raise NotFound("没有找到这个办件，请核对回执上的二维码或编号")
    return row[0], row[1]


@dataclass(frozen=True)
class PublicProgress:
    case: Case
    steps: list[Step]
    township: str


_PUBLIC = (select(Case, Township.name).outerjoin(Township, Township.id == Case.township_id)
           .options(joinedload(Case.events), *NOTHING_SEALED).where(Case.id == bindparam("case_id")))


def public_progress(case_id: int) -> PublicProgress:
    """What the public progress page shows of a case, in one query where the ORM's own loading
    would take three (the case, its events, its township's name): each first view of a case
    pays for every one of them. Nothing sealed is loaded, nor opened (NOTHING_SEALED)."""
    with hot_reads.reading() as session:  # each first view of a case: no transaction around it
        row = session.execute(_PUBLIC, {"case_id": case_id}).unique().first()
        if row is None:
            raise NotFound("没有找到这个办件，请核对回执上的二维码或编号")
        case, township = row
        return PublicProgress(case, timeline(case, public=True), township or "")


# Per requester (an address, a kiosk), never per case: a stranger's guesses cannot lock the
# villager out, and the right answer always works for someone who has not been guessing.
LOOKUP_LIMITS = ((10, timedelta(minutes=10)), (5, timedelta(hours=1)))
TOO_MANY = "输错次数太多，请过一会儿再试；也可以扫回执上的二维码，或拨打 12345"


def lookup(raw_number, last4, requester: str) -> Case:
    """A case by number + last 4 digits of the applicant's ID or phone, with wrong tries counted."""
    number = normalise_case_number(inputs.text_of(raw_number, "case_number"))
    (per_requester, window), (per_case, case_window) = attempts.for_requester(LOOKUP_LIMITS[0], requester), LOOKUP_LIMITS[1]
    taken = attempts.take([(f"track:{requester}", per_requester, window),
                           (f"track:{requester}:{number}", per_case, case_window)])
    if taken is None:
        raise TooManyTries(TOO_MANY, field="last4")
    case = by_number_and_last4(number, last4)  # a wrong answer raises, and its try stays counted
    attempts.give_back(taken)
    return case


def by_number_and_last4(raw_number: str, last4) -> Case:
    number = normalise_case_number(raw_number)
    last4 = inputs.last4(last4)
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None or not (hmac.compare_digest(case.applicant_id_number[-4:], last4)
                            | hmac.compare_digest((case.applicant_phone or "")[-4:] or "-", last4)):
        raise DomainError("办件编号和后 4 位对不上，请核对回执和身份证", field="last4")
    return case


def cases_of(actor: Actor) -> list[Case]:
    return list(db.session.scalars(visible_cases(actor).order_by(Case.submitted_at.desc()).limit(200)))


def supplement_request(case: Case) -> CaseEvent | None:
    """The open 补正 request: its note and the materials it names, all at once."""
    if case.status != "supplement":
        return None
    return next((e for e in reversed(case.events) if e.action == "supplement"), None)


@dataclass(frozen=True)
class Scan:
    """What a code scanned at a kiosk points to: a case's tracking link (number and key), a bare
    case number (a receipt's barcode: the last 4 digits are still asked), or a booking code."""
    kind: str  # "case", "number" or "booking"
    number: str = ""
    key: str = ""


def read_scan(raw) -> Scan:
    """A scanner types what it reads and Enter: a receipt's QR (…/t/<number>?k=<key>), its
    Code128 (the case number) or a booking's QR (its code)."""
    text = inputs.text(raw, 300, field="scan").strip()
    link = re.search(r"/t/([A-Za-z0-9]{1,20})\?k=([A-Za-z0-9_-]{1,64})$", text)
    if link:
        return Scan("case", link.group(1).upper(), link.group(2))
    try:
        return Scan("number", normalise_case_number(text, field="scan"))
    except DomainError:
        pass
    if inputs.is_key(text, 32, "-_") and len(text) >= 16:
        return Scan("booking", key=text)
    raise inputs.InvalidInput("没有认出这个码。请扫回执或预约单上的二维码，或点“输入办件编号”", field="scan")
