"""The agent's desk (代办工作台): what needs doing for their residents, the consents they hold,
paper consents of their village waiting for a second person; and one resident's page."""
from flask import g, redirect, render_template, request, url_for

from services import audit
from services.cases.agent_desk import desk
from services.cases.handling import case_for
from services.cases.tracking import cases_of
from services.errors import NotFound
from services.people import consent
from services.people.identity import get_person
from services.places import get_village
from web.access import current_actor

from . import bp
from .consents import agent_items


@bp.get("/")
def home():
    actor = current_actor()
    work = desk(actor)
    shown = {case.number for rows in (work.supplement, work.near_deadline, work.hand_back, work.in_progress)
             for case, _ in rows}
    mandates, to_confirm = consent.held_by(actor), consent.to_confirm(actor)
    if shown or mandates or to_confirm:  # residents' names (masked) and cases: a read of personal data
        audit.record(actor.kind, actor.id, actor.name, "agent_desk", f"village:{actor.village_id}",
                     {"cases": len(shown), "consents": len(mandates), "to_confirm": len(to_confirm)},
                     ip=request.remote_addr or "")
    people = {m.person_id: get_person(m.person_id) for m in mandates}
    return render_template("agent/home.html", desk=work, mandates=mandates, people=people,
                           to_confirm=to_confirm, village=get_village(actor.village_id))


@bp.get("/r/<int:mandate_id>/")
def resident():
    """One resident under a consent in force (the guard has checked it): what may be done, their cases."""
    actor = current_actor()  # the read is audit-logged by agent.guard
    items = [i for i in agent_items() if g.mandate.covers(i.code)]
    return render_template("agent/resident.html", mandate=g.mandate, person=g.applicant, items=items,
                           cases=cases_of(actor), village=get_village(g.mandate.village_id))


@bp.get("/cases/<number>")
def case(number: str):
    """A case from the desk: opened on its resident's page, under a consent in force covering it."""
    actor = current_actor()
    mandate = consent.covering(actor, case_for(actor, number=number))
    if mandate is None:  # withdrawn between the two reads
        raise NotFound("没有找到这个办件，或不在您的办理范围内")
    return redirect(url_for("agent.my_case", mandate_id=mandate.id, number=number), code=303)
