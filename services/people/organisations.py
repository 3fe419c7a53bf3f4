"""Enterprises and organisations (法人) applying online. A person signs in as themself (phone,
SMS code, real name) and then acts for an organisation identified by its 统一社会信用代码: as its
legal representative (法定代表人), when the market-entity registry names their ID number, or as
a person the legal representative authorised here (经办人授权), until a date. The organisation's
details are kept once and prefilled into every application; its cases are seen by whoever
acts for it now, and by nobody else once their authority ends."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.audit import record
from services.clock import add_months, aware, utcnow
from services.clock import today as china_today
from services.errors import DomainError, NotFound
from services.people.actors import Actor
from services.people.business_registry import ACTIVE, Registered
from services.people.identity import Person, mask_id_number
from services.registry import registry
from services.sealing import Sealed, sealed_value

MONTHS = (1, 3, 6, 12)  # an authorisation is renewed at least yearly
# How old the registry's answer may be while someone acts for an organisation: a legal
# representative replaced, or the organisation closed, takes effect within this.
REGISTRY_FRESH = timedelta(hours=1)
CANNOT_ACT = "您现在不能以这个单位的名义办事（授权已到期或被收回，或单位已注销、变更了法定代表人）"
ROLE_NAMES = {"legal_rep": "法定代表人", "authorised": "经办人"}


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    # From the registry, refreshed whenever someone starts acting for it:
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    legal_rep_name: Mapped[str] = mapped_column(String(40))
    _legal_rep_id_number: Mapped[str] = mapped_column("legal_rep_id_number", Sealed("organisations.legal_rep_id_number"))
    legal_rep_id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    legal_rep_id_number = sealed_value("legal_rep_id_number", "id_number")
    registered_address: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10))
    demo: Mapped[bool] = mapped_column(default=False)  # the registry's answer was the sandbox's
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Kept here by the organisation, prefilled into applications:
    address: Mapped[str] = mapped_column(String(120), default="")  # where it operates (经营场所)
    contact_name: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(Sealed("organisations.contact_phone"), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def prefill(self) -> dict[str, str]:
        """What an application's form takes from the organisation (FormField.prefill)."""
        return {"org_name": self.name, "uscc": self.uscc, "legal_rep": self.legal_rep_name,
                "org_address": self.address or self.registered_address, "contact_name": self.contact_name,
                "contact_phone": self.contact_phone}


