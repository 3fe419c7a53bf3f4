"""A resident's consent (委托) to a village agent: for one item or for every item an agent may do,
for a few months. Given by an SMS code the resident reads back, or — with no phone — by a
signature drawn on the screen and a photo of the signed 授权委托书, confirmed by a second person
of the village. A mandate in force is the only thing that lets an agent see or do anything of a
resident's; withdrawing it ends that at once.

    pending --code read back--------------------------------> active --withdraw--> withdrawn
    pending --signature + letter--> confirming --confirm-----> active
                                               --refuse------> refused
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    and_,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import attempts, audit, inputs
from services.cases.materials import Upload, store_files
from services.catalog import Item
from services.clock import add_months, aware, utcnow
from services.clock import today as china_today
from services.errors import DomainError, NotFound, TooManyTries
from services.outbox import enqueue
from services.people.actors import Actor
from services.people.identity import (
    Person,
    mask_id_number,
    mask_phone,
    resident_for_agent,
)
from services.registry import registry
from services.sealing import Sealed
from services.sms import message

STATUS_NAMES = {"pending": "等待本人念出验证码", "confirming": "等待村里第二人确认", "active": "有效",
                "withdrawn": "已撤销", "refused": "未通过确认"}
METHOD_NAMES = {"sms": "本人手机短信验证码", "paper": "手写签名和纸质授权委托书，村里第二人确认"}
MONTHS = (1, 3, 6, 12)  # how long a consent may last
CODE_TTL = timedelta(minutes=10)  # the resident reads it out while the agent waits
MAX_WRONG = 5
SENDS_PER_AGENT = (20, timedelta(hours=1))
SENDS_PER_PHONE = ((1, timedelta(minutes=1)), (3, timedelta(hours=1)))
WRONG_PER_AGENT = (10, timedelta(minutes=10))
SIGNATURE, LETTER = "_consent_signature", "_consent_letter"  # never a catalog material key


class Mandate(db.Model):
    __tablename__ = "mandates"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)  # the resident
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    item_code: Mapped[str | None] = mapped_column(String(40))  # None: every item an agent may do
    valid_until: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(8))  # sms | paper
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    phone: Mapped[str | None] = mapped_column(Sealed("mandates.phone"))  # where the code went
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    code_wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    signature_key: Mapped[str | None] = mapped_column(String(64))
    letter_key: Mapped[str | None] = mapped_column(String(64))
    confirmed_by_id: Mapped[int | None] = mapped_column(Integer)  # the second person (an agent account)
    confirmed_by_name: Mapped[str] = mapped_column(String(60), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refused_reason: Mapped[str] = mapped_column(String(200), default="")
    granted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def status_name(self) -> str:
        if self.status == "active" and self.valid_until < china_today():
            return "已到期"
        if self.status == "pending" and self.method == "paper":
            return "等待签名和授权委托书"
        return STATUS_NAMES[self.status]

    @property
    def scope_name(self) -> str:
        return registry().catalog.get(self.item_code).name if self.item_code else "全部可代办事项"

    @property
    def in_force(self) -> bool:
        return self.status == "active" and self.valid_until >= china_today()

    @property
    def being_given(self) -> bool:
        """Asked and not yet in force: waiting for the code, the evidence or the second person."""
        return self.status in ("pending", "confirming")

    def covers(self, item_code: str) -> bool:
        """The consent names no item (every item an agent may do), or this one."""
        return self.item_code in (None, item_code)


def by_agent(item: Item) -> Item:
    """The item, if the catalog lets a village agent do it for a resident (Item.by_agent)."""
    if not item.by_agent:
        raise NotFound("这个事项不能由代办员代办，请本人办理或到窗口办理")
    return item


def _hash(mandate_id: int, code: str) -> str:
    key = registry().secret_key.encode()
    return hmac.new(key, f"mandate:{mandate_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _agent_only(actor: Actor) -> None:
    if actor.kind != "agent" or actor.village_id is None:
        raise NotFound("没有找到这份委托")


def start(actor: Actor, name, id_number, phone, item_code, months, requester: str,
          today: date | None = None) -> tuple[Mandate, str | None]:
    """A new consent for a resident of the agent's village: the resident is found by ID number (or
    recorded, with or without a phone); with a phone, a code goes to it at once. Returns the
    mandate and the code (shown only by a sandbox SMS gateway)."""
    _agent_only(actor)
    if actor.role != "agent":
        raise DomainError("村委会账号只确认纸质委托，不代办。请由村代办员登记", field="name")
    if item_code:
        by_agent(registry().catalog.get(inputs.text_of(item_code, "item_code")[:40]))
    months = int(inputs.choice(months, [str(m) for m in MONTHS], field="months", message="请选择委托期限"))
    try:
        person, phone = resident_for_agent(name, id_number, phone)
    except DomainError as exc:  # a refusal tells whether a number is known (and its masked phone): logged too
        db.session.rollback()
        audit.record(actor.kind, actor.id, actor.name, "agent_lookup_refused", "person:?",
                     {"id_number": mask_id_number(id_number[:18] if isinstance(id_number, str) else ""), "field": exc.field})
        raise
    audit.record(actor.kind, actor.id, actor.name, "agent_lookup", f"person:{person.id}", commit=False)
    valid_until = add_months(today or china_today(), months)
    mandate = db.session.scalar(select(Mandate).where(  # a double tap: the very consent already asked
        Mandate.agent_id == actor.id, Mandate.village_id == actor.village_id, Mandate.person_id == person.id,
        Mandate.status == "pending", Mandate.valid_until == valid_until,
        Mandate.item_code.is_(None) if not item_code else Mandate.item_code == item_code))
    if mandate is not None:
        db.session.commit()
        return mandate, None
    mandate = Mandate(person_id=person.id, agent_id=actor.id, village_id=actor.village_id,
                      item_code=item_code or None, valid_until=valid_until,
                      method="sms" if phone else "paper", phone=phone)
    db.session.add(mandate)
    db.session.flush()
    audit.record(actor.kind, actor.id, actor.name, "consent_start", f"person:{person.id}",
                 {"mandate": mandate.id, "method": mandate.method}, commit=False)
    db.session.commit()
    if not phone:
        return mandate, None
    try:
        return mandate, send_code(actor, mandate.id, requester)
    except TooManyTries:  # no code went out: no consent is left waiting for one
        db.session.delete(mandate)
        db.session.commit()
        raise


def _pending(actor: Actor, mandate_id) -> Mandate:
    mandate = mine(actor, mandate_id)
    if mandate.status != "pending":
        raise DomainError("这份委托已经确认过或已结束", field="code")
    return mandate


def send_code(actor: Actor, mandate_id, requester: str) -> str:
    """A new code to the resident's phone; the last code sent is the only one that works."""
    mandate = _pending(actor, mandate_id)
    if mandate.method != "sms":
        raise DomainError("这位群众没有手机，请用签名和纸质授权委托书", field="code")
    sent = attempts.take([(f"consent-send:{requester}", *SENDS_PER_AGENT)])
    if sent is None:
        raise TooManyTries("发送验证码太频繁，请一小时后再试", field="code")
    if attempts.take([(f"consent-phone:{mandate.phone}", n, w) for n, w in SENDS_PER_PHONE]) is None:
        attempts.give_back(sent)
        raise TooManyTries("这个手机号刚收到过验证码，请稍后再获取", field="code")
    code = f"{secrets.randbelow(10**6):06d}"
    mandate.code_hash, mandate.code_expires_at, mandate.code_wrong_tries = (
        _hash(mandate.id, code), utcnow() + CODE_TTL, 0)
    village = _village_name(mandate.village_id)
    enqueue("sms", mandate.phone, message("consent_code", village=village, agent=actor.name, scope=mandate.scope_name,
                                          until=f"{mandate.valid_until:%Y年%-m月%-d日}", code=code),
            dedupe_key=f"consent:{mandate.id}:{secrets.token_hex(8)}")
    db.session.commit()
    return code


