"""Apply online: the form from the catalog, materials, check your answers, submit, receipt."""
from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from services.cases import Case, track_link
from services.catalog import Item
from services.clock import to_china
from services.drafts import (add_files, missing_for_submit, needs_township, open_draft, remove_file,
                             save_answers, submit_draft)
from services.errors import DomainError, NotFound
from services.materials import uploads_of
from services.places import township_choices, township_name
from services.receipts import code128_svg, qr_svg
from services.workdays import load_calendar
from web.access import citizen_required, verified_required
from web.forms import uploaded_files
from web.security import no_store

from . import bp


def _item(code: str) -> Item:
    item = current_app.extensions["catalog"].get(code)
    if item.kind != "apply" or item.section != "convenience":
        raise NotFound("这个事项暂不能在手机上申请，请看办事指南")
    return item


def _storage():
    return current_app.extensions["storage"]


def _township_ids() -> set[int]:
    return {tid for tid, _ in township_choices()}


def _after_step(code: str, default_endpoint: str):
    if request.args.get("return") == "check":
        return redirect(url_for("pwa.apply_check", code=code), code=303)
    return redirect(url_for(default_endpoint, code=code), code=303)


@bp.route("/apply/<code>", methods=["GET", "POST"])
@verified_required
def apply_form(code: str):
    item = _item(code)
    draft = open_draft(current_user, item)
    errors = {}
    if request.method == "POST":
        township = request.form.get("township_id", "")
        errors = save_answers(draft, item, request.form, int(township) if township.isdigit() else None,
                              _township_ids())
        if not errors:
            return _after_step(code, "pwa.apply_materials")
    return (render_template("pwa/apply_form.html", item=item, draft=draft, errors=errors,
                            townships=township_choices() if needs_township(item) else [],
                            back_to_check=request.args.get("return") == "check"),
            422 if errors else 200)


@bp.route("/apply/<code>/materials", methods=["GET", "POST"])
@verified_required
def apply_materials(code: str):
    item = _item(code)
    draft = open_draft(current_user, item)
    errors, status = {}, 200
    if request.method == "POST":
        index = request.form.get("material", "")
        files = uploaded_files(request)
        try:
            add_files(_storage(), draft, item, int(index) if index.isdigit() else -1, files)
        except DomainError as exc:
            errors[index] = exc.message
            status = 422
        else:
            return redirect(url_for("pwa.apply_materials", code=code, **request.args), code=303)
    uploads = uploads_of(draft_id=draft.id)
    return render_template("pwa/apply_materials.html", item=item, draft=draft, errors=errors,
                           uploads=uploads, back_to_check=request.args.get("return") == "check"), status


@bp.post("/apply/<code>/materials/remove/<key>")
@citizen_required
def apply_remove_file(code: str, key: str):
    item = _item(code)
    remove_file(_storage(), open_draft(current_user, item), key)
    return redirect(url_for("pwa.apply_materials", code=code, **request.args), code=303)


@bp.get("/apply/<code>/check")
@verified_required
def apply_check(code: str):
    item = _item(code)
    draft = open_draft(current_user, item)
    return render_template("pwa/apply_check.html", item=item, draft=draft,
                           uploads=uploads_of(draft_id=draft.id),
                           township=township_name(draft.township_id), show_township=needs_township(item),
                           missing=missing_for_submit(draft, item, _township_ids()))


@bp.post("/apply/<code>/submit")
@citizen_required
def apply_submit(code: str):
    item = _item(code)
    key = request.form.get("draft_key", "")
    # A double tap, a retry or the back button posts the same draft key: the same case comes back.
    existing = db.session.scalar(select(Case).where(Case.idempotency_key == key,
                                                    Case.applicant_id == current_user.id))
    if existing is not None:
        return redirect(url_for("pwa.receipt", number=existing.number), code=303)
    draft = open_draft(current_user, item)
    if draft.key != key:
        raise DomainError("页面已过期，请返回核对后重新提交")
    case = submit_draft(draft, item, current_user, _township_ids())
    return redirect(url_for("pwa.receipt", number=case.number), code=303)


def own_case(number: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None or case.applicant_id != current_user.id:
        raise NotFound("没有找到这个办件")  # the same answer whether it exists or not
    return case


@bp.get("/cases/<number>/receipt")
@citizen_required
def receipt(number: str):
    case = own_case(number)
    item = current_app.extensions["catalog"].get(case.item_code)
    link = track_link(case)
    submitted_on = to_china(case.submitted_at).date()
    expected, estimated = load_calendar().add_workdays(submitted_on, case.promised_days)
    narrow = request.args.get("paper") == "80mm"
    return no_store(render_template(
        "pwa/receipt.html", case=case, item=item, link=link, qr=qr_svg(link),
        barcode=code128_svg(case.number), expected=expected, estimated=estimated,
        township=township_name(case.township_id), narrow=narrow))

