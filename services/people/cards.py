"""Identifying a person at a kiosk: a second-generation ID card (二代身份证) laid on the reader,
or an ID number typed on the keypad, then an SMS code to the phone. What the reader sends comes
through the kiosk's browser, so every field is checked again here: nothing is trusted beyond
what the ID number's own rules and the card's dates allow.

A card read at a registered kiosk records the real name as `id_card`, the stronger check. A
typed number only identifies a person already verified with that number: a first real name
needs the card (the kiosk has no Chinese keyboard for a name, and the card proves more)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from services import inputs
from services.audit import record
from services.errors import DomainError
from services.people.identity import TAKEN, Person, bind_real_name

LONG_TERM = "长期"


@dataclass(frozen=True)
class Card:
    name: str
    id_number: str
    valid_until: date | None  # None: 长期 (valid for life)
    via: str  # "id_card" or "typed"


def read_card(fields, today: date) -> Card:
    """A card as the reader gave it (name, ID number, sex, birth date, expiry), checked."""
    name = inputs.person_name(fields.get("name", ""), field="card")
    number = inputs.id_number(fields.get("id_number", ""), today, field="card")
    born = inputs.digits(fields.get("born", ""), "card", "读卡信息不完整，请重新放卡")
    if born and born != number[6:14]:
        raise inputs.InvalidInput("读卡信息不一致，请重新放卡", field="card")
    sex = inputs.text(fields.get("sex", ""), 4, field="card")
    if sex and sex not in ("男", "女"):
        raise inputs.InvalidInput("读卡信息不完整，请重新放卡", field="card")
    if sex and (sex == "女") != (inputs.sex_of(number) == "female"):
        raise inputs.InvalidInput("读卡信息不一致，请重新放卡", field="card")
    valid_until = _expiry(fields.get("valid_until", ""))
    if valid_until is not None and valid_until < today:
        raise DomainError(f"这张身份证已于 {valid_until:%Y年%m月%d日} 过期，请使用有效证件或到窗口办理", field="card")
    return Card(name, number, valid_until, "id_card")


def _expiry(raw) -> date | None:
    value = inputs.text(raw, 10, field="card").replace(".", "").replace("-", "")
    if value == LONG_TERM:
        return None
    if not re.fullmatch(r"[0-9]{8}", value, re.ASCII):
        raise inputs.InvalidInput("读卡信息不完整，请重新放卡", field="card")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise inputs.InvalidInput("读卡信息不完整，请重新放卡", field="card") from None


def typed(raw_number, today: date) -> Card:
    return Card("", inputs.id_number(raw_number, today), None, "typed")


def phone_on_file(card: Card) -> str | None:
    """The phone a verified person with this ID number signs in with, if any."""
    return db.session.scalar(select(Person.phone).where(Person.id_number == card.id_number))


def confirm(person: Person, card: Card, kiosk_id: int, kiosk_name: str) -> Person:
    """After the SMS code: the phone's owner must be the card's holder. A first real name is
    recorded from the card; a typed one is upgraded when the card is read."""
    if person.id_number and person.id_number != card.id_number:
        raise DomainError("这个手机号已实名为其他人。请用本人的手机号，或到窗口办理", field="phone")
    if not person.id_number:
        if card.via != "id_card":
            raise DomainError("第一次在自助终端办事，请把身份证放在读卡器上（或先在手机上完成实名认证）",
                              field="id_number")
        try:
            person = bind_real_name(person, card.name, card.id_number, via="id_card")
        except DomainError:
            db.session.rollback()
            raise
    elif card.via == "id_card" and person.verified_via != "id_card":
        before = person.name
        person.verified_via, person.name = "id_card", card.name  # the chip is the stronger record
        if before != card.name:
            record("kiosk", kiosk_id, kiosk_name, "card_corrected_name", f"person:{person.id}",
                   {"before": before, "after": card.name}, commit=False)
    record("kiosk", kiosk_id, kiosk_name, "kiosk_identify", f"person:{person.id}", {"via": card.via}, commit=False)
    try:
        db.session.commit()
    except IntegrityError:  # the same ID number bound to another phone a moment ago
        db.session.rollback()
        raise DomainError(TAKEN, field="phone") from None
    return person