def confirm_code(actor: Actor, mandate_id, raw_code, requester: str) -> Mandate:
    """The resident read the code back: the consent is in force. Single use, expires, and a
    wrong code counts against the agent (and five spend the code)."""
    code = inputs.sms_code(raw_code)
    taken = attempts.take([(f"consent-wrong:{requester}", *WRONG_PER_AGENT)])
    if taken is None:
        raise TooManyTries("验证码输错太多次，请 10 分钟后再试", field="code")
    mandate = _pending(actor, mandate_id)
    now = utcnow()
    if mandate.code_hash is None or aware(mandate.code_expires_at) < now:
        attempts.give_back(taken)
        raise DomainError("验证码已过期或已使用，请重新获取", field="code")
    if not hmac.compare_digest(mandate.code_hash, _hash(mandate.id, code)):
        db.session.execute(update(Mandate).where(Mandate.id == mandate.id)
                           .values(code_wrong_tries=Mandate.code_wrong_tries + 1))
        db.session.execute(update(Mandate).where(Mandate.id == mandate.id, Mandate.code_wrong_tries >= MAX_WRONG)
                           .values(code_hash=None))
        db.session.commit()
        raise DomainError("验证码不对，请让群众再念一遍短信里的数字", field="code")
    attempts.give_back(taken)
    # Single use even when two taps race: only one UPDATE finds the code still there.
    spent = db.session.execute(update(Mandate).where(Mandate.id == mandate.id, Mandate.code_hash == mandate.code_hash,
                                                     Mandate.status == "pending")
                               .values(code_hash=None, status="active", granted_at=now))
    if spent.rowcount != 1:
        db.session.rollback()
        raise DomainError("验证码已过期或已使用，请重新获取", field="code")
    db.session.refresh(mandate)
    _granted(actor, mandate)
    return mandate


