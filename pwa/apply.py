"""Apply online: the form from the catalog, materials, check your answers, submit, receipt."""
from flask import redirect, render_template, request

from services.cases.drafts import (
    add_files,
    applicable,
    missing_for_submit,
    needs_township,
    open_draft,
    remove_file,
    save_answers,
    submit_draft,
)
from services.cases.handling import case_for
from services.cases.lifecycle import Case
from services.cases.materials import uploads_of
from services.cases.receipts import receipt_for
from services.catalog import Item
from services.errors import DomainError
from services.places import township_choices, township_name
from services.registry import registry
from web.access import applicant, citizen_required, current_actor, verified_required
from web.forms import MaterialUpload, uploaded_files
from web.frontends import flow_url
from web.inputs import parse
from web.security import no_store

from . import bp


def _item(code: str) -> Item:
    return applicable(registry().catalog.get(code))


def item_and_draft(code: str):
    item = _item(code)
    return item, open_draft(current_actor(), applicant(), item)


def material_shown(shown: list[str], form) -> str:
    """The material an upload error is shown beside, or "" (the page's banner) for one not on the page."""
    key = form.values.get("material", "")
    return key if key in shown else ""


def _back_to_check() -> bool:
    return request.args.get("return") == "check"


def _return_args() -> dict:
    """The one query parameter these pages carry on: come back to the check page."""
    return {"return": "check"} if _back_to_check() else {}


def _after_step(code: str, default_endpoint: str):
    if _back_to_check():
        return redirect(flow_url("apply_check", code=code), code=303)
    return redirect(flow_url(default_endpoint, code=code), code=303)


@bp.route("/apply/<code>", methods=["GET", "POST"])
@verified_required
def apply_form(code: str):
    item, draft = item_and_draft(code)
    errors, typed = {}, {}
    if request.method == "POST":
        errors = save_answers(draft, item, request.form, request.form.get("township_id", ""))
        if not errors:
            return _after_step(code, "apply_materials")
        typed = {k: v for k, v in request.form.items() if k in errors}  # shown again as typed
    return (render_template("flows/apply_form.html", item=item, draft=draft, errors=errors,
                            answers={**draft.answers, **typed},
                            townships=township_choices() if needs_township(item) else [],
                            back_to_check=_back_to_check()),
            422 if errors else 200)


@bp.route("/apply/<code>/materials", methods=["GET", "POST"])
@verified_required
def apply_materials(code: str):
    item, draft = item_and_draft(code)
    errors, status = {}, 200
    if request.method == "POST":
        form = parse(MaterialUpload, request.form)
        try:
            add_files(registry().storage, draft, item, form.data.material if form.ok else None,
                      uploaded_files(request), current_actor())
        except DomainError as exc:
            errors[material_shown([m.key for m in item.required_materials], form)] = exc.message
            status = 422
        else:
            return redirect(flow_url("apply_materials", code=code, **_return_args()), code=303)
    return render_template("flows/apply_materials.html", item=item, draft=draft, errors=errors,
                           uploads=uploads_of(draft_id=draft.id),
                           back_to_check=_back_to_check()), status


@bp.post("/apply/<code>/materials/remove/<key>")
@citizen_required
def apply_remove_file(code: str, key: str):
    item, draft = item_and_draft(code)
    remove_file(registry().storage, draft, key)
    return redirect(flow_url("apply_materials", code=code, **_return_args()), code=303)


@bp.get("/apply/<code>/check")
@verified_required
def apply_check(code: str):
    item, draft = item_and_draft(code)
    return render_template("flows/apply_check.html", item=item, draft=draft,
                           uploads=uploads_of(draft_id=draft.id),
                           township=township_name(draft.township_id), show_township=needs_township(item),
                           missing=missing_for_submit(draft, item))


@bp.post("/apply/<code>/submit")
@verified_required
def apply_submit(code: str):
    case = submit_draft(current_actor(), applicant(), _item(code), request.form.get("draft_key", ""))
    return redirect(flow_url("receipt", number=case.number), code=303)


def own_case(number: str) -> Case:
    return case_for(current_actor(), number=number)


@bp.get("/cases/<number>/receipt")
@citizen_required
def receipt(number: str):
    return no_store(render_template("flows/receipt.html", receipt=receipt_for(own_case(number)),
                                    narrow=request.args.get("paper") == "80mm"))