class Authorisation(db.Model):
    """经办人授权: the legal representative lets a person act for the organisation until a date.
    It lapses when the registry names another legal representative: it was the old one's word."""
    __tablename__ = "organisation_authorisations"
    # One in force per person and organisation, even when two taps race.
    __table_args__ = (Index("uq_organisation_authorisations_live", "organisation_id", "id_number_index", unique=True,
                            sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    _id_number: Mapped[str] = mapped_column("id_number", Sealed("organisation_authorisations.id_number"))
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    id_number = sealed_value("id_number", "id_number")
    valid_until: Mapped[date] = mapped_column(Date)
    granted_by: Mapped[str] = mapped_column(String(40))
    # The legal representative who granted it:
    _granted_by_id_number: Mapped[str] = mapped_column("granted_by_id_number",
                                                       Sealed("organisation_authorisations.granted_by_id_number"))
    granted_by_id_number_index: Mapped[str] = mapped_column(String(64))
    granted_by_id_number = sealed_value("granted_by_id_number", "id_number")
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(40))


@dataclass(frozen=True)
class Acting:
    """A person acting for an organisation now, and as what."""
    organisation: Organisation
    role: str  # legal_rep | authorised

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


def _in_force(today: date):
    return (Authorisation.ended_at.is_(None)) & (Authorisation.valid_until >= today) & (
        Authorisation.granted_by_id_number == Organisation.legal_rep_id_number)


def _same_person(person: Person, name: str, id_number: str) -> bool:
    return person.is_verified and person.id_number == id_number and person.name == name


def role_in(person: Person, organisation: Organisation, today: date | None = None) -> str | None:
    """legal_rep, authorised, or None: checked on every request, so authority ends at once."""
    if organisation.status != ACTIVE or not person.is_verified:
        return None
    if _same_person(person, organisation.legal_rep_name, organisation.legal_rep_id_number):
        return "legal_rep"
    found = db.session.scalar(select(Authorisation.id).join(Organisation).where(
        Authorisation.organisation_id == organisation.id, Authorisation.id_number == person.id_number,
        Authorisation.name == person.name, _in_force(today or china_today())).limit(1))
    return "authorised" if found else None


def organisations_of(person: Person, today: date | None = None) -> list[Acting]:
    """Every organisation this person may act for now, by name."""
    if not person.is_verified:
        return []
    authorised = select(Authorisation.organisation_id).join(Organisation).where(
        Authorisation.id_number == person.id_number, Authorisation.name == person.name,
        _in_force(today or china_today()))
    rows = db.session.scalars(select(Organisation).where(
        Organisation.status == ACTIVE,
        or_(Organisation.legal_rep_id_number == person.id_number, Organisation.id.in_(authorised)))
        .order_by(Organisation.name))
    return [Acting(o, role) for o in rows if (role := role_in(person, o, today))]


def acting_for(person: Person, organisation_id, today: date | None = None,
               fresh: timedelta = REGISTRY_FRESH) -> Acting | None:
    """The organisation this person acts for in this session, if they still may: its registry
    record is read again once it is older than `fresh`."""
    organisation = db.session.get(Organisation, organisation_id) if inputs.is_row_id(organisation_id) else None
    if organisation is None or role_in(person, organisation, today) is None:
        return None
    if utcnow() - aware(organisation.checked_at) >= fresh:
        _refresh(organisation, registry().business_registry.lookup(organisation.uscc))
        db.session.commit()
    role = role_in(person, organisation, today)
    return Acting(organisation, role) if role else None


def _lookup(uscc: str) -> Registered:
    found = registry().business_registry.lookup(uscc)
    if found is None:
        raise DomainError("在市场主体登记信息中没有查到这个统一社会信用代码，请照营业执照核对", field="uscc")
    if found.status != ACTIVE:
        raise DomainError(f"这个单位的登记状态是“{found.status}”，不能以它的名义办事", field="uscc")
    return found


def _refresh(organisation: Organisation, found: Registered | None) -> None:
    """The registry's record now; one it no longer knows cannot be acted for."""
    if found is None:
        organisation.status, organisation.checked_at = "未查到", utcnow()
        return
    organisation.name, organisation.kind = found.name, found.kind
    organisation.legal_rep_name, organisation.legal_rep_id_number = found.legal_rep_name, found.legal_rep_id_number
    organisation.registered_address, organisation.status = found.address, found.status
    organisation.demo, organisation.checked_at = found.demo, utcnow()


def register(person: Person, raw_uscc, ip: str = "") -> Acting:
    """The legal representative adds their organisation (or finds it again): the registry must
    name this person — their verified name and ID number — as its legal representative."""
    uscc = inputs.credit_code(raw_uscc)
    if not person.is_verified:
        raise DomainError("请先完成实名认证", field="uscc")
    if not registry().business_registry.available:
        raise DomainError("本站还没有接入市场主体登记信息，暂不能在网上确认单位身份。"
                          "请带营业执照到县政务服务中心相应窗口办理", field="uscc")
    found = _lookup(uscc)
    if not _same_person(person, found.legal_rep_name, found.legal_rep_id_number):
        raise DomainError("登记信息中的法定代表人不是您，不能由您登记这个单位。经办人请让法定代表人登录后，"
                          "在“单位办事 → 经办人”中授权您", field="uscc")
    organisation = db.session.scalar(select(Organisation).where(Organisation.uscc == uscc))
    if organisation is None:
        organisation = Organisation(uscc=uscc, contact_name=person.name, contact_phone=person.phone or "")
        db.session.add(organisation)
    _refresh(organisation, found)
    try:
        db.session.flush()
    except IntegrityError:  # the same organisation added a moment ago (a double tap)
        db.session.rollback()
        organisation = db.session.scalar(select(Organisation).where(Organisation.uscc == uscc))
    record("person", person.id, person.name, "register_organisation", f"organisation:{organisation.id}",
           {"uscc": uscc}, ip=ip, commit=False)
    db.session.commit()
    return Acting(organisation, "legal_rep")


def enter(person: Person, organisation_id, ip: str = "") -> Acting:
    """Start acting for an organisation: its registry record is read again first (for those who
    may act for it as it stood), so a changed legal representative or a closed organisation takes
    effect now. The same answer whether the organisation exists or not."""
    acting = acting_for(person, organisation_id, fresh=timedelta(0))
    if acting is None:
        raise NotFound(CANNOT_ACT)
    record("person", person.id, person.name, "act_for_organisation", f"organisation:{acting.organisation.id}",
           {"role": acting.role}, ip=ip)
    return acting


def update_details(acting: Acting, person: Person, address, contact_name, contact_phone, ip: str = "") -> Organisation:
    """What the organisation keeps here for its applications; anyone acting for it may correct it."""
    address = inputs.text(address, 120, field="address", required=True, label="经营场所")
    contact_name = inputs.person_name(contact_name, field="contact_name", label="联系人")
    contact_phone = inputs.phone(contact_phone, field="contact_phone")
    acting = _still(acting, person)
    organisation = acting.organisation
    organisation.address, organisation.contact_name, organisation.contact_phone = address, contact_name, contact_phone
    record("person", person.id, person.name, "update_organisation", f"organisation:{organisation.id}", ip=ip,
           commit=False)
    db.session.commit()
    return organisation


def authorisations(acting: Acting, today: date | None = None) -> list[Authorisation]:
    """The persons authorised now (the legal representative's page)."""
    _legal_rep_only(acting)
    return list(db.session.scalars(select(Authorisation).join(Organisation).where(
        Authorisation.organisation_id == acting.organisation.id, _in_force(today or china_today()))
        .order_by(Authorisation.id)))


def _still(acting: Acting, person: Person) -> Acting:
    """Before changing anything of the organisation: the registry's answer now, not an hour ago."""
    again = acting_for(person, acting.organisation.id, fresh=timedelta(0))
    if again is None:
        raise NotFound(CANNOT_ACT)
    return again


def _legal_rep_only(acting: Acting) -> None:
    if acting.role != "legal_rep":
        raise NotFound("只有法定代表人可以管理经办人")


def authorise(acting: Acting, person: Person, name, id_number, months, ip: str = "",
              today: date | None = None) -> Authorisation:
    """The legal representative authorises a person (by name and ID number) for 1 to 12 months;
    authorising the same person again replaces the earlier authorisation."""
    _legal_rep_only(acting)
    today = today or china_today()
    name, id_number = inputs.person_name(name), inputs.id_number(id_number, today)
    acting = _still(acting, person)
    _legal_rep_only(acting)
    months = int(inputs.choice(months, [str(m) for m in MONTHS], field="months", message="请选择授权期限"))
    until = add_months(today, months)
    if id_number == acting.organisation.legal_rep_id_number:
        raise DomainError("法定代表人本人不用授权", field="id_number")
    holder = db.session.scalar(select(Person).where(Person.id_number == id_number))
    if holder is not None and holder.name != name:
        raise DomainError("姓名与身份证号不符，请核对经办人的身份证", field="name")
    now = utcnow()
    db.session.execute(update(Authorisation).where(
        Authorisation.organisation_id == acting.organisation.id, Authorisation.id_number == id_number,
        Authorisation.ended_at.is_(None)).values(ended_at=now, ended_by=person.name))
    granted = Authorisation(organisation_id=acting.organisation.id, name=name, id_number=id_number,
                            valid_until=until, granted_by=person.name, granted_at=now,
                            granted_by_id_number=person.id_number)
    db.session.add(granted)
    try:
        db.session.flush()
    except IntegrityError:  # the same authorisation, tapped twice at once: the other tap's stands
        db.session.rollback()
        raise DomainError("刚刚已经授权过这位经办人，请刷新页面查看", field="id_number")
    record("person", person.id, person.name, "authorise_for_organisation", f"organisation:{acting.organisation.id}",
           {"id_number": mask_id_number(id_number), "until": until.isoformat()}, ip=ip, commit=False)
    db.session.commit()
    return granted


def end_authorisation(acting: Acting, person: Person, authorisation_id, ip: str = "") -> None:
    """收回授权: from this moment the person sees nothing more of the organisation."""
    _legal_rep_only(acting)
    row = db.session.get(Authorisation, authorisation_id) if inputs.is_row_id(authorisation_id) else None
    if row is None or row.organisation_id != acting.organisation.id:
        raise NotFound("没有找到这项授权")
    db.session.execute(update(Authorisation).where(Authorisation.id == row.id, Authorisation.ended_at.is_(None))
                       .values(ended_at=utcnow(), ended_by=person.name))
    record("person", person.id, person.name, "end_organisation_authority", f"organisation:{acting.organisation.id}",
           {"id_number": mask_id_number(row.id_number)}, ip=ip, commit=False)
    db.session.commit()


def actor_for(person: Person, acting: Acting | None) -> Actor:
    """A citizen, acting for an organisation or for themself."""
    organisation = acting.organisation if acting else None
    return Actor("citizen", person.id, person.name or "", organisation_id=organisation.id if organisation else None,
                 organisation_name=organisation.name if organisation else None,
                 organisation_role=acting.role_name if acting else None)
