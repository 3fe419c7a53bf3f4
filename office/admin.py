"""Administrators: accounts, the audit log, the year's holiday arrangement."""
from flask import render_template, request

from services import audit
from services.cases.handling import load_year, loaded_years
from services.errors import DomainError
from services.people import sessions
from services.people.staff import ROLES, open_account
from services.people.staff import accounts as staff_accounts
from services.places import township_choices
from services.registry import registry
from web.access import current_actor, staff_required
from web.forms import AccountInput, CalendarInput
from web.inputs import Parsed, parse

from . import bp
from .handover import hand_over


def _departments() -> list[str]:
    return sorted({i.department for i in registry().catalog.items})


@bp.route("/accounts", methods=["GET", "POST"])
@staff_required("admin")
def accounts():
    form = Parsed(values={k: "" for k in AccountInput.model_fields})
    if request.method == "POST":
        form = parse(AccountInput, request.form)
        form.values["password"] = ""
        if form.ok:
            data = form.data
            try:
                handover = open_account(current_actor(), data.username, data.password, data.name, data.role,
                                        data.township_id, data.department or None, request.remote_addr or "")
            except DomainError as exc:
                form.refuse(exc, "username")
            else:
                return hand_over(handover, new=True)
    townships = township_choices()
    return render_template(
        "office/accounts.html", form=form, users=staff_accounts(), townships=dict(townships),
        online=sessions.live_counts("staff"),
        roles=[("", "请选择")] + list(ROLES.items()),
        township_options=[("", "（不适用）")] + [(str(t), n) for t, n in townships],
        department_options=[("", "（不适用）")] + [(d, d) for d in _departments()]), 422 if form.errors else 200


@bp.get("/audit")
@staff_required("admin")
def audit_log():
    action = request.args.get("action") or None
    entries = audit.read_log(current_actor(), action, request.args.get("target"), request.remote_addr or "")
    return render_template("office/audit.html", entries=entries, actions=audit.ACTION_NAMES, action=action)


@bp.route("/calendar", methods=["GET", "POST"])
@staff_required("admin")
def calendar():
    form, moved = Parsed(values={"year": "", "source": "", "arrangement": ""}), None
    if request.method == "POST":
        form = parse(CalendarInput, request.form)
        if form.ok:
            try:
                _, moved = load_year(current_actor(), form.data.year, form.data.arrangement, form.data.source,
                                     request.remote_addr or "")
            except DomainError as exc:
                form.refuse(exc, "arrangement")
    return (render_template("office/calendar.html", form=form, years=loaded_years(), moved=moved),
            422 if form.errors else 200)
