"""预约挂号 on the phone: hospital → 科室 → half day → patient → booking with a QR code."""
from flask import redirect, render_template, request

from services.appointments import (
    PERIODS,
    book_for,
    booking_of,
    bookings_of,
    cancel,
    clinic_department,
    clinic_session,
    hospitals,
    next_free,
    open_sessions,
)
from services.cases.receipts import qr_svg
from services.errors import DomainError
from web.access import applicant, citizen_required, current_actor, verified_required
from web.forms import BookingInput
from web.frontends import flow_url
from web.inputs import Parsed, parse
from web.security import no_store

from . import bp


@bp.get("/book")
def book_hospitals():
    return render_template("flows/book_hospitals.html", hospitals=hospitals())


@bp.get("/book/dept/<int:department_id>")
def book_sessions(department_id: int):
    return render_template("flows/book_sessions.html", department=clinic_department(department_id),
                           sessions=open_sessions(department_id), periods=PERIODS)


@bp.route("/book/session/<int:session_id>", methods=["GET", "POST"])
@verified_required
def book_session(session_id: int):
    session = clinic_session(session_id)
    form = Parsed(values={"who": "self", "patient_name": "", "patient_id_number": ""})
    if request.method == "POST":
        form = parse(BookingInput, request.form)
        if form.ok:
            data = form.data
            try:
                booking = book_for(session_id, applicant(), data.who, data.patient_name, data.patient_id_number,
                                   current_actor())
            except DomainError as exc:
                form.refuse(exc, "session")
            else:
                return redirect(flow_url("booking", code=booking.code), code=303)
        session = clinic_session(session_id)  # the places left may have changed meanwhile
    errors = {("session" if k not in form.values else k): v for k, v in form.errors.items()}
    return render_template("flows/book_confirm.html", session=session, errors=errors, values=form.values,
                           alternatives=next_free(session) if session.left <= 0 else []), 422 if errors else 200


@bp.get("/bookings")
@citizen_required
def bookings():
    return no_store(render_template("flows/bookings.html", bookings=bookings_of(applicant().id)))


@bp.route("/bookings/<code>", methods=["GET", "POST"])
@citizen_required
def booking(code: str):
    booking = booking_of(applicant().id, code)
    error, status = None, 200
    if request.method == "POST":  # cancel
        try:
            cancel(booking, actor=current_actor())
        except DomainError as exc:
            error, status = exc.message, 422
        else:
            return redirect(flow_url("booking", code=code), code=303)
    return no_store(render_template("flows/booking.html", booking=booking, qr=qr_svg(booking.code), error=error),
                    status)
