"""The application form at the kiosk: one question a screen (services.cases.drafts.questions),
only those not answered yet; the rest of applying is the shared flow."""
from flask import redirect, render_template, request, url_for

from pwa.apply import item_and_draft
from services import kiosks
from services.cases.drafts import (
    TOWNSHIP_QUESTION,
    Question,
    question_of,
    save_question,
    unanswered,
)
from services.places import township_choices
from web.access import verified_required

from . import bp


@bp.route("/apply/<code>", methods=["GET", "POST"])
@verified_required
def apply_form(code: str):
    item, draft = item_and_draft(code)
    back = request.args.get("return") == "check"
    asked = request.args.get("field", "")
    question = question_of(item, asked) if asked else unanswered(draft, item)
    if question is None:
        return redirect(url_for("kiosk.apply_check" if back or asked else "kiosk.apply_materials", code=code), code=303)
    errors, typed = {}, {}
    if request.method == "POST":
        errors = save_question(draft, item, question, request.form)
        if not errors:
            if back:
                return redirect(url_for("kiosk.apply_check", code=code), code=303)
            return redirect(url_for("kiosk.apply_form", code=code), code=303)  # the next question
        typed = {k: v for k, v in request.form.items() if k in errors}  # shown again as typed
    return render_template("kiosk/question.html", item=item, draft=draft, question=question, errors=errors,
                           answers={**draft.answers, **typed}, back=back, card=_card_fields(question),
                           townships=township_choices() if question.key == TOWNSHIP_QUESTION else []), \
        422 if errors else 200


def _card_fields(question: Question) -> dict | None:
    """The fields the card reader fills on this question, if it asks who someone is."""
    if question.person_fields is None:
        return None
    name, id_number = question.person_fields
    return {"name": name.name, "id_number": id_number.name, "demo": kiosks.simulated_card(id_number.sex)}
