"""部门接收地址: where each department system's case events are delivered (webhooks), the
delivery log (the outbox's rows), and sending one again."""
from flask import current_app, redirect, render_template, request, url_for

from services.department_api import system_departments
from services.errors import DomainError
from services.exchange import webhooks
from services.registry import registry
from web.access import current_actor, staff_required

from . import bp


def _systems() -> list[str]:
    return current_app.config["EXCHANGE_SYSTEMS"]


@bp.route("/webhooks", methods=["GET", "POST"])
@staff_required("admin")
def webhook_list():
    systems = _systems()
    system = request.values.get("system", "")
    system = system if system in systems else systems[0]
    error, status = "", 200
    if request.method == "POST":
        try:
            if request.form.get("remove"):
                webhooks.remove(current_actor(), system, request.remote_addr or "")
            else:
                webhooks.register(current_actor(), system, request.form.get("url", ""), systems,
                                  registry().production, request.remote_addr or "")
        except DomainError as exc:
            error, status = exc.message, 422
        else:
            return redirect(url_for("office.webhook_list", system=system), code=303)
    names = system_departments()
    return render_template("office/webhooks.html", systems=systems, system=system, names=names,
                           hook=webhooks.webhook_of(system), log=webhooks.deliveries(system), error=error,
                           typed=request.form.get("url", "")), status


@bp.post("/webhooks/deliveries/<int:message_id>/replay")
@staff_required("admin")
def webhook_replay(message_id: int):
    message = webhooks.replay(current_actor(), message_id, request.remote_addr or "")
    return redirect(url_for("office.webhook_list", system=message.recipient), code=303)