def _granted(actor: Actor, mandate: Mandate) -> None:
    audit.record(actor.kind, actor.id, actor.name, "consent_granted", f"person:{mandate.person_id}",
                 {"mandate": mandate.id, "method": mandate.method}, commit=False)
    _tell_resident(mandate, "granted", village=_village_name(mandate.village_id), agent=_agent_name(mandate.agent_id),
                   scope=mandate.scope_name, until=f"{mandate.valid_until:%Y年%-m月%-d日}",
                   link=f"{registry().public_base_url}/my/agents")
    db.session.commit()


def add_evidence(actor: Actor, mandate_id, kind: str, files: list[tuple[str, bytes]]) -> Mandate:
    """The drawn signature (SIGNATURE) or the photo of the signed letter (LETTER); a new one replaces the old."""
    mandate = _pending(actor, mandate_id)
    if mandate.method != "paper":
        raise DomainError("这位群众有手机，请用短信验证码确认", field="files")
    if kind not in (SIGNATURE, LETTER):
        raise DomainError("请选择要上传的内容", field="files")
    upload = store_files(registry().storage, files[:1], mandate.person_id, kind, actor, commit=False)[0]
    if kind == SIGNATURE:
        mandate.signature_key = upload.key
    else:
        mandate.letter_key = upload.key
    db.session.commit()
    return mandate


def ask_confirmation(actor: Actor, mandate_id) -> Mandate:
    mandate = _pending(actor, mandate_id)
    missing = [name for name, key in (("群众手写签名", mandate.signature_key),
                                      ("签好字的授权委托书照片", mandate.letter_key)) if not key]
    if mandate.method != "paper" or missing:
        raise DomainError("还缺：" + "、".join(missing), field="files")
    # A withdrawal landing meanwhile wins: only a consent still pending goes on to confirmation.
    done = db.session.execute(update(Mandate).where(Mandate.id == mandate.id, Mandate.status == "pending")
                              .values(status="confirming"))
    if done.rowcount != 1:
        db.session.rollback()
        raise DomainError("这份委托已撤销或已提交", field="files")
    audit.record(actor.kind, actor.id, actor.name, "consent_evidence", f"person:{mandate.person_id}",
                 {"mandate": mandate.id}, commit=False)
    db.session.commit()
    db.session.refresh(mandate)
    return mandate


