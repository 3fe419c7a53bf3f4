"""预约挂号 on the phone: hospital → 科室 → half day → patient → booking with a QR code."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from services.appointments import (PERIODS, Booking, ClinicDepartment, ClinicSession, book, bookings_of,
                                   cancel, hospitals, next_free, open_sessions)
from services.errors import DomainError, NotFound
from services.receipts import qr_svg
from web.access import citizen_required, verified_required
from web.security import no_store

from . import bp


@bp.get("/book")
def book_hospitals():
    return render_template("pwa/book_hospitals.html", hospitals=hospitals())


@bp.get("/book/dept/<int:department_id>")
def book_sessions(department_id: int):
    department = db.session.get(ClinicDepartment, department_id)
    if department is None:
        raise NotFound("没有这个科室")
    return render_template("pwa/book_sessions.html", department=department,
                           sessions=open_sessions(department_id), periods=PERIODS)


@bp.route("/book/session/<int:session_id>", methods=["GET", "POST"])
@verified_required
def book_session(session_id: int):
    session = db.session.get(ClinicSession, session_id)
    if session is None:
        raise NotFound("没有这个号源")
    errors, values, status = {}, {"who": "self", "patient_name": "", "patient_id_number": ""}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip()[:30] for k in values}
        self_ = values["who"] == "self"
        name = current_user.name if self_ else values["patient_name"]
        id_number = current_user.id_number if self_ else values["patient_id_number"]
        try:
            booking = book(session_id, current_user, name, id_number)
        except DomainError as exc:
            mine = _existing(session_id, id_number)
            if mine is not None:  # a double tap: the first booking stands
                return redirect(url_for("pwa.booking", code=mine.code), code=303)
            errors[exc.field or "session"], status = exc.message, 422
            db.session.refresh(session)
        else:
            return redirect(url_for("pwa.booking", code=booking.code), code=303)
    return render_template("pwa/book_confirm.html", session=session, errors=errors, values=values,
                           alternatives=next_free(session) if session.left <= 0 else []), status


def _existing(session_id: int, id_number: str):
    return db.session.scalar(select(Booking).where(Booking.session_id == session_id, Booking.person_id == current_user.id,
                                                   Booking.patient_id_number == (id_number or "").upper(),
                                                   Booking.status == "booked"))


def _own(code: str) -> Booking:
    booking = db.session.scalar(select(Booking).where(Booking.code == code))
    if booking is None or booking.person_id != current_user.id:
        raise NotFound("没有找到这个预约")
    return booking


@bp.get("/bookings")
@citizen_required
def bookings():
    return no_store(render_template("pwa/bookings.html", bookings=bookings_of(current_user.id)))


@bp.route("/bookings/<code>", methods=["GET", "POST"])
@citizen_required
def booking(code: str):
    booking = _own(code)
    error, status = None, 200
    if request.method == "POST":  # cancel
        try:
            cancel(booking)
        except DomainError as exc:
            error, status = exc.message, 422
        else:
            return redirect(url_for("pwa.booking", code=code), code=303)
    return no_store(render_template("pwa/booking.html", booking=booking, qr=qr_svg(booking.code), error=error),
                    status)
