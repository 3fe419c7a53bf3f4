"""A person's real name, corrected by the county's administrator after the original ID card was
checked (a typo, a new card): never by the person verifying again. A name and number open
someone's 公积金 and 社保 records, so this is the administrator's, not every window's, and
every look-up and every correction is in the audit log."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from services.errors import DomainError
from services.people.identity import correct_real_name, find_person, get_person
from web.access import staff_required
from web.forms import RealNameCorrection
from web.inputs import Parsed, parse

from . import bp


def _ip() -> str:
    return request.remote_addr or ""


@bp.route("/people", methods=["GET"])
@staff_required("admin")
def people():
    query, person, error = request.args.get("q", "")[:40], None, None
    if query:
        try:
            person = find_person(query, "staff", current_user.id, current_user.name, _ip())
        except DomainError as exc:
            error = exc.message
    return render_template("office/people.html", query=query, person=person, error=error,
                           form=Parsed(values={"name": "", "id_number": "", "reason": ""})), 404 if error else 200


@bp.post("/people/<int:person_id>/real-name")
@staff_required("admin")
def correct(person_id: int):
    person = get_person(person_id)
    form = parse(RealNameCorrection, request.form)
    if form.ok:
        try:
            correct_real_name(person, form.data.name, form.data.id_number, form.data.reason, current_user.id,
                              current_user.name, _ip())
        except DomainError as exc:
            form.refuse(exc, "id_number")
        else:
            return redirect(url_for("office.people", q=person.phone or person.id_number, done=1), code=303)
    return render_template("office/people.html", query=person.phone or person.id_number, person=person, error=None,
                           form=form), 422
