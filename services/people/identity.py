"""People who sign in (统一身份认证): a phone number first, then a real name (实名)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Boolean, DateTime, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.audit import record
from services.errors import DomainError, NotFound
from services.outbox import enqueue
from services.sealing import Sealed, sealed_value
from services.sms import message

ELDER_AGE = 60
TAKEN = "这个身份证号已经绑定了另一个手机号。如需更换手机号，请到乡镇便民服务中心办理"
# A village agent recorded this person without a phone: their own card read at a kiosk joins the phone.
HELD_BY_AGENT_RECORD = ("村代办员已为您登记过（当时没有手机号）。请带身份证到乡镇便民服务中心，在自助终端上读身份证、"
                        "输入手机验证码登录一次，这个手机号就登记到您名下了")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Person(db.Model):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a resident with no phone, recorded by a village agent (services.people.consent).
    _phone: Mapped[str | None] = mapped_column("phone", Sealed("persons.phone"))
    phone_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone = sealed_value("phone", "phone")
    name: Mapped[str | None] = mapped_column(String(40))
    _id_number: Mapped[str | None] = mapped_column("id_number", Sealed("persons.id_number"))
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number = sealed_value("id_number", "id_number")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How the real name was checked: "typed" (a number typed in), "agent" (typed by a village
    # agent from the card, with the resident's consent), "province" (vouched for by the unified
    # identity provider, 统一身份认证), or "id_card" (the chip of the card read at a registered kiosk).
    verified_via: Mapped[str | None] = mapped_column(String(10))
    elder_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    # flask-login's user protocol, kept here so front ends share one definition.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"p:{self.id}"

    account_kind = "citizen"
    is_staff = False


# The parsers live in services.inputs; these are the names the domain uses for them.
normalise_phone = inputs.phone
check_id_number = inputs.id_number


def age_on(id_number: str, today: date) -> int:
    born = inputs.birth_date_of(id_number)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def mask_id_number(number: str | None) -> str:
    """6201**********1234: first four and last four only."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


# Two-character family names (复姓): 欧阳娜娜 is shown 欧阳**, not 欧***.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 独孤 南宫 西门 百里 呼延 "
    "万俟 澹台 闻人 申屠 太史 拓跋 钟离 赫连 第五 公羊 濮阳 淳于 单于 司空 闾丘 子车 亓官 仲孙 东郭 南门 羊舌 "
    "微生 梁丘 左丘 东门 公冶 太叔 乐正 壤驷 公良 漆雕 宰父 谷梁 段干 巫马 公西 颛孙 鲜于 司寇".split())


def mask_name(name: str | None) -> str:
    """张* / 欧阳** / 阿**·***: the family name only (of a transliterated name, its first
    character); every other character a star, the middle dot kept."""
    if not name:
        return ""
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1 if len(name) > 1 else 0
    return name[:keep] + "".join(c if c == inputs.MIDDLE_DOT else "*" for c in name[keep:])


def mask_phone(phone: str | None) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) == 11 else ""


