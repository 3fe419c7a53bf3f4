"""我的代办授权: the consents a resident gave village agents, and withdrawing one."""
from flask import redirect, render_template, request, url_for

from services.people import consent
from web.access import citizen_required, current_actor
from web.security import no_store

from . import bp


@bp.get("/my/agents")
@citizen_required
def my_agents():
    mandates = consent.of_person(current_actor().id)
    return no_store(render_template("flows/my_agents.html", mandates=mandates,
                                    agents={m.id: consent.holder(m) for m in mandates}))


@bp.post("/my/agents/<int:mandate_id>/withdraw")
@citizen_required
def my_agents_withdraw(mandate_id: int):
    consent.withdraw(current_actor(), mandate_id, request.remote_addr or "")
    return redirect(url_for("pwa.my_agents"), code=303)