def to_confirm(actor: Actor) -> list[Mandate]:
    """Paper consents of this village waiting for a second person: never one's own."""
    if actor.kind != "agent":
        return []
    return list(db.session.scalars(select(Mandate).where(
        Mandate.village_id == actor.village_id, Mandate.status == "confirming", Mandate.agent_id != actor.id)
        .order_by(Mandate.id)))


def for_confirmation(actor: Actor, mandate_id, ip: str = "") -> Mandate:
    """A paper consent as the second person sees it (the resident's details, the evidence): read logged."""
    mandate = next((m for m in to_confirm(actor) if inputs.is_row_id(mandate_id) and m.id == mandate_id), None)
    if mandate is None:
        raise NotFound("没有找到这份待确认的委托")
    audit.record(actor.kind, actor.id, actor.name, "consent_review", f"person:{mandate.person_id}",
                 {"mandate": mandate.id}, ip=ip)
    return mandate


def decide_confirmation(actor: Actor, mandate_id, agree: bool, reason="", ip: str = "") -> Mandate:
    mandate = for_confirmation(actor, mandate_id, ip)
    reason = inputs.text(reason, 200, field="reason")
    if not agree and not reason:
        raise DomainError("请写明不能确认的原因", field="reason")
    now = utcnow()
    done = db.session.execute(update(Mandate).where(Mandate.id == mandate.id, Mandate.status == "confirming").values(
        status="active" if agree else "refused", confirmed_by_id=actor.id, confirmed_by_name=actor.name[:60],
        confirmed_at=now, granted_at=now if agree else None, refused_reason=reason))
    if done.rowcount != 1:
        db.session.rollback()
        raise DomainError("这份委托刚被其他人确认过")
    db.session.refresh(mandate)
    if agree:
        _granted(actor, mandate)
    else:
        audit.record(actor.kind, actor.id, actor.name, "consent_refused", f"person:{mandate.person_id}",
                     {"mandate": mandate.id}, ip=ip)
    return mandate


def mine(actor: Actor, mandate_id) -> Mandate:
    """A mandate this agent holds (any state), of their village; the same answer if it does not exist."""
    _agent_only(actor)
    mandate = db.session.get(Mandate, mandate_id) if inputs.is_row_id(mandate_id) else None
    if mandate is None or mandate.agent_id != actor.id or mandate.village_id != actor.village_id:
        raise NotFound("没有找到这份委托")
    return mandate


def in_force(actor: Actor, mandate_id) -> Mandate:
    """The mandate an agent acts under now: theirs, of their village, active and not expired."""
    mandate = mine(actor, mandate_id)
    if not mandate.in_force:
        raise NotFound("这份委托已撤销、到期或尚未确认，不能再代办")
    return mandate


def held_by(actor: Actor) -> list[Mandate]:
    """The consents this agent holds or is being given, newest first (the desk's residents):
    withdrawn, refused and expired ones show nothing of the resident any more."""
    _agent_only(actor)
    return [m for m in db.session.scalars(select(Mandate).where(
        Mandate.agent_id == actor.id, Mandate.village_id == actor.village_id,
        Mandate.status.in_(("pending", "confirming", "active"))).order_by(Mandate.id.desc()))
        if m.status != "active" or m.in_force]


def being_given(actor: Actor, mandate_id) -> Mandate:
    """A consent of this agent's still being given (pending or waiting for the second person):
    the only time its letter and evidence are the agent's to see."""
    mandate = mine(actor, mandate_id)
    if not mandate.being_given:
        raise NotFound("这份委托已确认、撤销或未通过，不能再查看凭证")
    return mandate


def _in_force_for(actor: Actor, applicant_id, item_code):
    """The SQL condition 'this consent is the agent's, of their village, in force, and covers
    this applicant's item' (a column or a value each); acting for one resident, that consent only."""
    condition = and_(Mandate.agent_id == actor.id, Mandate.village_id == actor.village_id,
                     Mandate.status == "active", Mandate.valid_until >= china_today(),
                     Mandate.person_id == applicant_id,
                     or_(Mandate.item_code.is_(None), Mandate.item_code == item_code))
    if actor.mandate_id is not None:
        condition = and_(condition, Mandate.id == actor.mandate_id)
    return condition


