"""Hospital staff: the day's bookings and 取号 (check-in) by the code on the patient's QR."""
from flask import render_template, request
from flask_login import current_user

from services.appointments import PERIODS, check_in, day_bookings
from services.clock import today
from services.errors import DomainError
from web.access import current_actor, staff_required
from web.forms import CheckInInput
from web.inputs import parse

from . import bp


@bp.route("/bookings", methods=["GET", "POST"])
@staff_required("hospital")
def bookings():
    message, error, status = None, None, 200
    if request.method == "POST":
        form = parse(CheckInInput, request.form)
        try:
            if not form.ok:
                raise DomainError(form.errors["code"])
            booking = check_in(current_user.hospital_id, form.data.code, actor=current_actor(),
                               ip=request.remote_addr or "")
        except DomainError as exc:
            error, status = exc.message, 422
        else:
            message = f"已取号：{booking.patient_name}，{booking.session.department.name} {booking.session.label}"
    return render_template("office/bookings.html", rows=day_bookings(current_user.hospital_id, today()),
                           periods=PERIODS, message=message, error=error), status