def find_or_create_person(phone: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    if person is None:
        person = Person(phone=phone)
        db.session.add(person)
        db.session.flush()
    return person


def verify_real_name(person: Person, name: str, id_number: str) -> Person:
    """Record the real name, once. Without a link to the public security database (a later
    adapter), the checks are the name's form and the ID number's checksum, birth date and region.
    A verified name is not replaced by verifying again: correcting it is a staff action."""
    if person.is_verified:
        raise DomainError("您已完成实名认证。如需更正姓名或身份证号，请到乡镇便民服务中心办理", field="id_number")
    bind_real_name(person, inputs.person_name(name), check_id_number(id_number))
    return person


def verify_and_offer_elder(person: Person, name, id_number, elder_already: bool, today: date) -> bool:
    """Real name, then whether to offer 长辈版 (once, to people of 60 and over who do not use it)."""
    try:
        verify_real_name(person, name, id_number)
    except DomainError:
        db.session.rollback()
        raise
    offer = not person.elder_offered and not elder_already and age_on(person.id_number, today) >= ELDER_AGE
    person.elder_offered = person.elder_offered or offer
    try:
        db.session.commit()
    except IntegrityError:  # the same ID number was bound to another phone a moment ago
        db.session.rollback()
        raise DomainError(TAKEN, field="id_number")
    return offer


def find_person(raw, actor_kind: str, actor_id: int | None, actor_name: str, ip: str = "") -> Person:
    """A person by mobile number or ID number, for staff at a window; the look-up is audit-logged."""
    person = None
    for parse, column in ((inputs.phone, Person.phone), (inputs.id_number, Person.id_number)):
        try:
            value = parse(raw)
        except DomainError:
            continue
        person = db.session.scalar(select(Person).where(column == value))
        break
    if person is None:
        raise NotFound("没有找到这个人（请输入 11 位手机号或 18 位身份证号）")
    record(actor_kind, actor_id, actor_name, "view_person", f"person:{person.id}", ip=ip)
    return person


def correct_real_name(person: Person, name: str, id_number: str, reason: str, staff_id: int,
                      staff_name: str, ip: str = "") -> Person:
    """Staff correct a verified real name (a typo on a form, a new ID card); always audit-logged."""
    reason = inputs.text(reason, 200, field="reason", required=True, label="更正原因")
    before = {"name": person.name, "id_number": mask_id_number(person.id_number)}
    try:
        bind_real_name(person, inputs.person_name(name), check_id_number(id_number))
    except DomainError:
        db.session.rollback()
        raise
    record("staff", staff_id, staff_name, "correct_real_name", f"person:{person.id}",
           {"before": before, "after": {"name": person.name, "id_number": mask_id_number(person.id_number)},
            "reason": reason}, ip=ip, commit=False)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(TAKEN, field="id_number")
    return person


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id) if inputs.is_row_id(person_id) else None
    if person is None:
        raise NotFound("没有找到这个人")
    return person


def bind_real_name(person: Person, name: str, id_number: str, via: str = "typed") -> Person:
    """Record a checked name and ID number (not committed); refused if another person holds it.
    Returns whose record holds them now: this person's — or, when a village agent recorded the
    resident without a phone and the resident's own ID card is read (at a kiosk, after an SMS
    code proved this phone), that record, which the phone joins: they sign in as it from now on."""
    holder = db.session.scalar(select(Person).where(Person.id_number == id_number, Person.id != person.id))
    if holder is not None and via == "id_card" and holder.phone is None and holder.verified_via == "agent" \
            and person.phone and not person.is_verified:
        phone, person.phone = person.phone, None
        db.session.flush()  # the phone is unique: let go of it before the record takes it
        holder.phone, holder.name, holder.verified_via = phone, name, via  # the chip's name is the record's
        record("person", holder.id, name, "claim_record", f"person:{holder.id}", {"from": person.id}, commit=False)
        return holder
    if holder is not None:
        if holder.phone is None and holder.verified_via == "agent":
            raise DomainError(HELD_BY_AGENT_RECORD, field="id_number")
        raise DomainError(TAKEN, field="id_number")
    person.name, person.id_number, person.verified_at, person.verified_via = name, id_number, utcnow(), via
    return person


