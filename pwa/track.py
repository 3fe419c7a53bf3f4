"""我的办件, the public progress page behind the receipt's QR code, and lookup by number."""
from flask import redirect, render_template, request

from services.cases.handling import file_for_actor
from services.cases.materials import uploads_of
from services.cases.ratings import may_rate, rating_of
from services.cases.supplements import (
    add_supplement_files,
    new_uploads,
    requested_materials,
    resubmit,
)
from services.cases.tracking import (
    cases_of,
    lookup,
    public_progress,
    supplement_request,
    timeline,
    version_by_token,
)
from services.errors import DomainError
from services.memo import LRU
from services.places import township_name
from services.registry import registry
from web.access import citizen_required, current_actor, requester
from web.files import send_upload
from web.forms import MaterialUpload, TrackLookupInput, uploaded_files
from web.frontends import flow_url, frontend, page_cacheable
from web.inputs import Parsed, parse
from web.pagecache import Held, held_response
from web.preferences import is_elder
from web.security import NO_STORE, no_store

from . import bp
from .apply import material_shown, own_case


@bp.get("/my")
@citizen_required
def my_cases():
    return no_store(render_template("flows/my_cases.html", cases=cases_of(current_actor())))


@bp.route("/my/<number>", methods=["GET", "POST"])
@citizen_required
def my_case(number: str):
    case = own_case(number)
    item = registry().catalog.get(case.item_code)
    errors, status = {}, 200
    if request.method == "POST":  # a 补正 upload
        form = parse(MaterialUpload, request.form)
        try:
            add_supplement_files(registry().storage, case, item, current_actor(),
                                 form.data.material if form.ok else None, uploaded_files(request))
        except DomainError as exc:
            errors[material_shown(requested_materials(case), form)], status = exc.message, 422
        else:
            return redirect(flow_url("my_case", number=number) + "#supplement", code=303)
    return no_store(render_template(
        "flows/my_case.html", case=case, item=item, steps=timeline(case, public=False),
        request_event=supplement_request(case), requested=requested_materials(case),
        fresh=new_uploads(case), uploads=uploads_of(case_id=case.id), errors=errors,
        rating=(rating := rating_of(case)), can_rate=may_rate(current_actor(), case, rating),
        township=township_name(case.township_id)), status)


@bp.post("/my/<number>/resubmit")
@citizen_required
def my_case_resubmit(number: str):
    case = own_case(number)
    resubmit(case, registry().catalog.get(case.item_code), current_actor())
    return redirect(flow_url("my_case", number=number), code=303)


@bp.get("/files/<key>")
@citizen_required
def material_file(key: str):
    """Files of a case (or draft) the signed-in person may see."""
    upload = file_for_actor(current_actor(), key)
    return send_upload(upload)


# The public progress page is the hottest page with data in it: rendered once per case version,
# and every event changes the version (services.cases.lifecycle.Case.last_event_at), in every worker alike.
_track_pages = LRU(5000)


@bp.get("/t/<number>")
def track(number: str):
    return held_response(track_page(*version_by_token(number, request.args.get("k", ""))), NO_STORE)


def track_page(case_id: int, version: int) -> Held:
    """The public progress page of a case at this version, from memory where the layout allows."""
    key = (frontend(), case_id, version, is_elder(request))
    page = _track_pages.get(key) if page_cacheable() else None
    if page is None:
        progress = public_progress(case_id)
        page = Held(render_template("flows/track.html", case=progress.case, steps=progress.steps,
                                    township=progress.township))
        if page_cacheable():
            _track_pages.put(key, page)
    return page


@bp.route("/track", methods=["GET", "POST"])
def track_lookup():
    form = Parsed(values={"case_number": "", "last4": ""})
    if request.method == "POST":
        form = parse(TrackLookupInput, request.form)
        if form.ok:
            try:
                case = lookup(form.data.case_number, form.data.last4, requester())
            except DomainError as exc:
                form.refuse(exc, "case_number")
            else:
                return redirect(flow_url("track", number=case.number, k=case.track_token), code=303)
    return render_template("flows/track_lookup.html", errors=form.errors, values=form.values), form.status
