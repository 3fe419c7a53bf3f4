"""Administrators: accounts, the audit log, the year's holiday arrangement."""
from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from services import audit
from services.cases import recompute_open_deadlines
from services.errors import DomainError
from services.places import township_choices
from services.staff import ROLES, StaffUser, create_account
from services.workdays import CalendarYear, load_calendar, store_arrangement
from web.forms import attach_error
from web.access import staff_required

from . import bp
from .forms import AccountForm, CalendarForm


def _departments() -> list[str]:
    return sorted({i.department for i in current_app.extensions["catalog"].items})


@bp.route("/accounts", methods=["GET", "POST"])
@staff_required("admin")
def accounts():
    form = AccountForm()
    form.role.choices = list(ROLES.items())
    form.township_id.choices = [("", "（不适用）")] + [(str(t), n) for t, n in township_choices()]
    form.department.choices = [("", "（不适用）")] + [(d, d) for d in _departments()]
    if form.validate_on_submit():
        try:
            create_account(form.username.data, form.password.data, form.name.data, form.role.data,
                           int(form.township_id.data) if form.township_id.data.isdigit() else None,
                           form.department.data or None, created_by=current_user.name)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc, "username")
        else:
            return redirect(url_for("office.accounts"), code=303)
    users = list(db.session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)))
    return render_template("office/accounts.html", form=form, users=users,
                           townships=dict(township_choices())), 422 if form.errors else 200


@bp.get("/audit")
@staff_required("admin")
def audit_log():
    action = request.args.get("action") or None
    entries = audit.recent(300, action=action if action in audit.ACTION_NAMES else None,
                           target=request.args.get("target") or None)
    audit.record("staff", current_user.id, current_user.name, "view_audit", ip=request.remote_addr or "")
    return render_template("office/audit.html", entries=entries, actions=audit.ACTION_NAMES, action=action)


@bp.route("/calendar", methods=["GET", "POST"])
@staff_required("admin")
def calendar():
    form = CalendarForm()
    moved = None
    if form.validate_on_submit():
        try:
            year = int(form.year.data) if form.year.data.isdigit() else 0
            if not 2000 < year < 2100:
                raise DomainError("请填写四位年份，如 2027", field="year")
            days = store_arrangement(year, form.arrangement.data, form.source.data, current_user.name)
            moved = recompute_open_deadlines(load_calendar())
            audit.record("staff", current_user.id, current_user.name, "load_calendar", f"year:{year}",
                         {"days": days, "deadlines_moved": moved}, commit=False)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc, "arrangement")
    years = list(db.session.scalars(select(CalendarYear).order_by(CalendarYear.year)))
    return render_template("office/calendar.html", form=form, years=years, moved=moved), 422 if form.errors else 200
