"""好差评 in the console: the rectifications 差评 open, answered by the department or township that
handled the case and closed by a 回访; the rating on a case's page."""
from flask import redirect, render_template, request, url_for

from services.cases import ratings
from services.clock import today
from services.errors import DomainError
from web.access import current_actor, staff_required
from web.forms import CallbackInput, RectificationAnswerInput
from web.inputs import Parsed, parse

from . import bp


@bp.get("/rectifications")
@staff_required(*ratings.CALLBACK_ROLES)
def rectifications():
    status = request.args.get("status", "open")
    status = status if status in ratings.RECTIFICATION_STATUS else "open"
    return render_template("office/rectifications.html", rows=ratings.rectifications(current_actor(), status),
                           status=status, statuses=ratings.RECTIFICATION_STATUS, today=today())


@bp.route("/rectifications/<int:rectification_id>", methods=["GET", "POST"])
@staff_required(*ratings.CALLBACK_ROLES)
def rectification(rectification_id: int):
    actor = current_actor()
    fix = ratings.rectification_for(actor, rectification_id)
    answer_form = Parsed(values={"answer": ""})
    callback_form = Parsed(values={"result": "", "note": ""})
    if request.method == "POST":
        step = request.form.get("step")
        try:
            if step == "answer":
                answer_form = parse(RectificationAnswerInput, request.form)
                if answer_form.ok:
                    ratings.answer(fix, actor, answer_form.data.answer)
            elif step == "callback":
                callback_form = parse(CallbackInput, request.form)
                if callback_form.ok:
                    ratings.record_callback(fix, actor, callback_form.data.result, callback_form.data.note)
        except DomainError as exc:
            (answer_form if step == "answer" else callback_form).refuse(exc, "answer" if step == "answer" else "result")
        if answer_form.ok and callback_form.ok:
            return redirect(url_for("office.rectification", rectification_id=fix.id), code=303)
    return render_template(
        "office/rectification.html", fix=fix, rating=fix.rating, case=fix.case, today=today(),
        answer_form=answer_form, callback_form=callback_form,
        may_answer=actor.role in ratings.ANSWERING_ROLES, results=list(ratings.CALLBACK_RESULTS.items()),
        dimensions=ratings.DIMENSIONS, levels=ratings.LEVELS,
    ), max(answer_form.status, callback_form.status)
