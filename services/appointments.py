"""预约挂号: hospitals and their 科室 offer sessions (a date, morning or afternoon, a doctor or
not) with a capacity. A place is taken by one guarded UPDATE, so the last place goes to exactly
one person however many ask at once; a person holds one active booking per session."""
from __future__ import annotations

import secrets
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from services import inputs
from services.clock import CHINA, today, utcnow
from services.errors import DomainError, NotFound
from services.outbox import enqueue
from services.people.identity import Person
from services.sealing import Sealed, sealed_value
from services.sms import message

PERIODS = {"am": "上午", "pm": "下午"}
CLOSES = {"am": time(11, 30), "pm": time(17, 0)}  # no booking for a half day already under way
CANCEL_CUTOFF = time(17, 0)  # the day before, China time
DAYS_AHEAD = 7


class Hospital(db.Model):
    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    departments = relationship("ClinicDepartment", order_by="ClinicDepartment.id", back_populates="hospital")


class ClinicDepartment(db.Model):
    __tablename__ = "clinic_departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(Integer)  # places per half day
    doctor: Mapped[str] = mapped_column(String(40), default="")
    hospital = relationship("Hospital", back_populates="departments")


class ClinicSession(db.Model):
    __tablename__ = "clinic_sessions"
    __table_args__ = (Index("ix_clinic_sessions_department_day", "department_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("clinic_departments.id"))
    day: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(2))
    doctor: Mapped[str] = mapped_column(String(40), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    department = relationship("ClinicDepartment")

    @property
    def left(self) -> int:
        return self.capacity - self.booked

    @property
    def label(self) -> str:
        weekday = "一二三四五六日"[self.day.weekday()]
        return (f"{self.day:%-m月%-d日}（周{weekday}）{PERIODS[self.period]}"
                + (f" {self.doctor}" if self.doctor else ""))


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        # One active booking per patient per session, enforced by the database itself.
        Index("uq_bookings_active_patient", "session_id", "patient_id_number_index", unique=True,
              sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # on the QR shown at the hospital
    session_id: Mapped[int] = mapped_column(ForeignKey("clinic_sessions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    actor_kind: Mapped[str] = mapped_column(String(12), default="citizen")  # who booked: a kiosk, an agent …
    actor_id: Mapped[int | None] = mapped_column(Integer)
    patient_name: Mapped[str] = mapped_column(String(40))
    _patient_id_number: Mapped[str] = mapped_column("patient_id_number", Sealed("bookings.patient_id_number"))
    patient_id_number_index: Mapped[str] = mapped_column(String(64))
    patient_id_number = sealed_value("patient_id_number", "id_number")
    status: Mapped[str] = mapped_column(String(12), default="booked")  # booked | cancelled | checked_in
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    session = relationship("ClinicSession")

    @property
    def status_name(self) -> str:
        return {"booked": "已预约", "cancelled": "已取消", "checked_in": "已取号"}[self.status]


def hospitals() -> list[Hospital]:
    return list(db.session.scalars(select(Hospital).order_by(Hospital.id)))


def bookable(session: ClinicSession, now: datetime | None = None) -> bool:
    moment = (now or utcnow()).astimezone(CHINA)
    closes = datetime.combine(session.day, CLOSES[session.period], tzinfo=CHINA)
    return moment < closes and session.day <= moment.date() + timedelta(days=DAYS_AHEAD)


def open_sessions(department_id: int, from_day: date | None = None) -> list[ClinicSession]:
    start = from_day or today()
    sessions = db.session.scalars(
        select(ClinicSession).where(ClinicSession.department_id == department_id,
                                    ClinicSession.day >= start, ClinicSession.day <= start + timedelta(days=DAYS_AHEAD))
        .order_by(ClinicSession.day, ClinicSession.period, ClinicSession.doctor))
    return [s for s in sessions if bookable(s)]


def next_free(session: ClinicSession, limit: int = 3) -> list[ClinicSession]:
    return [s for s in open_sessions(session.department_id, session.day) if s.left > 0 and s.id != session.id][:limit]


def book(session_id: int, person: Person, patient_name: str, patient_id_number: str, actor=None) -> Booking:
    """Take one place, or say why not. The UPDATE only succeeds while places are left."""
    if not person.is_verified:
        raise DomainError("请先完成实名认证")
    name = inputs.person_name(patient_name, field="patient_name", label="就诊人姓名")
    id_number = inputs.id_number(patient_id_number, field="patient_id_number")
    session = clinic_session(session_id)
    if not bookable(session):
        raise DomainError("这个时段已经不能预约了，请选别的时间", field="session")
    taken = db.session.execute(update(ClinicSession)
                               .where(ClinicSession.id == session_id, ClinicSession.booked < ClinicSession.capacity)
                               .values(booked=ClinicSession.booked + 1))
    if taken.rowcount != 1:
        db.session.rollback()
        raise DomainError("这个时段已经约满了", field="session")
    booking = Booking(code=secrets.token_urlsafe(16), session_id=session_id, person_id=person.id,
                      patient_name=name, patient_id_number=id_number,
                      actor_kind=actor.kind if actor else "citizen", actor_id=actor.id if actor else person.id)
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError:  # the same patient already holds this session: give the place back
        db.session.rollback()
        raise DomainError("这位就诊人已经预约了这个时段", field="patient_id_number")
    hospital = session.department.hospital
    enqueue("sms", person.phone, message("booking", name=name, hospital=hospital.name,
                                         department=session.department.name, session=session.label),
            dedupe_key=f"booking:{booking.code}:booked")
    db.session.commit()
    return booking


def book_for(session_id: int, person: Person, who: str, patient_name="", patient_id_number="",
             actor=None) -> Booking:
    """Book for oneself or for a family member. A double tap or a retry of a booking that went
    through answers with that booking, not with an error."""
    if who == "self":
        patient_name, patient_id_number = person.name, person.id_number
    try:
        return book(session_id, person, patient_name, patient_id_number, actor)
    except DomainError:
        mine = _active_booking(session_id, person.id, patient_id_number)
        if mine is not None:
            return mine
        raise


def _active_booking(session_id: int, person_id: int, id_number) -> Booking | None:
    try:
        number = inputs.id_number(id_number)
    except DomainError:
        return None
    return db.session.scalar(select(Booking).where(Booking.session_id == session_id, Booking.person_id == person_id,
                                                   Booking.patient_id_number == number, Booking.status == "booked"))


def clinic_session(session_id: int) -> ClinicSession:
    session = db.session.get(ClinicSession, session_id) if inputs.is_row_id(session_id) else None
    if session is None:
        raise NotFound("没有这个号源")
    return session


def clinic_department(department_id: int) -> ClinicDepartment:
    department = db.session.get(ClinicDepartment, department_id) if inputs.is_row_id(department_id) else None
    if department is None:
        raise NotFound("没有这个科室")
    return department


def booking_of(person_id: int, code: str) -> Booking:
    booking = db.session.scalar(select(Booking).where(Booking.code == code)) if inputs.is_key(code, 32, "-_") else None
    if booking is None or booking.person_id != person_id:
        raise NotFound("没有找到这个预约")
    return booking


def booking_by_code(code: str) -> Booking:
    """A booking by the code on its QR, for showing its state to whoever holds the slip (a
    kiosk's scanner): the code is a 16-byte random token, so holding it is the proof."""
    booking = db.session.scalar(select(Booking).where(Booking.code == code)) if inputs.is_key(code, 32, "-_") else None
    if booking is None:
        raise NotFound("没有找到这个预约")
    return booking


def cancel(booking: Booking, now: datetime | None = None, actor=None) -> None:
    """Cancel before the cut-off; someone cancelling for the person (a kiosk, an agent) is in the audit log."""
    if booking.status != "booked":
        raise DomainError("这个预约已经不能取消")
    moment = (now or utcnow()).astimezone(CHINA)
    cutoff = datetime.combine(booking.session.day - timedelta(days=1), CANCEL_CUTOFF, tzinfo=CHINA)
    if moment > cutoff:
        raise DomainError("已过取消时间（就诊前一天 17:00），请直接联系医院")
    changed = db.session.execute(update(Booking).where(Booking.id == booking.id, Booking.status == "booked")
                                 .values(status="cancelled", cancelled_at=utcnow()))
    if changed.rowcount == 1:  # free the place exactly once
        db.session.execute(update(ClinicSession).where(ClinicSession.id == booking.session_id)
                           .values(booked=ClinicSession.booked - 1))
        if actor is not None and actor.kind != "citizen":
            from services.audit import record

            record(actor.kind, actor.id, actor.name, "cancel_booking", f"booking:{booking.id}",
                   {"person": booking.person_id}, commit=False)
    db.session.commit()
    db.session.refresh(booking)


def bookings_of(person_id: int) -> list[Booking]:
    return list(db.session.scalars(select(Booking).where(Booking.person_id == person_id)
                                   .order_by(Booking.created_at.desc())))


def load_hospitals(path: Path) -> int:
    """Hospitals and their 科室 (reference data), once."""
    if db.session.scalar(select(func.count()).select_from(Hospital)):
        return 0
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for h in data["hospitals"]:
        hospital = Hospital(code=h["code"], name=h["name"], address=h["address"], phone=h["phone"])
        db.session.add(hospital)
        for d in h["departments"]:
            db.session.add(ClinicDepartment(hospital=hospital, name=d["name"], capacity=d["capacity"],
                                            doctor=d.get("doctor", "")))
    db.session.commit()
    return len(data["hospitals"])


def open_coming_week(start: date | None = None) -> int:
    """Sessions for every 科室 on the working days of the coming week, where missing."""
    from services.workdays import load_calendar

    calendar, start = load_calendar(), start or today()
    have = set(db.session.execute(select(ClinicSession.department_id, ClinicSession.day, ClinicSession.period)
                                  .where(ClinicSession.day >= start)).all())
    added = 0
    for dept in db.session.scalars(select(ClinicDepartment)):
        for offset in range(DAYS_AHEAD + 1):
            day = start + timedelta(days=offset)
            if not calendar.is_workday(day):
                continue
            for period in PERIODS:
                if (dept.id, day, period) not in have:
                    db.session.add(ClinicSession(department_id=dept.id, day=day, period=period,
                                                 doctor=dept.doctor, capacity=dept.capacity))
                    added += 1
    db.session.commit()
    return added


def day_bookings(hospital_id: int, day: date) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).join(ClinicSession).join(ClinicDepartment)
        .where(ClinicDepartment.hospital_id == hospital_id, ClinicSession.day == day, Booking.status != "cancelled")
        .order_by(ClinicSession.period, ClinicDepartment.name, Booking.id)))


def check_in(hospital_id: int, code: str, on: date | None = None, actor=None, ip: str = "") -> Booking:
    """At the hospital, by the code on the booking's QR: only today's, only once."""
    code = code.strip() if isinstance(code, str) else ""
    booking = db.session.scalar(select(Booking).where(Booking.code == code)) if inputs.is_key(code, 32, "-_") else None
    if booking is None or booking.session.department.hospital_id != hospital_id:
        raise NotFound("没有找到这个预约，或不是本院的号")
    if booking.session.day != (on or today()):
        raise DomainError(f"这是 {booking.session.label} 的号，今天不能取号")
    changed = db.session.execute(update(Booking).where(Booking.id == booking.id, Booking.status == "booked")
                                 .values(status="checked_in"))
    db.session.commit()
    db.session.refresh(booking)
    if changed.rowcount != 1:
        raise DomainError(f"这个预约{booking.status_name}，不能再取号")
    if actor is not None:
        from services.audit import record

        record(actor.kind, actor.id, actor.name, "check_in", f"booking:{booking.id}", ip=ip)
    return booking