def _covering(actor: Actor):
    """'A consent in force lets this agent see a case' (cases.* in scope): a resident's own case,
    never one they applied for on an organisation's behalf (法人)."""
    from services.cases.lifecycle import Case

    return and_(Case.organisation_id.is_(None), exists().where(_in_force_for(actor, Case.applicant_id, Case.item_code)))


def covering(actor: Actor, case) -> Mandate | None:
    """The consent in force through which this agent sees this case (the newest, if several)."""
    if case.organisation_id is not None:  # an organisation's case is never a resident's to consent to
        return None
    return db.session.scalar(select(Mandate).where(_in_force_for(actor, case.applicant_id, case.item_code))
                             .order_by(Mandate.id.desc()).limit(1))


def covers_item(actor: Actor, item_code: str) -> bool:
    """The consent this agent acts under now is in force and covers this item."""
    mandate = db.session.get(Mandate, actor.mandate_id) if actor.kind == "agent" and actor.mandate_id else None
    return mandate is not None and mandate.agent_id == actor.id and mandate.in_force and mandate.covers(item_code)


def visible_cases_query(actor: Actor):
    from services.cases.lifecycle import Case

    return select(Case).where(_covering(actor))


def covers(actor: Actor, case) -> bool:
    from services.cases.lifecycle import Case

    return db.session.scalar(select(Case.id).where(Case.id == case.id, _covering(actor))) is not None


def of_person(person_id: int) -> list[Mandate]:
    return list(db.session.scalars(select(Mandate).where(Mandate.person_id == person_id,
                                                         Mandate.status.in_(("active", "pending", "confirming",
                                                                             "withdrawn")))
                                   .order_by(Mandate.id.desc())))


def withdraw(actor: Actor, mandate_id, ip: str = "") -> Mandate:
    """The resident (signed in) or staff (at the window of the agent's township, for a resident
    without a phone; the county administrator anywhere) ends a consent: from the next request on,
    the agent sees nothing more of them."""
    mandate = db.session.get(Mandate, mandate_id) if inputs.is_row_id(mandate_id) else None
    own = actor.kind == "citizen" and mandate is not None and mandate.person_id == actor.id
    # The agent may drop a consent not yet in force (asked wrongly, or the resident changed their mind).
    asked = actor.kind == "agent" and mandate is not None and mandate.agent_id == actor.id and \
        mandate.status in ("pending", "confirming")
    staff = mandate is not None and actor.kind == "staff" and (
        actor.role == "admin" or actor.role in ("window", "town_admin") and
        _village_township(mandate.village_id) == actor.township_id)
    if mandate is None or not (own or staff or asked):
        raise NotFound("没有找到这份委托")
    by = "本人" if own else f"代办员{actor.name}（未生效时取消）" if asked else f"工作人员{actor.name}"
    done = db.session.execute(update(Mandate).where(
        Mandate.id == mandate.id, Mandate.status.in_(("active", "pending", "confirming"))).values(
        status="withdrawn", withdrawn_at=utcnow(), withdrawn_by=by[:60], code_hash=None))
    if done.rowcount != 1:
        db.session.rollback()
        raise NotFound("没有找到这份委托")
    db.session.refresh(mandate)
    audit.record(actor.kind, actor.id, actor.name, "consent_withdrawn", f"person:{mandate.person_id}",
                 {"mandate": mandate.id}, ip=ip, commit=False)
    _tell_resident(mandate, "withdrawn", agent=_agent_name(mandate.agent_id), scope=mandate.scope_name)
    db.session.commit()
    _drop_unsent(mandate)
    return mandate


