"""Village agents in the console: accounts kept by the township administrator (or the county's),
the consent behind a case submitted by an agent, and the figures per village (supervision)."""
from flask import redirect, render_template, request, url_for

from services import audit
from services.cases.agent_desk import per_village
from services.cases.handling import case_for
from services.errors import DomainError
from services.people import agents, consent
from services.people.consent import case_evidence
from services.places import villages_of
from web.access import current_actor, staff_required
from web.files import send_upload
from web.forms import AgentInput
from web.inputs import Parsed, parse

from . import bp
from .handover import hand_over


def _ip() -> str:
    return request.remote_addr or ""


@bp.route("/agents", methods=["GET", "POST"])
@staff_required("admin", "town_admin")
def agent_list():
    actor = current_actor()
    form = Parsed(values={k: "" for k in AgentInput.model_fields})
    if request.method == "POST":
        form = parse(AgentInput, request.form)
        form.values["password"] = ""
        if form.ok:
            data = form.data
            try:
                handover = agents.create_agent(actor, data.username, data.password, data.name, data.village_id,
                                               data.role, _ip())
            except DomainError as exc:
                form.refuse(exc, "username")
            else:
                return hand_over(handover, new=True)
    villages = villages_of(None if actor.role == "admin" else actor.township_id)
    return render_template("office/agents.html", form=form, agents=agents.agents_kept_by(actor),
                           villages={v.id: v for v in villages},
                           village_options=[("", "请选择")] + [(str(v.id), v.shown_name) for v in villages],
                           roles=[("", "请选择")] + list(agents.ROLES.items())), form.status


@bp.post("/agents/<int:agent_id>/active")
@staff_required("admin", "town_admin")
def agent_active(agent_id: int):
    agents.set_active(current_actor(), agent_id, request.form.get("active") == "1", _ip())
    return redirect(url_for("office.agent_list"), code=303)


@bp.post("/agents/<int:agent_id>/password")
@staff_required("admin", "town_admin")
def agent_password_reset(agent_id: int):
    """A temporary password to hand the agent in person, shown this once."""
    return hand_over(agents.reset_password(current_actor(), agent_id, _ip()))


@bp.post("/agents/<int:agent_id>/two-factor")
@staff_required("admin", "town_admin")
def agent_two_factor_reset(agent_id: int):
    """A new enrolment code for an agent who lost their phone, shown this once."""
    return hand_over(agents.reset_two_factor(current_actor(), agent_id, _ip()))


@bp.get("/consents")
@staff_required("admin", "window", "town_admin")
def consents():
    """A resident's consents to village agents, looked up at the window (a resident without a
    phone withdraws here): the look-up is audit-logged like every look-up of a person."""
    actor, query, person, mandates, error = current_actor(), request.args.get("q", "")[:40], None, [], None
    if query:
        try:
            person, mandates = consent.for_staff_by_id_number(actor, query, _ip())
        except DomainError as exc:
            error = exc.message
    return render_template("office/consents.html", query=query, person=person, error=error,
                           mandates=[(m, consent.holder(m)) for m in mandates]), 404 if error else 200


@bp.post("/consents/<int:mandate_id>/withdraw")
@staff_required("admin", "window", "town_admin")
def consent_withdraw(mandate_id: int):
    consent.withdraw(current_actor(), mandate_id, _ip())
    return redirect(url_for("office.consents", withdrawn=1), code=303)  # no ID number in a URL


@bp.get("/villages")
@staff_required("admin", "window", "town_admin")
def village_figures():
    return render_template("office/villages.html", rows=per_village(current_actor()))


@bp.get("/cases/<int:case_id>/consent/<key>")
@staff_required()
def consent_file(case_id: int, key: str):
    actor = current_actor()
    case = case_for(actor, case_id)
    upload = case_evidence(case, key)
    audit.record(actor.kind, actor.id, actor.name, "view_file", f"case:{case.number}", {"file": key, "consent": True},
                 ip=_ip())
    return send_upload(upload)
