"""单位办事 (法人): choose or add the organisation one acts for, keep its details, and — as its
legal representative — authorise the persons who may act for it (经办人)."""
from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from services.cases.drafts import OrganisationNeeded
from services.errors import DomainError
from services.people import organisations
from web.access import ORGANISATION, acting_organisation, verified_required
from web.forms import AuthoriseInput, OrganisationDetailsInput, OrganisationInput
from web.inputs import Parsed, parse
from web.preferences import safe_next
from web.security import no_store

from . import bp


def _next() -> str:
    target = request.args.get("next")
    return safe_next(target) if target else url_for("pwa.organisation_home")


def _ip() -> str:
    return request.remote_addr or ""


def _acting_or_home():
    acting = acting_organisation()
    if acting is None:
        return None, redirect(url_for("pwa.organisation_home", next=request.full_path), code=303)
    return acting, None


@bp.route("/org", methods=["GET", "POST"])
@verified_required
def organisation_home():
    """My organisations, the one acted for now, and adding one by its 统一社会信用代码."""
    form = Parsed(values={"uscc": ""})
    if request.method == "POST":
        form = parse(OrganisationInput, request.form)
        if form.ok:
            try:
                acting = organisations.register(current_user, form.data.uscc, _ip())
            except DomainError as exc:
                form.refuse(exc, "uscc")
            else:
                session[ORGANISATION] = acting.organisation.id
                return redirect(url_for("pwa.organisation_details", next=request.args.get("next")), code=303)
    mine = organisations.organisations_of(current_user)
    return no_store(render_template("flows/organisations.html", form=form, mine=mine, acting=acting_organisation(),
                                    next=request.args.get("next", "")), form.status)


@bp.post("/org/<int:organisation_id>/enter")
@verified_required
def organisation_enter(organisation_id: int):
    acting = organisations.enter(current_user, organisation_id, _ip())
    session[ORGANISATION] = acting.organisation.id
    return redirect(_next(), code=303)


@bp.post("/org/leave")
@verified_required
def organisation_leave():
    session.pop(ORGANISATION, None)
    return redirect(url_for("pwa.organisation_home"), code=303)


@bp.route("/org/details", methods=["GET", "POST"])
@verified_required
def organisation_details():
    acting, away = _acting_or_home()
    if away:
        return away
    kept = acting.organisation.prefill  # what the applications are prefilled with: the same address
    form = Parsed(values={"address": kept["org_address"], "contact_name": kept["contact_name"],
                          "contact_phone": kept["contact_phone"]})
    if request.method == "POST":
        form = parse(OrganisationDetailsInput, request.form)
        if form.ok:
            try:
                organisations.update_details(acting, current_user, form.data.address,
                                             form.data.contact_name, form.data.contact_phone, _ip())
            except DomainError as exc:
                form.refuse(exc, "address")
            else:
                return redirect(_next(), code=303)
    return no_store(render_template("flows/organisation_details.html", form=form, acting=acting,
                                    next=request.args.get("next", "")), form.status)


@bp.route("/org/people", methods=["GET", "POST"])
@verified_required
def organisation_people():
    """The legal representative's page: who may act for the organisation, and until when."""
    acting, away = _acting_or_home()
    if away:
        return away
    form = Parsed(values={"name": "", "id_number": "", "months": "12"})
    if request.method == "POST":
        form = parse(AuthoriseInput, request.form)
        if form.ok:
            try:
                organisations.authorise(acting, current_user, form.data.name, form.data.id_number,
                                        form.data.months, _ip())
            except DomainError as exc:
                form.refuse(exc, "id_number")
            else:
                return redirect(url_for("pwa.organisation_people"), code=303)
    return no_store(render_template("flows/organisation_people.html", form=form, acting=acting,
                                    people=organisations.authorisations(acting)), form.status)


@bp.post("/org/people/<int:authorisation_id>/end")
@verified_required
def organisation_people_end(authorisation_id: int):
    acting, away = _acting_or_home()
    if away:
        return away
    organisations.end_authorisation(acting, current_user, authorisation_id, _ip())
    return redirect(url_for("pwa.organisation_people"), code=303)


@bp.errorhandler(OrganisationNeeded)
def organisation_needed(exc):
    """An organisation's item asked for as a person: choose or add the organisation, then come back."""
    return redirect(url_for("pwa.organisation_home", next=request.full_path.rstrip("?")), code=303)
