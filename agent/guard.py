"""Who may use the agent pages, checked before any view runs: a signed-in, still active agent
account (a disabled one is out at its next request), not idle for 30 minutes; and on a
resident's pages, a consent of theirs in force that covers what the page does."""
from flask import current_app, g, redirect, render_template, request

from services import audit
from services.errors import NotFound
from services.people import consent
from services.people.identity import get_person
from services.registry import registry
from web.access import (
    account_kind,
    current_actor,
    password_change_due,
    signin_again_url,
)

from . import bp

OPEN = {"agent.login", "agent.second_step"}
MANDATE = "mandate_id"
# Resident pages whose item is not in the URL: the catalog's only item of that kind.
KIND_OF = {"book_hospitals": "appointment", "book_sessions": "appointment", "book_session": "appointment",
           "bookings": "appointment", "booking": "appointment", "pay_order": "payment", "pay_sandbox": "payment"}


@bp.url_value_preprocessor
def take_mandate(endpoint, values):
    g.mandate_id = values.pop(MANDATE, None) if values else None


@bp.url_defaults
def keep_mandate(endpoint, values):
    """Links on a resident's page stay with that resident (flow templates name no consent)."""
    mandate_id = g.get("mandate_id")
    if mandate_id is not None and MANDATE not in values and endpoint in _resident_pages():
        values[MANDATE] = mandate_id


def _resident_pages() -> set[str]:
    pages = current_app.extensions.get("agent_resident_pages")
    if pages is None:  # the URL map is complete once requests are served: worked out once
        pages = {rule.endpoint for rule in current_app.url_map.iter_rules() if MANDATE in rule.arguments}
        current_app.extensions["agent_resident_pages"] = pages
    return pages


@bp.before_request
def agents_only():
    if request.endpoint in OPEN:
        return None
    if account_kind() != "agent":
        if g.get("session_ended") == "disabled":  # disabled while signed in: told so, not sent to sign in
            return render_template("agent/refused.html"), 403
        return redirect(signin_again_url("agent.login"))
    if (due := password_change_due("agent")) is not None:
        return due
    if g.mandate_id is not None:
        mandate = consent.in_force(current_actor(), g.mandate_id)  # NotFound: 404, nothing shown
        _in_scope(mandate, request.endpoint, request.view_args or {})  # before anything of theirs shows
        g.mandate, g.applicant = mandate, get_person(mandate.person_id)
        # Every request on a resident's pages reads their personal data (a form shown again
        # after a refused POST too): each one is in the audit log.
        log_read(mandate, method=request.method, **{k: str(v)[:40] for k, v in (request.view_args or {}).items()})
    return None


def log_read(mandate, **detail) -> None:
    """An agent's read of a resident's personal data, in the audit log: whose, under which consent, which page."""
    actor = current_actor()
    audit.record(actor.kind, actor.id, actor.name, "agent_read", f"person:{mandate.person_id}",
                 {"mandate": mandate.id, "page": request.endpoint, **detail}, ip=request.remote_addr or "")


ITEM_PAGES = {"apply_form", "apply_materials", "apply_check", "apply_submit", "apply_remove_file", "query", "pay"}


def _in_scope(mandate, endpoint: str, args: dict) -> None:
    """Item pages: only items an agent may do, and only the consent's item if it names one."""
    name = endpoint.split(".")[-1]
    if name in ITEM_PAGES:
        item = consent.by_agent(registry().catalog.get(args.get("code", "")))
        if not mandate.covers(item.code):
            raise NotFound("这份委托不包括这个事项")
    elif name in KIND_OF:
        kind = KIND_OF[name]
        allowed = [i for i in registry().catalog.items if i.kind == kind and i.by_agent and mandate.covers(i.code)]
        if not allowed:
            raise NotFound("这份委托不包括这个事项")
        if name in ("pay_order", "pay_sandbox"):
            from services.payments import order_of

            if order_of(mandate.person_id, args.get("number", "")).item_code not in {i.code for i in allowed}:
                raise NotFound("这份委托不包括这个事项")


@bp.after_request
def never_kept(response):
    """Pages of residents' data are not kept by the station's browser."""
    response.headers["Cache-Control"] = "no-store"
    return response
