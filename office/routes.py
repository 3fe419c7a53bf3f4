"""The staff console: sign in, the queue, a case, its actions and notices, its files."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from extensions import limiter
from services import audit
from services.cases.handling import (
    ADDRESS_FIELDS,
    DELIVERY,
    Handover,
    allowed_actions,
    case_for,
    default_address,
    file_for_actor,
    handle,
    notice_event,
    open_case,
    printable_notices,
)
from services.cases.handling import queue as case_queue
from services.cases.lifecycle import STATUS_NAMES, remaining_workdays
from services.cases.materials import uploads_of
from services.cases.papers import papers_of
from services.cases.parallel import opinions
from services.cases.ratings import RATEABLE, overdue_count, rating_of
from services.cases.receipts import qr_svg
from services.cases.tracking import supplement_request, timeline
from services.clock import today
from services.errors import DomainError
from services.people import consent
from services.people.staff import authenticate
from services.places import township_name
from services.registry import registry
from services.workdays import load_calendar
from web.access import (
    SIGNIN_FLOOD,
    current_actor,
    password_login,
    sign_out,
    staff_required,
)
from web.files import send_upload
from web.forms import CaseActionInput, PageQuery, QueueQuery
from web.inputs import parse
from web.security import no_store

from . import bp


def _ip() -> str:
    return request.remote_addr or ""


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", **SIGNIN_FLOOD)
def login():
    return password_login(authenticate, "staff", "/office", "office.queue", "office/login.html", "office.second_step")


@bp.post("/logout")
@staff_required()
def logout():
    audit.record("staff", current_user.id, current_user.name, "logout", ip=_ip())
    sign_out()
    return redirect(url_for("office.login"), code=303)


HOME_ELSEWHERE = {"hospital": "office.bookings", "supervisor": "office.supervision"}  # roles that handle no case


@bp.get("/")
@staff_required()
def queue():
    if current_user.role in HOME_ELSEWHERE:
        return redirect(url_for(HOME_ELSEWHERE[current_user.role]))
    query, paging = parse(QueueQuery, request.args), parse(PageQuery, request.args)
    status, item_code = (query.data.status, query.data.item) if query.ok else ("open", "")
    page = (paging.data.page or 1) if paging.ok else 1
    items = [i for i in registry().catalog.items if i.kind == "apply"]
    return render_template("office/queue.html", listing=case_queue(current_actor(), status, item_code, page=page),
                           status=status if status in STATUS_NAMES else "open", item_code=item_code,
                           statuses=STATUS_NAMES, items=items, overdue_fixes=overdue_count(current_actor()))


def _case_page(case, errors=None, revealed=False, status=200, values=None):
    return no_store(render_template(
        "office/case.html", case=case, item=registry().catalog.get(case.item_code),
        steps=timeline(case, public=False), uploads=uploads_of(case_id=case.id),
        remaining=remaining_workdays(case, today(), load_calendar()), township=township_name(case.township_id),
        revealed=revealed, errors=errors or {}, allowed=allowed_actions(case, current_actor()), notices=printable_notices(case),
        request_event=supplement_request(case), delivery=DELIVERY, address_fields=ADDRESS_FIELDS,
        address={**default_address(case), **(values or {})}, opinions=opinions(case), **_consent_of(case),
        **_rating_of(case)), status)


def _rating_of(case) -> dict:
    """The case's rating, or, once it is done, a QR code the applicant scans at the window to rate it."""
    rating = rating_of(case)
    if rating is None and case.status in RATEABLE:
        return {"rating": None, "rate_qr": qr_svg(f"{registry().public_base_url}/my/{case.number}/rate")}
    return {"rating": rating, "rate_qr": None}


def _consent_of(case) -> dict:
    """A case an agent submitted (代办): the consent it rests on and the agent's papers."""
    mandate = consent.of_case(case)
    if mandate is None:
        return {}
    return {"consent": mandate, "consent_holder": consent.holder(mandate), "papers": papers_of(case)}


@bp.get("/cases/<int:case_id>")
@staff_required()
def case_page(case_id: int):
    return _case_page(open_case(current_actor(), case_id, _ip()))


@bp.post("/cases/<int:case_id>/reveal")
@staff_required()
def reveal_id(case_id: int):
    return _case_page(open_case(current_actor(), case_id, _ip(), reveal=True), revealed=True)


@bp.post("/cases/<int:case_id>/act/<name>")
@staff_required()
def case_action(case_id: int, name: str):
    actor = current_actor()
    case = case_for(actor, case_id)
    form = parse(CaseActionInput, request.form)
    try:
        if not form.ok:
            raise DomainError(next(iter(form.errors.values())), field=next(iter(form.errors)))
        data = form.data
        result = request.files.get("result")
        handover = Handover(data.method, data.tracking_number, request.form,
                            (result.filename, result.read()) if result and result.filename else None)
        handle(actor, case, name, data.note, data.decision, data.materials, handover, _ip())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _case_page(case_for(actor, case_id), errors={exc.field or "action": exc.message},
                          status=exc.status if exc.status in (409, 422) else 422,
                          values={k: request.form.get(k, "")[:60] for k in ADDRESS_FIELDS})
    return redirect(url_for("office.case_page", case_id=case.id), code=303)


@bp.get("/cases/<int:case_id>/notice/<kind>")
@staff_required()
def notice(case_id: int, kind: str):
    case = case_for(current_actor(), case_id)
    event = notice_event(case, kind)
    return render_template("office/notice.html", case=case, item=registry().catalog.get(case.item_code), kind=kind,
                           title=printable_notices(case)[kind], event=event, township=township_name(case.township_id))


@bp.get("/files/<key>")
@staff_required()
def material_file(key: str):
    return send_upload(file_for_actor(current_actor(), key, _ip()))