def resident_for_agent(name, id_number, phone) -> tuple[Person, str | None]:
    """The resident a village agent acts for, found by ID number or recorded now (with the name
    and number checked as everywhere). Returns the person and the phone a consent code goes to:
    only a phone already on record as theirs (they signed in with it, or it was checked at a
    kiosk or window) — a number an agent types proves nothing, so someone without a phone on
    record consents on paper, with a second person (None)."""
    name, id_number = inputs.person_name(name), check_id_number(id_number)
    typed = inputs.phone(phone) if inputs.text_of(phone, "phone").strip() else None
    person = db.session.scalar(select(Person).where(Person.id_number == id_number))
    if person is not None and person.name != name:
        raise DomainError("姓名与身份证号不符，请核对身份证", field="name")
    if typed and person is None:
        raise DomainError("这位群众还没有在系统登记手机号，验证码不能发到新号码。请群众先用自己的手机登录"
                          "“一网通办”，或不填手机号，用签名和纸质授权委托书", field="phone")
    if typed and not person.phone:
        raise DomainError("这位群众登记时没有手机号，验证码不能发到新号码。请群众带身份证在乡镇自助终端读卡登录一次"
                          "（手机号就登记好了），或不填手机号，用签名和纸质授权委托书", field="phone")
    if person is not None and person.phone:
        if typed and typed != person.phone:
            raise DomainError(f"这位群众登记的手机号是 {mask_phone(person.phone)}，验证码会发到这个号码。"
                              "如已换号，请本人到乡镇便民服务中心更改", field="phone")
        return person, person.phone
    if person is None:
        person = Person(phone=None, name=name, id_number=id_number, verified_at=utcnow(), verified_via="agent")
        db.session.add(person)
        try:
            db.session.flush()
        except IntegrityError:  # recorded a moment ago by another agent
            db.session.rollback()
            raise DomainError("这位群众刚被登记，请重新提交", field="id_number")
    return person, None


class ProviderIdentity:
    """What a unified identity provider (统一身份认证, 甘肃政务服务网) vouches for: it checked the
    person's name and ID number itself (against the public security record), which is stronger
    than our checksum."""

    def __init__(self, provider: str, subject: str, name, id_number, phone=None):
        self.provider, self.subject = provider, str(subject)[:100]
        self.name = inputs.person_name(name)
        self.id_number = check_id_number(id_number)
        self.phone = inputs.phone(phone) if phone else None


def _vouched_for(person: Person, found: ProviderIdentity) -> bool:
    """Whether a record holding this ID number is the provider's person: one already proven
    strongly (the province, a card's chip), one with no phone (an agent recorded the resident),
    or one whose phone the provider names too. A number merely typed in on another phone proves
    nothing — anyone may type anyone's number."""
    return person.verified_via in ("province", "id_card") or not person.phone or person.phone == found.phone


def sign_in_by_provider(found: ProviderIdentity, ip: str = "") -> Person:
    """The person the provider vouches for: their record by ID number (the provider's name is the
    record's from now on), or a new one — with the provider's phone if no one here holds it. A
    record that only typed the number on another phone loses it (told by SMS, audit-logged): the
    provider's person is not handed someone else's phone and cases."""
    person = db.session.scalar(select(Person).where(Person.id_number == found.id_number))
    if person is not None and not _vouched_for(person, found):
        record("person", person.id, person.name or "", "real_name_released", f"person:{person.id}",
               {"to_provider": found.provider, "id_number": mask_id_number(found.id_number)}, ip=ip, commit=False)
        enqueue("sms", person.phone, message("real_name_released"), dedupe_key=f"released:{person.id}:{found.subject}")
        person.id_number = person.name = person.verified_at = person.verified_via = None
        db.session.flush()
        person = None
    if person is None:
        holder = db.session.scalar(select(Person).where(Person.phone == found.phone)) if found.phone else None
        if holder is not None and not holder.is_verified:  # their own phone signed in here before: that record
            person, holder.name, holder.id_number = holder, found.name, found.id_number
        else:
            person = Person(phone=None if holder else found.phone, name=found.name, id_number=found.id_number)
            db.session.add(person)
    elif person.name != found.name:
        record("person", person.id, found.name, "provider_name", f"person:{person.id}",
               {"before": mask_name(person.name)}, ip=ip, commit=False)
        person.name = found.name
    person.verified_at = person.verified_at or utcnow()
    if person.verified_via != "id_card":  # a card's chip read here stays the strongest
        person.verified_via = "province"
    db.session.flush()
    record("person", person.id, found.name, "provider_sign_in", f"person:{person.id}",
           {"provider": found.provider}, ip=ip, commit=False)
    try:
        db.session.commit()
    except IntegrityError:  # the same person signed in twice at once: the other request's record stands
        db.session.rollback()
        person = db.session.scalar(select(Person).where(Person.id_number == found.id_number))
    return person