def _drop_unsent(mandate: Mandate) -> None:
    """What the agent began for the resident and no consent of theirs still covers goes, with its
    files (photos of cards and bank books): nobody may reach it any more."""
    from services.cases.drafts import leave_drafts, unsent

    agent = Actor("agent", mandate.agent_id, "")
    still = [m.item_code for m in db.session.scalars(select(Mandate).where(
        Mandate.agent_id == mandate.agent_id, Mandate.person_id == mandate.person_id, Mandate.status == "active"))
        if m.in_force]
    if None in still:
        return
    drop = {d.item_code for d in unsent(agent, mandate.person_id)} - set(still)
    if drop:
        leave_drafts(registry().storage, agent, mandate.person_id, keep=False, items=drop)


def _tell_resident(mandate: Mandate, what: str, **params) -> None:
    phone = db.session.scalar(select(Person.phone).where(Person.id == mandate.person_id))
    enqueue("sms", phone, message(f"consent_{what}", **params), dedupe_key=f"mandate:{mandate.id}:{what}")


def holder(mandate: Mandate) -> dict:
    """Who holds a consent, as the resident and staff see it: name, village, role."""
    from services.people.agents import Agent

    agent = db.session.get(Agent, mandate.agent_id)
    return {"name": agent.name, "village": _village_name(mandate.village_id), "role": agent.role_name}


def _village_township(village_id: int) -> int | None:
    from services.places import Village

    return db.session.scalar(select(Village.township_id).where(Village.id == village_id))


def for_staff_by_id_number(actor: Actor, raw, ip: str = "") -> tuple[Person, list[Mandate]]:
    """At the window, from the resident's ID card: the person and their consents to this staff
    member's township's agents. Nobody is shown to a window with none of theirs to see (the
    same answer as for an unknown number), and every look-up is audit-logged."""
    number = inputs.id_number(raw, field="q")
    person = db.session.scalar(select(Person).where(Person.id_number == number))
    mandates = for_staff(actor, person.id) if person is not None else []
    audit.record(actor.kind, actor.id, actor.name, "view_person", f"person:{person.id if person else '-'}",
                 {"consents": len(mandates)}, ip=ip)
    if not mandates:
        raise NotFound("没有找到这位群众对本乡镇代办员的委托")
    return person, mandates


def for_staff(actor: Actor, person_id: int) -> list[Mandate]:
    """A resident's consents a staff member may see and withdraw: those given to agents of their
    township's villages (the county administrator: all)."""
    if actor.kind != "staff" or actor.role not in ("admin", "window", "town_admin"):
        return []
    return [m for m in of_person(person_id)
            if actor.role == "admin" or _village_township(m.village_id) == actor.township_id]


def _village_name(village_id: int) -> str:
    from services.places import Village

    village = db.session.get(Village, village_id)
    return village.shown_name if village else ""


def _agent_name(agent_id: int) -> str:
    from services.people.agents import Agent

    return db.session.scalar(select(Agent.name).where(Agent.id == agent_id)) or ""


def evidence_file(actor: Actor, mandate: Mandate, key: str) -> Upload:
    """A consent's signature or letter photo, for the agent who holds it while it is being given,
    or the second person while it waits for them: never once it is in force, withdrawn or refused."""
    if mandate.status not in ("pending", "confirming") or key not in (mandate.signature_key, mandate.letter_key) \
            or not key:
        raise NotFound("没有找到这个文件")
    upload = db.session.scalar(select(Upload).where(Upload.key == key))
    audit.record(actor.kind, actor.id, actor.name, "view_file", f"person:{mandate.person_id}",
                 {"mandate": mandate.id, "file": key})
    return upload


def masked_phone(mandate: Mandate) -> str:
    return mask_phone(mandate.phone)


def of_case(case) -> Mandate | None:
    """The consent a case was submitted under (代办), for staff to see with the case."""
    return db.session.get(Mandate, case.mandate_id) if case.mandate_id else None


def case_evidence(case, key: str) -> Upload:
    """A file of the consent a case was submitted under, for staff who may see the case (the
    caller has checked that)."""
    mandate = of_case(case)
    if mandate is None or not key or key not in (mandate.signature_key, mandate.letter_key):
        raise NotFound("没有找到这个文件")
    return db.session.scalar(select(Upload).where(Upload.key == key))
