"""我的办件, the public progress page behind the receipt's QR code, and lookup by number."""
from flask import current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from extensions import limiter
from web.access import citizen_required
from services.errors import DomainError, NotFound
from services.materials import file_for, uploads_of
from services.places import township_name
from services.supplements import add_supplement_files, new_uploads, requested_materials, resubmit
from services.cases import get_case
from services.tracking import (by_number_and_last4, cases_of, supplement_request, timeline,
                               version_by_token)
from web.pagecache import LRU
from web.forms import uploaded_files
from web.security import no_store
from web.preferences import is_elder

from . import bp
from .apply import own_case


@bp.get("/my")
@citizen_required
def my_cases():
    return no_store(render_template("pwa/my_cases.html", cases=cases_of(current_user.id)))


@bp.route("/my/<number>", methods=["GET", "POST"])
@citizen_required
def my_case(number: str):
    case = own_case(number)
    item = current_app.extensions["catalog"].get(case.item_code)
    errors, status = {}, 200
    if request.method == "POST":  # a 补正 upload
        index = request.form.get("material", "")
        files = uploaded_files(request)
        try:
            add_supplement_files(current_app.extensions["storage"], case, item, current_user,
                                 int(index) if index.isdigit() else -1, files)
        except DomainError as exc:
            errors[index], status = exc.message, 422
        else:
            return redirect(url_for("pwa.my_case", number=number) + "#supplement", code=303)
    return no_store(render_template(
        "pwa/my_case.html", case=case, item=item, steps=timeline(case, public=False),
        request_event=supplement_request(case), requested=requested_materials(case),
        fresh=new_uploads(case), uploads=uploads_of(case_id=case.id), errors=errors,
        township=township_name(case.township_id)), status)


@bp.post("/my/<number>/resubmit")
@citizen_required
def my_case_resubmit(number: str):
    case = own_case(number)
    item = current_app.extensions["catalog"].get(case.item_code)
    if case.status == "supplement":
        resubmit(case, item, current_user)
    return redirect(url_for("pwa.my_case", number=number), code=303)


@bp.get("/files/<key>")
@citizen_required
def material_file(key: str):
    """Only the person who uploaded it (staff get their own route with their own checks)."""
    upload = file_for(key)
    if upload is None or upload.owner_id != current_user.id:
        raise NotFound("没有找到这个文件")
    response = make_response(current_app.extensions["storage"].get(upload.key))
    response.mimetype = upload.content_type
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "no-store"
    return response


# The public progress page is the hottest page with data in it: rendered once per case version.
_track_pages = LRU(5000)


@bp.get("/t/<number>")
def track(number: str):
    case_id, version = version_by_token(number, request.args.get("k", ""))
    key = (case_id, version, is_elder(request))
    html = _track_pages.get(key)
    if html is None:
        case = get_case(case_id)
        html = render_template("pwa/track.html", case=case, steps=timeline(case, public=True),
                               township=township_name(case.township_id))
        _track_pages.put(key, html)
    return no_store(html)


def _case_number_key() -> str:
    return "case:" + "".join(request.form.get("case_number", "").split()).upper()[:20]


def _failed(response) -> bool:
    return response.status_code == 422  # only wrong tries count against the limits


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit("10 per 10 minutes", methods=["POST"], deduct_when=_failed,
               error_message="输错次数太多，请 10 分钟后再试")
@limiter.limit("5 per hour", key_func=_case_number_key, methods=["POST"], deduct_when=_failed,
               error_message="这个办件编号输错次数太多，请一小时后再试，或拨打 12345")
def track_lookup():
    errors, values = {}, {"case_number": "", "last4": ""}
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip()[:30] for k in values}
        try:
            case = by_number_and_last4(values["case_number"], values["last4"])
        except DomainError as exc:
            errors[exc.field or "case_number"] = exc.message
        else:
            return redirect(url_for("pwa.track", number=case.number, k=case.track_token), code=303)
    return render_template("pwa/track_lookup.html", errors=errors, values=values), 422 if errors else 200
