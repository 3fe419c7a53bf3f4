"""People who sign in (统一身份认证): a phone number first, then a real name (实名)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Boolean, DateTime, String, select
from sqlalchemy.orm import Mapped, mapped_column
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from extensions import db

from .errors import DomainError

ELDER_AGE = 60


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Person(db.Model):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str | None] = mapped_column(String(40))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
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

    is_staff = False


def normalise_phone(raw: str) -> str:
    phone = "".join(ch for ch in (raw or "") if ch.isdigit())
    if phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if len(phone) != 11 or not phone.startswith("1") or phone[1] not in "3456789":
        raise DomainError("请输入 11 位手机号码，如 13912345678", field="phone")
    return phone


def check_id_number(raw: str) -> str:
    """18-digit 居民身份证号: checksum and a real birth date (python-stdnum cn.ric)."""
    number = (raw or "").strip().upper().replace(" ", "")
    if len(number) != 18:
        raise DomainError("身份证号应为 18 位，最后一位可能是 X", field="id_number")
    try:
        return ric.validate(number)
    except ValidationError:
        raise DomainError("身份证号有误，请逐位核对（出生日期或最后一位校验码不对）", field="id_number")


def age_on(id_number: str, today: date) -> int:
    born = ric.get_birth_date(id_number)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def mask_id_number(number: str | None) -> str:
    """6201**********1234: first four and last four only."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str | None) -> str:
    """张* / 欧阳** : the family name only."""
    if not name:
        return ""
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


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
    """Record the real name. Without a link to the public security database (a later adapter),
    the checks are the name's form and the ID number's checksum and birth date."""
    name = (name or "").strip()
    if not (2 <= len(name) <= 20) or any(ch.isdigit() for ch in name):
        raise DomainError("请填写身份证上的姓名", field="name")
    id_number = check_id_number(id_number)
    holder = db.session.scalar(select(Person).where(Person.id_number == id_number, Person.id != person.id))
    if holder is not None:
        raise DomainError("这个身份证号已经绑定了另一个手机号。如需更换手机号，请到乡镇便民服务中心办理",
                          field="id_number")
    person.name, person.id_number, person.verified_at = name, id_number, utcnow()
    return person
